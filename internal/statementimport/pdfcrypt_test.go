package statementimport

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// lock encrypts a PDF the way banks send statements: a user password to
// open it, an owner password the customer never sees.
func lock(t testing.TB, data []byte, aes bool, keyLength int, user string) []byte {
	t.Helper()
	conf := pdfcpuConfig(user)
	conf.OwnerPW = "bank-owner-secret"
	conf.EncryptUsingAES = aes
	conf.EncryptKeyLength = keyLength
	conf.Cmd = model.ENCRYPT
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(data), &out, conf); err != nil {
		t.Fatalf("encrypting: %v", err)
	}
	return out.Bytes()
}

func TestPDFLockedStatements(t *testing.T) {
	fx := makeFx(fxBanks()["gtbank"], 60, 1, 3)
	plain := fx.render(t, fxOpts{})
	for _, c := range []struct {
		name string
		aes  bool
		bits int
	}{{"rc4-40", false, 40}, {"rc4-128", false, 128}, {"aes-128", true, 128}, {"aes-256", true, 256}} {
		t.Run(c.name, func(t *testing.T) {
			locked := lock(t, plain, c.aes, c.bits, "0123")
			if bytes.Equal(locked, plain) || !bytes.Contains(locked, []byte("/Encrypt")) {
				t.Fatal("the fixture is not locked")
			}
			if _, err := parsePDF(t, locked, Options{}); !errors.Is(err, ErrPasswordRequired) {
				t.Fatalf("no password: %v, want ErrPasswordRequired", err)
			}
			if _, err := parsePDF(t, locked, Options{Password: "9999"}); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: %v, want ErrWrongPassword", err)
			}
			st, err := parsePDF(t, locked, Options{Password: "0123"})
			if err != nil {
				t.Fatal(err)
			}
			if !st.PDF.Encrypted {
				t.Error("PDFInfo.Encrypted is false for a locked file")
			}
			checkRows(t, fx, st)

			// locked with an owner password only: opens without asking
			open := lock(t, plain, c.aes, c.bits, "")
			st, err = parsePDF(t, open, Options{})
			if err != nil {
				t.Fatalf("owner-password-only file: %v", err)
			}
			if !st.PDF.Encrypted {
				t.Error("PDFInfo.Encrypted is false for an owner-locked file")
			}
			checkRows(t, fx, st)
		})
	}
	st, err := parsePDF(t, plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.PDF.Encrypted {
		t.Error("PDFInfo.Encrypted is true for an open file")
	}
}
