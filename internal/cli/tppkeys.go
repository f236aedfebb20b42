package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/atrest"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/provider/mtls"
	"github.com/prometheus/client_golang/prometheus"
)

// tppKeyRefresh is how often a replica re-reads the TPP keys: an
// imported replacement is in use everywhere within it, without a restart.
const tppKeyRefresh = time.Minute

var tppKeyName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// banksCmd manages the certificates and keys kobo holds as a TPP at
// banks, kept sealed in the database under the master key (so every
// replica reads the same, and none is a file on a host):
//
//	kobo banks import-cert --name qwac-2026 --cert qwac.pem --key qwac.key
//	kobo banks list-certs
//	kobo banks delete-cert --name qwac-2025
//
// A banks-file entry names one with cert_secret (its mTLS client
// certificate) or signing_secret (its signing key). Rotation is an import
// of the new pair under the same name: every replica uses it from its
// next refresh (tppKeyRefresh) on; connections already open finish with
// the old one. Key material is never printed, logged or served.
func banksCmd(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("banks", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: kobo banks import-cert --name NAME [--cert FILE] --key FILE
       kobo banks list-certs
       kobo banks delete-cert --name NAME

  import-cert  store (or replace) a certificate and its private key, or a bare signing key,
               sealed in the database; banks-file entries name it with cert_secret or
               signing_secret, and every replica uses a replacement within a minute
  list-certs   the stored keys: name, subject, expiry, fingerprint (never the key)
  delete-cert  remove a stored key`)
		fs.PrintDefaults()
	}
	cfg, err := config.Default().FromEnv(e.getenv)
	if err != nil {
		return err
	}
	cfg.Flags(fs)
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	sfs := flag.NewFlagSet("banks "+sub, flag.ContinueOnError)
	sfs.SetOutput(e.stderr)
	name := sfs.String("name", "", "the key's name, as cert_secret or signing_secret give it (a-z, 0-9, . _ -)")
	certFile := sfs.String("cert", "", "PEM certificate (the leaf first, then any intermediates); omit for a bare signing key")
	keyFile := sfs.String("key", "", "PEM private key (PKCS#8, SEC 1 or PKCS#1)")
	switch sub {
	case "import-cert", "list-certs", "delete-cert":
	default:
		fs.Usage()
		return errUsage
	}
	if err := sfs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	cfg = cfg.WithDerived()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if sub != "list-certs" && !tppKeyName.MatchString(*name) {
		return errors.New("--name: 1-64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
	}
	var material []byte
	var key *mtls.Key
	if sub == "import-cert" {
		// read and check before touching the database
		if *keyFile == "" {
			return errors.New("--key is required")
		}
		if *certFile != "" {
			b, err := os.ReadFile(*certFile)
			if err != nil {
				return fmt.Errorf("--cert: %w", err)
			}
			material = append(b, '\n')
		}
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		material = append(material, b...)
		if key, err = mtls.ParseKey(material); err != nil {
			return fmt.Errorf("--cert/--key: %w", err)
		}
		if *certFile != "" && key.Cert == nil {
			return errors.New("--cert holds no PEM certificate")
		}
		if key.Leaf != nil && time.Now().After(key.Leaf.NotAfter) {
			return fmt.Errorf("--cert expired on %s; a bank would refuse it", key.Leaf.NotAfter.UTC().Format(time.DateOnly))
		}
	}
	log := newLogger(cfg, e.stderr)
	policy := migrateAlways
	if cfg.Engine() == "postgres" && !cfg.Migrate {
		policy = migrateRefuse
	}
	st, err := openStore(ctx, cfg, log, policy)
	if err != nil {
		return err
	}
	defer st.Close()
	vlt, err := openVault(cfg, st.Engine())
	if err == nil {
		// sealed under a key the replicas do not know, the import would not open there
		err = app.VerifyMasterKey(ctx, st, kobo.SystemClock{}, vlt)
	}
	if err != nil {
		return err
	}
	sealed, err := sealStore(ctx, st, vlt, log)
	if err != nil {
		return err
	}
	switch sub {
	case "import-cert":
		k := &kobo.TPPKey{Name: *name, Material: kobo.Secret(material), Fingerprint: key.Fingerprint, UpdatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if key.Leaf != nil {
			na := key.Leaf.NotAfter.UTC()
			k.Subject, k.NotAfter = key.Leaf.Subject.String(), &na
		}
		if err := sealed.Update(ctx, func(tx kobo.Tx) error { return tx.PutTPPKey(ctx, k) }); err != nil {
			return err
		}
		what := "signing key (no certificate)"
		if k.NotAfter != nil {
			what = fmt.Sprintf("%s, expires %s", k.Subject, k.NotAfter.Format(time.DateOnly))
		}
		fmt.Fprintf(e.stdout, "stored %s: %s, SHA-256 %s\n  every replica uses it within %s; entries name it with cert_secret or signing_secret\n",
			k.Name, what, k.Fingerprint, tppKeyRefresh)
		return nil
	case "delete-cert":
		if err := sealed.Update(ctx, func(tx kobo.Tx) error { return tx.DeleteTPPKey(ctx, *name) }); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s; entries naming it stop kobo from starting\n", *name)
		return nil
	}
	return listTPPKeys(ctx, sealed, e.stdout)
}

func listTPPKeys(ctx context.Context, st *atrest.Store, out io.Writer) error {
	var list []*kobo.TPPKey
	if err := st.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, err = tx.TPPKeys(ctx)
		return err
	}); err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSUBJECT\tEXPIRES\tSHA-256\tIMPORTED")
	for _, k := range list {
		exp := "-"
		if k.NotAfter != nil {
			exp = k.NotAfter.Format(time.DateOnly)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.Name, cmpOr(k.Subject, "(bare key)"), exp, k.Fingerprint, k.UpdatedAt.Format(time.RFC3339))
	}
	return w.Flush()
}

// tppKeyring is this replica's copy of the TPP keys (mtls.Keys), read
// from the database at start and every tppKeyRefresh after: the
// connectors look a key up at each handshake or signature, so a
// replacement is in use without a restart.
type tppKeyring struct {
	st     *atrest.Store
	log    *slog.Logger
	expiry *prometheus.GaugeVec // the certificates' NotAfter, for an expiry alert

	mu     sync.RWMutex
	keys   map[string]*mtls.Key
	raw    map[string]kobo.Secret // as last read, so only a change is parsed again
	loaded bool
}

var _ mtls.Keys = (*tppKeyring)(nil)

func newTPPKeyring(st *atrest.Store, log *slog.Logger, reg prometheus.Registerer) *tppKeyring {
	r := &tppKeyring{st: st, log: log, keys: map[string]*mtls.Key{}, raw: map[string]kobo.Secret{},
		expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kobo_tpp_certificate_expiry_timestamp_seconds",
			Help: "When each stored TPP certificate (kobo banks import-cert) expires, as this replica holds it: alert well before."}, []string{"name"})}
	reg.MustRegister(r.expiry)
	return r
}

// Key implements mtls.Keys.
func (r *tppKeyring) Key(name string) (*mtls.Key, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[name]
	return k, ok
}

// load reads every key, parsing those that changed. A key that does not
// parse (import checks them, so only a damaged row) is left out and
// logged by name; the entries naming it then fail as if it were missing.
func (r *tppKeyring) load(ctx context.Context) error {
	var list []*kobo.TPPKey
	if err := r.st.View(ctx, func(tx kobo.Tx) error {
		var err error
		list, err = tx.TPPKeys(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("TPP keys: %w", err)
	}
	keys, raw := map[string]*mtls.Key{}, map[string]kobo.Secret{}
	r.mu.RLock()
	for _, k := range list {
		raw[k.Name] = k.Material
		if old, ok := r.keys[k.Name]; ok && r.raw[k.Name] == k.Material {
			keys[k.Name] = old
			continue
		}
		parsed, err := mtls.ParseKey([]byte(k.Material.Reveal()))
		if err != nil {
			r.log.Error("TPP key does not parse; entries naming it cannot use it", "name", k.Name, "err", err)
			continue
		}
		keys[k.Name] = parsed
		if r.loaded {
			r.log.Info("TPP key imported or replaced", "name", k.Name, "sha256", parsed.Fingerprint)
		}
	}
	r.mu.RUnlock()
	r.mu.Lock()
	r.keys, r.raw, r.loaded = keys, raw, true
	r.mu.Unlock()
	r.expiry.Reset()
	for name, k := range keys {
		if k.Leaf != nil {
			r.expiry.WithLabelValues(name).Set(float64(k.Leaf.NotAfter.Unix()))
		}
	}
	return nil
}

// refresh re-reads the keys every interval until ctx ends; a failed read
// keeps the keys it has.
func (r *tppKeyring) refresh(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.load(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("TPP keys not refreshed; the ones read before stay in use", "err", err)
			}
		}
	}
}
