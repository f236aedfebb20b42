package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/config"
)

// TestServeHelpListsEnvironment: `kobo serve -h` names every variable
// that configures kobo, as the README says it does.
func TestServeHelpListsEnvironment(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
	help := errOut.String()
	names := []string{"DATABASE_URL", "PORT"}
	for _, v := range config.EnvVars {
		names = append(names, regexp.MustCompile(`KOBO_[A-Z_]+`).FindAllString(v, -1)...)
	}
	for _, e := range config.EnvOnly {
		names = append(names, e.Name)
	}
	for _, want := range append(names, "KOBO_MASTER_KEY", "KOBO_REPLICA_ID", "KOBO_REQUEST_LOG", "KOBO_LEASE", "KOBO_TOKEN_TTL") {
		if !strings.Contains(help, want) {
			t.Errorf("serve -h does not name %s:\n%s", want, help)
		}
	}
}

// TestMigrateHelpShowsItsOwnFlags: migrate takes the database and
// logging flags, not the server's.
func TestMigrateHelpShowsItsOwnFlags(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"migrate", "-h"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
	help := errOut.String()
	for _, want := range []string{"--database-url", "--data-dir", "up", "status"} {
		if !strings.Contains(help, want) {
			t.Errorf("migrate -h lacks %s:\n%s", want, help)
		}
	}
	for _, not := range []string{"--addr", "--workers", "--lease", "--banksim-url", "--migrate", "--request-log", "KOBO_MASTER_KEY"} {
		if strings.Contains(help, not) {
			t.Errorf("migrate -h shows the server's %s:\n%s", not, help)
		}
	}
}
