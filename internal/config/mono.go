package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kobo-oss/kobo/internal/kobo"
)

// Mono configures the Mono upstream provider: the deployment's default
// Mono keys (apps that configured none of their own use them), Mono's
// host, and which institutions go through Mono by default.
type Mono struct {
	// Enabled registers the provider even without default keys (apps
	// bring their own); a secret key enables it too.
	Enabled bool
	BaseURL string // default https://api.withmono.com
	// SecretKey, PublicKey and WebhookSecret are the deployment's defaults.
	SecretKey, PublicKey, WebhookSecret kobo.Secret
	// DefaultFor lists the bank codes whose institutions Mono serves by
	// default ("*": every Nigerian bank in the catalog); the others keep
	// the sandbox bank first and list Mono as a choice.
	DefaultFor []string
}

// On reports whether the provider is configured.
func (m Mono) On() bool { return m.Enabled || m.SecretKey != "" }

// Credentials are the deployment's default Mono credentials, by the
// provider's field names; nil when none are set.
func (m Mono) Credentials() kobo.ProviderCredentials {
	out := kobo.ProviderCredentials{}
	for k, v := range map[string]kobo.Secret{"secret_key": m.SecretKey, "public_key": m.PublicKey, "webhook_secret": m.WebhookSecret} {
		if v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Default reports whether Mono is the default provider of an institution
// with bank code code.
func (m Mono) Default(code string) bool {
	for _, c := range m.DefaultFor {
		if c == "*" || (code != "" && c == code) {
			return true
		}
	}
	return false
}

func (m *Mono) fromEnv(getenv func(string) string) error {
	if v := getenv("KOBO_MONO_ENABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("KOBO_MONO_ENABLED: %q is not a boolean", v)
		}
		m.Enabled = b
	}
	if v := getenv("KOBO_MONO_BASE_URL"); v != "" {
		m.BaseURL = v
	}
	for key, dst := range map[string]*kobo.Secret{"KOBO_MONO_SECRET_KEY": &m.SecretKey, "KOBO_MONO_PUBLIC_KEY": &m.PublicKey, "KOBO_MONO_WEBHOOK_SECRET": &m.WebhookSecret} {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = kobo.Secret(v)
		}
	}
	if v := getenv("KOBO_MONO_DEFAULT_FOR"); v != "" {
		m.DefaultFor = nil
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				m.DefaultFor = append(m.DefaultFor, c)
			}
		}
	}
	return nil
}

func (m Mono) validate() []error {
	var errs []error
	if m.BaseURL != "" {
		if u, err := url.Parse(m.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("KOBO_MONO_BASE_URL: %q is not an http(s) URL", m.BaseURL))
		}
	}
	if sk := m.SecretKey.Reveal(); sk != "" && !strings.HasPrefix(sk, "test_sk_") && !strings.HasPrefix(sk, "live_sk_") {
		errs = append(errs, fmt.Errorf("KOBO_MONO_SECRET_KEY: a Mono secret key starts with test_sk_ or live_sk_"))
	}
	return errs
}
