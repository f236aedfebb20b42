package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var envName = regexp.MustCompile(`\b(KOBO_[A-Z_]+|DATABASE_URL|PORT)\b`)

// documented is every variable the help text names.
func documented() []string {
	var out []string
	for _, v := range EnvVars {
		out = append(out, envName.FindAllString(v, -1)...)
	}
	for _, e := range EnvOnly {
		if !strings.Contains(e.Name, "<") {
			out = append(out, e.Name)
		}
	}
	return out
}

// families are the prefixes of the documented variable families, whose
// names depend on what is wired (KOBO_PROVIDER_<NAME>_<FIELD>).
func families() []string {
	var out []string
	for _, e := range EnvOnly {
		if i := strings.Index(e.Name, "<"); i > 0 {
			out = append(out, e.Name[:i])
		}
	}
	return out
}

func inFamily(name string) bool {
	return slices.ContainsFunc(families(), func(p string) bool { return strings.HasPrefix(name, p) })
}

// TestHelpNamesWhatFromEnvReads: every variable the help names changes
// the configuration (or is reported invalid) when set, and every
// variable FromEnv reads is named in the help.
func TestHelpNamesWhatFromEnvReads(t *testing.T) {
	t.Parallel()
	for _, name := range documented() {
		c, err := Default().FromEnv(env(map[string]string{name: "not-a-value"}))
		c.getenv = nil // a func: never DeepEqual
		if err == nil && reflect.DeepEqual(c, Default()) {
			t.Errorf("%s is in the help but FromEnv ignores it", name)
		}
	}
	// config.go reads variables in lists of literals; ops.go with getenv
	// (its EnvVars map is the help itself)
	read := map[string]*regexp.Regexp{"config.go": regexp.MustCompile(`"(KOBO_[A-Z_]+|DATABASE_URL|PORT)"`), "ops.go": regexp.MustCompile(`getenv\("([A-Z_]+)"\)`)}
	doc := documented()
	n := 0
	for file, re := range read {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !slices.Contains(doc, m[1]) && !inFamily(m[1]) {
				t.Errorf("FromEnv reads %s, which the help does not name", m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d variables read in the source: the pattern is stale", n)
	}
}

// TestReadmeVariablesAreReal: the README's configuration list names only
// variables kobo reads.
func TestReadmeVariablesAreReal(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := documented()
	bench := []string{"KOBO_TEST_DATABASE_URL", "KOBO_ARTIFACTS_DIR", "KOBO_CHROMIUM", "KOBO_BENCH_ADMIN_ADDR", "KOBO_FUZZTIME", "KOBO_SPECS_DIR"} // tests' and tools' own
	for _, name := range envName.FindAllString(string(b), -1) {
		if !slices.Contains(doc, name) && !slices.Contains(bench, name) && !inFamily(name) {
			t.Errorf("the README names %s, which kobo serve does not read", name)
		}
	}
}

func TestRequestLogAndReplicaSettings(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{"KOBO_REQUEST_LOG": "sampled", "KOBO_REQUEST_LOG_SAMPLE": "0.05",
		"KOBO_REQUEST_LOG_RETENTION": "48h", "KOBO_REQUEST_LOG_MAX_ROWS": "50000", "KOBO_REPLICA_ID": "kobo-2"}))
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithDerived()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RequestLog != "sampled" || c.RequestLogSample != 0.05 || c.RequestLogRetention != 48*time.Hour || c.RequestLogMaxRows != 50000 || c.ReplicaID != "kobo-2" {
		t.Errorf("env not applied: %+v", c)
	}
	if d := Default().WithDerived(); !strings.HasSuffix(d.ReplicaID, "-"+strconv.Itoa(os.Getpid())) {
		t.Errorf("default replica id %q is not hostname-pid", d.ReplicaID)
	}
	c, _ = Default().FromEnv(env(map[string]string{"KOBO_REQUEST_LOG": "some", "KOBO_REQUEST_LOG_SAMPLE": "2", "KOBO_REQUEST_LOG_RETENTION": "1m",
		"KOBO_REQUEST_LOG_MAX_ROWS": "10", "KOBO_REPLICA_ID": "a b"}))
	err = c.WithDerived().Validate()
	for _, want := range []string{"request-log:", "request-log-sample", "request-log-retention", "request-log-max-rows", "replica-id"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no %s problem in %v", want, err)
		}
	}
}

// TestProviderDefaultFamily: KOBO_PROVIDER_<NAME>_<FIELD> is read per
// provider and field, upper case, "-" as "_".
func TestProviderDefaultFamily(t *testing.T) {
	t.Parallel()
	c, err := Default().FromEnv(env(map[string]string{"KOBO_PROVIDER_MONO_SECRET_KEY": "sk", "KOBO_PROVIDER_OPEN_BANK_API_KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ProviderDefault("mono", "secret_key").Reveal() != "sk" || c.ProviderDefault("open-bank", "api-key").Reveal() != "k" || c.ProviderDefault("mono", "public_key") != "" {
		t.Errorf("ProviderDefault read the wrong variables")
	}
	if Default().ProviderDefault("mono", "secret_key") != "" {
		t.Error("a Config not filled from the environment has provider defaults")
	}
}

func TestGoLivePolicyFromEnv(t *testing.T) {
	if c := Default(); c.GoLivePolicy != "automatic" {
		t.Errorf("default go-live policy = %q", c.GoLivePolicy)
	}
	c, err := Default().FromEnv(env(map[string]string{"KOBO_GOLIVE_POLICY": "review"}))
	if err != nil || c.GoLivePolicy != "review" {
		t.Fatalf("KOBO_GOLIVE_POLICY=review: %q, %v", c.GoLivePolicy, err)
	}
	c, _ = Default().FromEnv(env(map[string]string{"KOBO_GOLIVE_POLICY": "sometimes"}))
	if err := c.WithDerived().Validate(); err == nil || !strings.Contains(err.Error(), "golive-policy") {
		t.Errorf("a bad policy validates: %v", err)
	}
}
