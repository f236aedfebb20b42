package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/kobo-oss/kobo/internal/config"
)

func migrate(ctx context.Context, e env) error {
	cfg := config.Default()
	cfg, err := cfg.FromEnv(e.getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: kobo migrate [flags] up|status\n\n  up      apply pending migrations\n  status  list applied and pending migrations (exit 1 if any are pending)\n\nFlags:")
		config.PrintUsage(e.stderr, fs, false)
	}
	cfg.MigrateFlags(fs)
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	cfg = cfg.WithDerived()
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	switch fs.Arg(0) {
	case "up":
		st, err := openStore(ctx, cfg, log, migrateAlways)
		if err != nil {
			return err
		}
		defer st.Close()
		// 0008 and later seal in Go what SQL cannot: plaintext an older
		// kobo stored goes under the master key before anything serves
		if _, err := os.Stat(keyFile(cfg)); cfg.MasterKey == "" && (cfg.Engine() == "postgres" || err != nil) {
			// without a key nothing can be sealed here (and migrate makes
			// none); kobo serve seals what is left when it starts, and
			// reads accept it until then
			fmt.Fprintln(e.stdout, "no master key yet: stored personal data will be sealed when kobo serve starts")
		} else {
			vlt, err := openVault(cfg, st.Engine())
			if err != nil {
				return err
			}
			if _, err := sealStore(ctx, st, vlt, log); err != nil {
				return err
			}
		}
		stt, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s database %s is at version %d; nothing pending\n", st.Engine(), cfg.Database(), len(stt.Applied))
		return nil
	case "status":
		st, err := openStore(ctx, cfg, log, migrateNever)
		if err != nil {
			return err
		}
		defer st.Close()
		stt, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "engine   %s\ndatabase %s\n", st.Engine(), cfg.Database())
		for _, m := range stt.Applied {
			fmt.Fprintf(e.stdout, "applied  %04d_%s  %s  %s\n", m.Version, m.Name, m.Checksum[:12], m.AppliedAt.Format("2006-01-02T15:04:05Z"))
		}
		for _, m := range stt.Pending {
			fmt.Fprintf(e.stdout, "pending  %04d_%s  %s\n", m.Version, m.Name, m.Checksum[:12])
		}
		if len(stt.Pending) > 0 {
			return fmt.Errorf("%d migration(s) pending; run 'kobo migrate up'", len(stt.Pending))
		}
		return nil
	default:
		fs.Usage()
		return errUsage
	}
}
