package config

import (
	"strings"
	"testing"

	"github.com/kobo-oss/kobo/internal/kobo"
)

func TestDatabaseForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dsn, engine, path, show string
	}{
		{"", "sqlite", "d/kobo.db", "sqlite:d/kobo.db"},
		{"sqlite:/tmp/x.db", "sqlite", "/tmp/x.db", "sqlite:/tmp/x.db"},
		{"sqlite:///tmp/x.db", "sqlite", "/tmp/x.db", "sqlite:/tmp/x.db"},
		{"file:data/kobo.db", "sqlite", "data/kobo.db", "sqlite:data/kobo.db"},
		{"/var/lib/kobo.db", "sqlite", "/var/lib/kobo.db", "sqlite:/var/lib/kobo.db"},
		{"./kobo", "sqlite", "./kobo", "sqlite:./kobo"},
		{"kobo.sqlite3", "sqlite", "kobo.sqlite3", "sqlite:kobo.sqlite3"},
		{"postgres://kobo:hunter2@db:5432/kobo?sslmode=require", "postgres", "", "postgres://kobo@db:5432/kobo?sslmode=require"},
		{"postgresql://db/kobo?password=hunter2", "postgres", "", "postgres://db/kobo"},
		{"host=db port=5432 dbname=kobo user=kobo password=hunter2 sslmode=disable", "postgres", "", "postgres://kobo@db:5432/kobo?sslmode=disable"},
		{"  host = db dbname='my kobo' password='hunt\\'er2'", "postgres", "", "postgres://db/my kobo"},
	} {
		c := Default()
		c.DatabaseURL, c.DataDir = kobo.Secret(tc.dsn), "d"
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", tc.dsn, err)
			continue
		}
		if got := c.Engine(); got != tc.engine {
			t.Errorf("Engine(%q) = %q, want %q", tc.dsn, got, tc.engine)
		}
		if tc.engine == "sqlite" && c.SQLitePath() != tc.path {
			t.Errorf("SQLitePath(%q) = %q, want %q", tc.dsn, c.SQLitePath(), tc.path)
		}
		if got := c.Database(); got != tc.show || strings.Contains(got, "hunt") {
			t.Errorf("Database(%q) = %q, want %q", tc.dsn, got, tc.show)
		}
	}
}

// TestDatabaseRefusesUnknownForms: a value that is neither a Postgres DSN
// nor plainly a SQLite path is an error at start, and the error does not
// repeat the value (it may hold a password).
func TestDatabaseRefusesUnknownForms(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"mysql://kobo:hunter2@db/kobo",
		"kobo",                                 // a bare word: a typo, not a file anyone meant
		"host=db dbnmae=kobo password=hunter2", // misspelt keyword
		"host=db password='hunter2",            // unterminated quote
		"host=db dbname",                       // a word that is not key=value
		"sqlite:",
		"file:kobo.db?mode=ro",
	} {
		c := Default()
		c.DatabaseURL = kobo.Secret(dsn)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "database-url") {
			t.Errorf("Validate(%q) = %v, want a database-url error", dsn, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Validate(%q) leaks the password: %v", dsn, err)
		}
		if c.Engine() != "" {
			t.Errorf("Engine(%q) = %q, want none", dsn, c.Engine())
		}
	}
}

func FuzzDatabaseURL(f *testing.F) {
	for _, s := range []string{"", "postgres://u:p@h/d", "host=a password='x\\'y'", "sqlite:a.db", "./x", "k=v", "host='", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDatabase(s)
		if err != nil {
			return
		}
		if d.engine != dbSQLite && d.engine != dbPostgres {
			t.Fatalf("parseDatabase(%q) engine %q", s, d.engine)
		}
		if d.engine == dbPostgres && strings.Contains(s, "password=secretpw") && strings.Contains(d.show, "secretpw") {
			t.Fatalf("show leaks the password: %q", d.show)
		}
	})
}
