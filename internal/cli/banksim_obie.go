package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kobo-oss/kobo/internal/banksim"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
)

// obieFaceFlags adds `kobo banksim`'s flags for its UK Open Banking face
// and returns what starts it: with --obie-addr the same simulated bank
// is also served as an OBIE ASPSP over TLS with mTLS, a throwaway CA,
// TPP certificate and signing key are written to --obie-dir with a banks
// file naming them, so `KOBO_BANKS_FILE=<dir>/banks.json kobo serve`
// links banksim's users through the standard.
func obieFaceFlags(fs interface {
	String(name, value, usage string) *string
}) func(sim *banksim.Sim, stdout io.Writer) (stop func(), err error) {
	addr := fs.String("obie-addr", "", "also serve the OBIE (UK Open Banking) face over mTLS on this address (e.g. 127.0.0.1:9443)")
	dir := fs.String("obie-dir", "", "where the OBIE face writes its demo CA, TPP certificate, signing key and banks.json (default: a new temporary directory)")
	profile := fs.String("obie-profile", "v3.1", `the OBIE face's version: "v3.1" (3.1.11) or "v4.0"`)
	return func(sim *banksim.Sim, stdout io.Writer) (func(), error) {
		if *addr == "" {
			return func() {}, nil
		}
		prof, ok := obieface.ProfileOf(*profile)
		if !ok {
			return nil, fmt.Errorf("--obie-profile: %q is not v3.1 or v4.0", *profile)
		}
		d := *dir
		if d != "" {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, err
			}
		} else {
			var err error
			if d, err = os.MkdirTemp("", "banksim-obie-"); err != nil {
				return nil, err
			}
		}
		lb, err := obieface.StartLoopback(obieface.Config{Sim: sim, Profile: prof, Clients: map[string][]string{"kobo-demo": nil}}, *addr, d)
		if err != nil {
			return nil, fmt.Errorf("obie face: %w", err)
		}
		banks := filepath.Join(d, "banks.json")
		if err := os.WriteFile(banks, lb.BanksFile("banksim-uk", "banksim UK (Open Banking)", "kobo-demo"), 0o600); err != nil {
			lb.Close()
			return nil, err
		}
		fmt.Fprintf(stdout, "OBIE %s face listening on %s (mTLS)\n  banks file for kobo serve: KOBO_BANKS_FILE=%s\n", prof.Version, lb.URL, banks)
		return func() { lb.Close() }, nil
	}
}
