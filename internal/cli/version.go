package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what a binary knows about how it was built: the version
// (-ldflags -X .../cli.Version=v1.2.3, or the module version with go
// install module@version), the VCS commit and time the go command stamps
// into builds from a checkout, and the toolchain.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"`
	BuiltAt   string `json:"commit_time,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Commit is set at build time when the go command cannot stamp it (a
// Docker build without .git, -buildvcs=false): -ldflags "-X
// github.com/kobo-oss/kobo/internal/cli.Commit=$(git rev-parse HEAD)".
var Commit = ""

func readBuildInfo() buildInfo {
	b := buildInfo{Version: Version, Commit: cmp.Or(Commit, "unknown"), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "vcs.time":
			b.BuiltAt = s.Value
		}
	}
	return b
}

// fullVersion is the one-line form for logs and banners: version, short
// commit, toolchain.
func fullVersion() string {
	b := readBuildInfo()
	v := b.Version
	if b.Commit != "unknown" {
		dirty := ""
		if b.Modified {
			dirty = "-dirty"
		}
		v += " (" + b.Commit[:min(12, len(b.Commit))] + dirty + ")"
	}
	return strings.TrimSpace(v + " " + b.GoVersion)
}

func version(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print the build information as JSON")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	b := readBuildInfo()
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(b)
	}
	commit := b.Commit
	if b.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(e.stdout, "kobo %s\n  commit    %s\n", b.Version, commit)
	if b.BuiltAt != "" {
		fmt.Fprintf(e.stdout, "  committed %s\n", b.BuiltAt)
	}
	fmt.Fprintf(e.stdout, "  go        %s\n  platform  %s\n", b.GoVersion, b.Platform)
	return nil
}
