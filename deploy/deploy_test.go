// Package deploy_test checks the container files at the repository root
// (Dockerfile, compose.yaml) and the load balancer's configuration here
// without a Docker daemon: they are code too, and a compose file naming a
// service, port or variable that does not exist fails only when someone
// runs it. .ci/run builds the image when a daemon is reachable.
package deploy_test

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type service struct {
	Build       any               `yaml:"build"`
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   any               `yaml:"depends_on"`
}

func loadCompose(t *testing.T) map[string]service {
	t.Helper()
	b, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]service `yaml:"services"`
		Volumes  map[string]any     `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return f.Services
}

// interpolate expands compose's ${NAME:-default} to its default and
// ${NAME:?message} to a stand-in, as compose does with NAME unset (or, for
// :?, set by the operator).
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{([A-Z_]+)(?::-([^}]*)|:\?[^}]*)?\}`).ReplaceAllStringFunc(s, func(m string) string {
		sub := regexp.MustCompile(`\$\{([A-Z_]+)(?::-([^}]*)|(:\?[^}]*))?\}`).FindStringSubmatch(m)
		if sub[3] != "" {
			return "operator-" + strings.ToLower(sub[1])
		}
		return sub[2]
	})
}

// flagValue returns the value after name in a command.
func flagValue(cmd []string, name string) string {
	if i := slices.Index(cmd, name); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

func TestCompose(t *testing.T) {
	t.Parallel()
	svcs := loadCompose(t)
	for _, name := range []string{"postgres", "banksim", "migrate", "kobo-1", "kobo-2", "kobo-3", "lb"} {
		if _, ok := svcs[name]; !ok {
			t.Fatalf("no %s service", name)
		}
	}
	pg := svcs["postgres"]
	if !strings.HasPrefix(pg.Image, "postgres:") {
		t.Errorf("postgres image %q", pg.Image)
	}
	bank := svcs["banksim"]
	if bank.Image != "kobo:local" || len(bank.Command) == 0 || bank.Command[0] != "banksim" {
		t.Errorf("banksim runs %q %v, want kobo banksim", bank.Image, bank.Command)
	}
	bankAddr := flagValue(bank.Command, "--addr")
	_, bankPort, _ := strings.Cut(bankAddr, ":")
	if !strings.HasPrefix(bankAddr, "0.0.0.0:") {
		t.Errorf("banksim listens on %q, not reachable from the replicas", bankAddr)
	}
	if m := svcs["migrate"]; !slices.Equal(m.Command, []string{"migrate", "up"}) || m.Image != "kobo:local" {
		t.Errorf("migrate service: %v %v", m.Image, m.Command)
	}

	// the replicas: one image, one database, one bank, one key, one public
	// URL, a name each
	ids := map[string]bool{}
	var upstreams []string
	for _, name := range []string{"kobo-1", "kobo-2", "kobo-3"} {
		s := svcs[name]
		env := s.Environment
		if s.Image != "kobo:local" || s.Build == nil || !slices.Equal(s.Command, []string{"serve"}) {
			t.Errorf("%s: image %q build %v command %v", name, s.Image, s.Build, s.Command)
		}
		db, err := url.Parse(interpolate(env["DATABASE_URL"]))
		if err != nil || db.Scheme != "postgres" || db.Hostname() != "postgres" || db.Path != "/kobo" {
			t.Errorf("%s: DATABASE_URL %q does not name the postgres service's kobo database", name, env["DATABASE_URL"])
		}
		if pw, _ := db.User.Password(); db.User.Username() != pg.Environment["POSTGRES_USER"] || pw != interpolate(pg.Environment["POSTGRES_PASSWORD"]) {
			t.Errorf("%s: connects as %q, postgres creates %q", name, db.User, pg.Environment["POSTGRES_USER"])
		}
		if bu, err := url.Parse(interpolate(env["KOBO_BANKSIM_URL"])); err != nil || bu.Hostname() != "banksim" || bu.Port() != bankPort {
			t.Errorf("%s: KOBO_BANKSIM_URL %q is not the banksim service on port %s", name, env["KOBO_BANKSIM_URL"], bankPort)
		}
		if !strings.Contains(env["KOBO_MASTER_KEY"], "${KOBO_MASTER_KEY") {
			t.Errorf("%s: KOBO_MASTER_KEY %q is not taken from the operator's environment", name, env["KOBO_MASTER_KEY"])
		}
		if env["KOBO_MASTER_KEY"] != svcs["kobo-1"].Environment["KOBO_MASTER_KEY"] || env["KOBO_PUBLIC_URL"] != svcs["kobo-1"].Environment["KOBO_PUBLIC_URL"] {
			t.Errorf("%s: the replicas do not share the master key and public URL", name)
		}
		if ids[env["KOBO_REPLICA_ID"]] || env["KOBO_REPLICA_ID"] != name {
			t.Errorf("%s: KOBO_REPLICA_ID %q", name, env["KOBO_REPLICA_ID"])
		}
		ids[env["KOBO_REPLICA_ID"]] = true
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes %v: only the balancer should", name, s.Ports)
		}
		_, port, _ := strings.Cut(env["KOBO_ADDR"], ":")
		if !strings.HasPrefix(env["KOBO_ADDR"], "0.0.0.0:") {
			t.Errorf("%s: KOBO_ADDR %q", name, env["KOBO_ADDR"])
		}
		upstreams = append(upstreams, name+":"+port)
		for k := range env {
			if !knownVariable(t, k) {
				t.Errorf("%s sets %s, which kobo does not read", name, k)
			}
		}
	}
	if m := svcs["migrate"].Environment["DATABASE_URL"]; m != svcs["kobo-1"].Environment["DATABASE_URL"] {
		t.Errorf("migrate uses another database: %q", m)
	}

	// the balancer: nginx with the config in this directory, routing to
	// exactly the replicas, on the port it publishes
	lb := svcs["lb"]
	if !strings.HasPrefix(lb.Image, "nginx:") || len(lb.Volumes) != 1 || !strings.HasPrefix(lb.Volumes[0], "./deploy/nginx.conf:/etc/nginx/nginx.conf") {
		t.Fatalf("lb: %q %v", lb.Image, lb.Volumes)
	}
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var servers []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9-]+:\d+)`).FindAllStringSubmatch(string(conf), -1) {
		servers = append(servers, m[1])
	}
	if !slices.Equal(servers, upstreams) {
		t.Errorf("nginx upstreams %v, want the replicas %v", servers, upstreams)
	}
	listen := regexp.MustCompile(`(?m)^\s*listen\s+(\d+);`).FindStringSubmatch(string(conf))
	if listen == nil || len(lb.Ports) != 1 || !strings.HasSuffix(lb.Ports[0], ":"+listen[1]) {
		t.Errorf("lb publishes %v, nginx listens on %v", lb.Ports, listen)
	}
	if pu, err := url.Parse(interpolate(svcs["kobo-1"].Environment["KOBO_PUBLIC_URL"])); err != nil ||
		len(lb.Ports) == 1 && !strings.HasPrefix(lb.Ports[0], pu.Port()+":") {
		t.Errorf("KOBO_PUBLIC_URL %q is not the balancer's published port %v", svcs["kobo-1"].Environment["KOBO_PUBLIC_URL"], lb.Ports)
	}
}

// knownVariable reports whether kobo serve reads the variable, from the
// help of the configuration package (read as text: a test of this
// package must not import kobo's internals to stay a check of the files).
func knownVariable(t *testing.T, name string) bool {
	t.Helper()
	b, err := os.ReadFile("../internal/config/ops.go")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), name)
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("not a multi-stage build: %v", froms)
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/kobo", "cli.Version=", "cli.Commit="} {
		if !strings.Contains(df[:strings.LastIndex(df, "\nFROM ")], want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(final)
	if user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
		t.Errorf("the image runs as %v, want a non-root user", user)
	}
	for _, want := range []string{"VOLUME /data", "KOBO_DATA_DIR=/data", `ENTRYPOINT ["/usr/local/bin/kobo"]`, "COPY LICENSE NOTICE"} {
		if !strings.Contains(final, want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
	// the compose services build this Dockerfile
	for name, s := range loadCompose(t) {
		if s.Build != nil && s.Build != "." {
			t.Errorf("%s builds %v", name, s.Build)
		}
	}
}
