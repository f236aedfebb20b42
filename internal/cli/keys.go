package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/atrest"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
	"github.com/kobo-oss/kobo/internal/vault"
)

// keys manages the master key: status, rotate, and for the key file
// (SQLite without KOBO_MASTER_KEY) add and retire. Rotation is online:
//
//  1. make the new key known: list it after the current one in
//     KOBO_MASTER_KEY ("old,new") and restart every replica (each records
//     its check, see app.VerifyMasterKey); then put it first ("new,old")
//     and restart them again, so new seals use it and old ones still open.
//     `kobo keys add` does both steps for the key file;
//  2. `kobo keys rotate` re-seals everything under it, in batches, while
//     kobo serves;
//  3. `kobo keys status` shows nothing needs the old key; drop it from
//     KOBO_MASTER_KEY (or `kobo keys retire`) and restart.
func keys(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: kobo keys [flags] status|rotate|add|retire|generate
       kobo keys [flags] rotate-api --app ID [--kind secret|public|both] [--overlap none|1h|24h|7d] [--mode test|live]

  status      how many sealed values each key holds, by field
  rotate      re-seal everything under the current key (the first configured), online
  add         put a new key first in the key file (SQLite without KOBO_MASTER_KEY)
  retire      drop every key but the current one from the key file, once nothing needs them
  generate    print a new key for KOBO_MASTER_KEY
  rotate-api  the operator rotates one app's API key (a leaked key reported to you), with
              the dashboard's overlaps; audited as the operator`)
		fs.PrintDefaults()
	}
	cfg, err := config.Default().FromEnv(e.getenv)
	if err != nil {
		return err
	}
	cfg.Flags(fs)
	batch := fs.Int("batch", sealBatch, "values re-sealed per transaction")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	cfg = cfg.WithDerived()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *batch < 1 {
		return fmt.Errorf("batch: must be at least 1")
	}
	switch fs.Arg(0) {
	case "generate":
		k, err := vault.NewKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, base64.StdEncoding.EncodeToString(k))
		return nil
	case "add":
		return keysAdd(ctx, cfg, e)
	case "rotate-api":
		return keysRotateAPI(ctx, cfg, e, fs.Args()[1:])
	case "status", "rotate", "retire":
	default:
		fs.Usage()
		return errUsage
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
	if err != nil {
		return err
	}
	sealed, err := sealStore(ctx, st, vlt, log)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "rotate":
		if err := keysRotate(ctx, sealed, vlt, *batch, e.stdout); err != nil {
			return err
		}
		// what the old key sealed must not stay in SQLite's WAL either
		if c, ok := st.(interface{ Checkpoint(context.Context) error }); ok {
			return c.Checkpoint(ctx)
		}
		return nil
	case "retire":
		return keysRetire(ctx, cfg, sealed, vlt, *batch, e.stdout)
	}
	old, err := keysStatus(ctx, sealed, vlt, *batch, e.stdout)
	if err != nil {
		return err
	}
	if old > 0 {
		return fmt.Errorf("%d value(s) are sealed under a key that is not current; run 'kobo keys rotate'", old)
	}
	return nil
}

// keysStatus prints the sealed values by field and key, and returns how
// many are not under the current key.
func keysStatus(ctx context.Context, sealed *atrest.Store, vlt *vault.Vault, batch int, w io.Writer) (int, error) {
	counts, err := sealed.KeyCounts(ctx, batch)
	if err != nil {
		return 0, err
	}
	cur := vlt.CurrentKeyID()
	fmt.Fprintf(w, "configured keys: %s (current first)\n", strings.Join(vlt.KeyIDs(), ", "))
	old := 0
	for _, f := range kobo.SealedFields {
		var parts []string
		ids := make([]string, 0, len(counts[f]))
		for id := range counts[f] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			mark := ""
			if id == cur {
				mark = " (current)"
			} else {
				old += counts[f][id]
			}
			parts = append(parts, fmt.Sprintf("%s %d%s", id, counts[f][id], mark))
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		fmt.Fprintf(w, "  %-30s %s\n", f, strings.Join(parts, ", "))
	}
	return old, nil
}

// keysRotate re-seals everything under the current key. A replica still
// running with the old key current would keep sealing under it; a second
// pass catches what was written meanwhile, and if that is not the last of
// it the operator is told which replica to restart.
func keysRotate(ctx context.Context, sealed *atrest.Store, vlt *vault.Vault, batch int, w io.Writer) error {
	cur := vlt.CurrentKeyID()
	fmt.Fprintf(w, "re-sealing under key %s\n", cur)
	for pass := 1; pass <= 3; pass++ {
		n, err := sealed.Rotate(ctx, batch, func(f kobo.SealedField, n int) {
			if n > 0 {
				fmt.Fprintf(w, "  %-30s %d re-sealed\n", f, n)
			}
		})
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(w, "every sealed value is under key %s; the other keys can be removed (kobo keys status to check, kobo keys retire for the key file)\n", cur)
			return nil
		}
	}
	return fmt.Errorf("values are still being sealed under an old key: a replica is running without key %s first in KOBO_MASTER_KEY; restart it and run 'kobo keys rotate' again", cur)
}

// keysAdd puts a fresh key first in the key file. The database learns
// the key first (listed after the current one, as a replica would), so a
// restart with it current is accepted.
func keysAdd(ctx context.Context, cfg config.Config, e env) error {
	if cfg.MasterKey != "" {
		return errors.New("KOBO_MASTER_KEY is set: list a new key (kobo keys generate) after the current one and restart every replica, then put it first and restart them again")
	}
	path := keyFile(cfg)
	ks, err := vault.LoadOrCreateKeyFile(path)
	if err != nil {
		return err
	}
	k, err := vault.NewKey()
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	st, err := openStore(ctx, cfg, log, migrateAlways)
	if err != nil {
		return err
	}
	defer st.Close()
	learning, err := vault.New(append(slices.Clone(ks), k)...)
	if err != nil {
		return err
	}
	if err := app.VerifyMasterKey(ctx, st, kobo.SystemClock{}, learning); err != nil {
		return err
	}
	if err := vault.WriteKeyFile(path, append([][]byte{k}, ks...)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "key %s added to %s and made current; restart kobo, then run 'kobo keys rotate'\n", vault.KeyID(k), path)
	return nil
}

// keysRetire drops the key file's old keys once nothing is sealed under
// them.
func keysRetire(ctx context.Context, cfg config.Config, sealed *atrest.Store, vlt *vault.Vault, batch int, w io.Writer) error {
	old, err := keysStatus(ctx, sealed, vlt, batch, w)
	if err != nil {
		return err
	}
	if old > 0 {
		return fmt.Errorf("%d value(s) still need an old key; run 'kobo keys rotate' first", old)
	}
	if cfg.MasterKey != "" {
		fmt.Fprintln(w, "nothing needs the old keys: remove them from KOBO_MASTER_KEY and restart every replica")
		return nil
	}
	path := keyFile(cfg)
	ks, err := vault.LoadOrCreateKeyFile(path)
	if err != nil {
		return err
	}
	if err := vault.WriteKeyFile(path, ks[:1]); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s now holds only key %s; restart kobo\n", path, vault.KeyID(ks[0]))
	return nil
}

// keysRotateAPI rotates one app's API key for the operator, through the
// same app-layer rule as the dashboard and the Partner API
// (app.ParseOverlap, Service.RotateKey): the same overlaps, the same
// audit line, under the operator's name. Running replicas stop accepting
// a revoked key within their key cache's few seconds.
func keysRotateAPI(ctx context.Context, cfg config.Config, e env, args []string) error {
	fs := flag.NewFlagSet("keys rotate-api", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	appID := fs.String("app", "", "the app's id (required)")
	kind := fs.String("kind", "secret", "which key: secret, public or both")
	overlap := fs.String("overlap", "none", "how long the old key keeps working: none, 1h, 24h or 7d")
	mode := fs.String("mode", "", "test or live (default: the app's current mode)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appID == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	in := app.RotateInput{Mode: kobo.Mode(*mode)}
	switch *kind {
	case "secret":
		in.Kind = kobo.SecretKey
	case "public":
		in.Kind = kobo.PublicKey
	case "both":
	default:
		return fmt.Errorf("kind: must be secret, public or both")
	}
	d, err := app.ParseOverlap(*overlap)
	if err != nil {
		return fmt.Errorf("overlap: %s", kobo.ErrorMessage(err))
	}
	in.Overlap = d
	log := newLogger(cfg, e.stderr)
	st, err := build(ctx, cfg, log, kobo.SystemClock{})
	if err != nil {
		return err
	}
	defer st.close()
	res, err := st.svc.RotateKeyAsOperator(ctx, *appID, in)
	if err != nil {
		return err
	}
	m := in.Mode
	if m == "" {
		m = kobo.ModeOf(res.App.Live)
	}
	fmt.Fprintf(e.stdout, "rotated the %s %s of app %s (%s)\n", m, kindName(in.Kind), res.App.ID, res.App.Name)
	if pk, ok := res.PublicKeys[m]; ok && in.Kind != kobo.SecretKey {
		fmt.Fprintf(e.stdout, "new public key: %s\n", pk)
	}
	if sk, ok := res.SecretKeys[m]; ok {
		fmt.Fprintf(e.stdout, "new secret key: %s (shown once; the partner can rotate again on the dashboard to get one only they have seen)\n", sk.Reveal())
	}
	if d == 0 {
		fmt.Fprintln(e.stdout, "the old key is revoked; running replicas refuse it within a few seconds")
	} else {
		fmt.Fprintf(e.stdout, "the old key keeps working for %s\n", *overlap)
	}
	return nil
}

func kindName(k kobo.KeyKind) string {
	switch k {
	case kobo.SecretKey:
		return "secret key"
	case kobo.PublicKey:
		return "public key"
	}
	return "public and secret keys"
}
