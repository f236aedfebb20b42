package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/kobo-oss/kobo/internal/banksim"
	bgface "github.com/kobo-oss/kobo/internal/banksim/berlingroup"
)

// berlinGroupFaceFlags adds `kobo banksim`'s flags for its Berlin Group
// NextGenPSD2 face, as obieFaceFlags does for OBIE: with
// --berlingroup-addr the simulated bank is also served as an XS2A ASPSP
// (1.3.11, every SCA approach) over TLS with mTLS; a throwaway CA, the
// TPP's QWAC and QSealC are written to --berlingroup-dir with a banks
// file of two entries (redirect/OAuth, embedded/decoupled) naming them.
// With --berlingroup-signing the face refuses unsigned requests and the
// entries sign.
func berlinGroupFaceFlags(fs *flag.FlagSet) startFace {
	addr := fs.String("berlingroup-addr", "", "also serve the Berlin Group NextGenPSD2 face over mTLS on this address (e.g. 127.0.0.1:9444)")
	dir := fs.String("berlingroup-dir", "", "where the Berlin Group face writes its demo CA, TPP certificates and banks.json (default: a new temporary directory)")
	signing := fs.Bool("berlingroup-signing", false, "the Berlin Group face requires signed requests (Digest, Signature, TPP-Signature-Certificate)")
	return func(sim *banksim.Sim, stdout io.Writer) (func(), map[string]json.RawMessage, error) {
		if *addr == "" {
			return func() {}, nil, nil
		}
		d, err := faceDir(*dir, "banksim-berlingroup-")
		if err != nil {
			return nil, nil, err
		}
		lb, err := bgface.StartLoopback(bgface.Config{Sim: sim}, *addr, d, *signing)
		if err != nil {
			return nil, nil, fmt.Errorf("berlingroup face: %w", err)
		}
		path, banks, err := writeBanks(d, lb.BanksFile("banksim-xs2a", "banksim XS2A", "kobo-demo"))
		if err != nil {
			lb.Close()
			return nil, nil, err
		}
		signed := ""
		if *signing {
			signed = ", signed requests required"
		}
		fmt.Fprintf(stdout, "Berlin Group NextGenPSD2 1.3.11 face listening on %s (mTLS%s)\n  banks file for kobo serve: KOBO_BANKS_FILE=%s\n", lb.URL, signed, path)
		return func() { lb.Close() }, banks, nil
	}
}
