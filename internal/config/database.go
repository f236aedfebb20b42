package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// A database setting is read once into one of three shapes, so that a
// value that is none of them is refused at start instead of quietly
// becoming a SQLite file named after it (a libpq key=value DSN used to).
const (
	dbSQLite   = "sqlite"
	dbPostgres = "postgres"
)

// database is the parsed database setting.
type database struct {
	engine string // dbSQLite or dbPostgres
	path   string // SQLite file; "" means DataDir/kobo.db
	// show names the database without any secret: user, host, port and
	// database name for Postgres, the file for SQLite.
	show string
}

// errDatabaseForm is what Validate reports for a value of no known form. It
// never echoes the value: a mistyped DSN may still carry a password.
var errDatabaseForm = fmt.Errorf("database-url: not a PostgreSQL DSN (postgres://user@host/db, or key=value like 'host=db dbname=kobo user=kobo') " +
	"nor a SQLite path (sqlite:PATH, file:PATH, or a file path such as ./kobo.db or /var/lib/kobo/kobo.db)")

// parseDatabase classifies a DATABASE_URL / --database-url value.
func parseDatabase(d string) (database, error) {
	switch {
	case d == "":
		return database{engine: dbSQLite}, nil
	case strings.HasPrefix(d, "postgres://"), strings.HasPrefix(d, "postgresql://"):
		u, err := url.Parse(d)
		if err != nil {
			return database{}, fmt.Errorf("database-url: a postgres:// URL that does not parse (check that special characters in the password are %%-encoded)")
		}
		return database{engine: dbPostgres, show: showPostgres(u.User.Username(), u.Host, "", strings.TrimPrefix(u.Path, "/"), u.Query().Get("sslmode"))}, nil
	case strings.HasPrefix(d, "sqlite:"), strings.HasPrefix(d, "file:"):
		p := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(d, "sqlite:"), "file:"), "//")
		if p == "" || strings.ContainsAny(p, "?#") {
			return database{}, fmt.Errorf("database-url: %s needs a file path after the prefix (and no ?options)", d[:strings.Index(d, ":")+1])
		}
		return database{engine: dbSQLite, path: p, show: p}, nil
	case looksLikeKeyValue(d):
		kv, err := parseKeyValue(d)
		if err != nil {
			return database{}, err
		}
		return database{engine: dbPostgres, show: showPostgres(kv["user"], kv["host"], kv["port"], kv["dbname"], kv["sslmode"])}, nil
	case isFilePath(d):
		return database{engine: dbSQLite, path: d, show: d}, nil
	}
	return database{}, errDatabaseForm
}

// showPostgres names a Postgres database from its parts, never the
// password (which may sit in the URL's user info, its query or a key).
func showPostgres(user, host, port, dbname, sslmode string) string {
	var b strings.Builder
	b.WriteString("postgres://")
	if user != "" {
		b.WriteString(user + "@")
	}
	b.WriteString(host)
	if port != "" {
		b.WriteString(":" + port)
	}
	b.WriteString("/" + dbname)
	if sslmode != "" {
		b.WriteString("?sslmode=" + sslmode)
	}
	return b.String()
}

// looksLikeKeyValue: libpq's keyword/value form starts with a keyword and
// an equals sign ("host=db ..."); a file path never has "=" before its
// first separator.
func looksLikeKeyValue(d string) bool {
	d = strings.TrimLeftFunc(d, unicode.IsSpace)
	i := strings.IndexByte(d, '=')
	if i <= 0 {
		return false
	}
	for _, r := range strings.TrimRightFunc(d[:i], unicode.IsSpace) {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// parseKeyValue parses libpq's keyword = value list (values may be
// single-quoted, with \' and \\ escapes). Unknown keywords are refused,
// as libpq refuses them, so a typo fails at start.
func parseKeyValue(d string) (map[string]string, error) {
	kv := map[string]string{}
	s := d
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, fmt.Errorf("database-url: a key=value DSN with a word that is not key=value")
		}
		key := strings.TrimSpace(s[:eq])
		if !libpqKeywords[key] {
			return nil, fmt.Errorf("database-url: %q is not a PostgreSQL connection keyword", key)
		}
		s = strings.TrimLeftFunc(s[eq+1:], unicode.IsSpace)
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			closed := false
			for len(s) > 0 {
				c := s[0]
				s = s[1:]
				if c == '\\' && len(s) > 0 {
					val.WriteByte(s[0])
					s = s[1:]
					continue
				}
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("database-url: unterminated quoted value for %s", key)
			}
		} else {
			for len(s) > 0 && !unicode.IsSpace(rune(s[0])) {
				if s[0] == '\\' && len(s) > 1 {
					s = s[1:]
				}
				val.WriteByte(s[0])
				s = s[1:]
			}
		}
		kv[key] = val.String()
	}
	return kv, nil
}

// libpqKeywords are the connection parameters libpq (and pgx) accept.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true, "passfile": true,
	"channel_binding": true, "connect_timeout": true, "client_encoding": true, "options": true, "application_name": true,
	"fallback_application_name": true, "keepalives": true, "keepalives_idle": true, "keepalives_interval": true,
	"keepalives_count": true, "tcp_user_timeout": true, "replication": true, "gssencmode": true, "sslmode": true,
	"requiressl": true, "sslcompression": true, "sslcert": true, "sslkey": true, "sslpassword": true, "sslcertmode": true,
	"sslrootcert": true, "sslcrl": true, "sslcrldir": true, "sslsni": true, "sslnegotiation": true, "requirepeer": true,
	"ssl_min_protocol_version": true, "ssl_max_protocol_version": true, "krbsrvname": true, "gsslib": true,
	"gssdelegation": true, "service": true, "target_session_attrs": true, "load_balance_hosts": true,
	"search_path": true, "min_read_buffer_size": true, "pool_max_conns": true, "pool_min_conns": true,
	"pool_max_conn_lifetime": true, "pool_max_conn_idle_time": true, "pool_health_check_period": true,
	"pool_max_conn_lifetime_jitter": true, "pool_min_idle_conns": true,
}

// isFilePath accepts a bare SQLite file path only when it is plainly one:
// absolute or explicitly relative, or named like a database file.
func isFilePath(d string) bool {
	if strings.Contains(d, "://") || strings.ContainsAny(d, "=\n") {
		return false
	}
	for _, p := range []string{"/", "./", "../"} {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(d, ext) {
			return true
		}
	}
	return false
}
