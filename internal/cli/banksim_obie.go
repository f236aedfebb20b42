package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kobo-oss/kobo/internal/banksim"
	obieface "github.com/kobo-oss/kobo/internal/banksim/obie"
)

// startFace starts one of `kobo banksim`'s standard faces (when its
// address flag is set) and returns what stops it and its entries of a
// banks file, by standard.
type startFace func(sim *banksim.Sim, stdout io.Writer) (stop func(), banks map[string]json.RawMessage, err error)

// faceDir is a face's --*-dir: made when missing, a new temporary
// directory when not given.
func faceDir(dir, pattern string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", pattern)
	}
	return dir, os.MkdirAll(dir, 0o700)
}

// writeBanks writes a face's own banks file and returns its entries.
func writeBanks(dir string, file []byte) (string, map[string]json.RawMessage, error) {
	var banks map[string]json.RawMessage
	if err := json.Unmarshal(file, &banks); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "banks.json")
	return path, banks, writeFileAtomic(path, file)
}

// writeFileAtomic writes a file whole or not at all (a rename), so a
// script waiting for a banks file never reads half of one.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// obieFaceFlags adds `kobo banksim`'s flags for its UK Open Banking face
// and returns what starts it: with --obie-addr the same simulated bank
// is also served as an OBIE ASPSP over TLS with mTLS, a throwaway CA,
// TPP certificate and signing key are written to --obie-dir with a banks
// file naming them, so `KOBO_BANKS_FILE=<dir>/banks.json kobo serve`
// links banksim's users through the standard.
func obieFaceFlags(fs *flag.FlagSet) startFace {
	addr := fs.String("obie-addr", "", "also serve the OBIE (UK Open Banking) face over mTLS on this address (e.g. 127.0.0.1:9443)")
	dir := fs.String("obie-dir", "", "where the OBIE face writes its demo CA, TPP certificate, signing key and banks.json (default: a new temporary directory)")
	profile := fs.String("obie-profile", "v3.1", `the OBIE face's version: "v3.1" (3.1.11) or "v4.0"`)
	return func(sim *banksim.Sim, stdout io.Writer) (func(), map[string]json.RawMessage, error) {
		if *addr == "" {
			return func() {}, nil, nil
		}
		prof, ok := obieface.ProfileOf(*profile)
		if !ok {
			return nil, nil, fmt.Errorf("--obie-profile: %q is not v3.1 or v4.0", *profile)
		}
		d, err := faceDir(*dir, "banksim-obie-")
		if err != nil {
			return nil, nil, err
		}
		lb, err := obieface.StartLoopback(obieface.Config{Sim: sim, Profile: prof, Clients: map[string][]string{"kobo-demo": nil}}, *addr, d)
		if err != nil {
			return nil, nil, fmt.Errorf("obie face: %w", err)
		}
		path, banks, err := writeBanks(d, lb.BanksFile("banksim-uk", "banksim UK (Open Banking)", "kobo-demo"))
		if err != nil {
			lb.Close()
			return nil, nil, err
		}
		fmt.Fprintf(stdout, "OBIE %s face listening on %s (mTLS)\n  banks file for kobo serve: KOBO_BANKS_FILE=%s\n", prof.Version, lb.URL, path)
		return func() { lb.Close() }, banks, nil
	}
}
