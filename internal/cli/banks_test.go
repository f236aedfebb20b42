package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStandardBanksRefusesUnknownStandards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"obie":[{"id":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"obei":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := standardBanks(good, []string{"obie", "berlingroup"})
	if err != nil || string(got["obie"]) != `[{"id":"x"}]` {
		t.Fatalf("good file: %q, %v", got, err)
	}
	if _, err := standardBanks(bad, []string{"obie", "berlingroup"}); err == nil || !strings.Contains(err.Error(), `unknown standard "obei"`) {
		t.Fatalf("bad file: %v", err)
	}
	if got, err := standardBanks("", nil); err != nil || len(got) != 0 {
		t.Fatalf("no file: %v %v", got, err)
	}
}
