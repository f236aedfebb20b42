// Package cli is kobo's command line and the one place that wires concrete
// types together: it reads the configuration, opens the store for the
// configured engine, builds the app service, mounts the HTTP handlers,
// starts the listeners and background workers, and shuts them down in
// order. cmd/kobo is a thin wrapper around Main, and end-to-end tests call
// Main in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/kobo-oss/kobo/internal/bench"
)

// Version is set at build time with -ldflags "-X github.com/kobo-oss/kobo/internal/cli.Version=v1.2.3".
var Version = "dev"

// env carries what a command needs from its process.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, e env) error
}

func commands() []command {
	return []command{
		{"serve", "run the platform (API, widget, dashboard, jobs, sandbox bank)", serve},
		{"demo", "a 30-second scripted tour against an in-process kobo (signup to unlink)", demo},
		{"migrate", "apply or inspect database migrations (migrate up | migrate status)", migrate},
		{"admin", "the deployment operator: partners and apps, add-on requests (approve, deny, revoke), suspend and reinstate", admin},
		{"keys", "master key: status, rotate (re-seal everything online), add, retire, generate; rotate-api: an app's API key, with an overlap", keys},
		{"banks", "the certificates and keys kobo holds as a TPP at banks, sealed in the database: import-cert, list-certs, delete-cert", banksCmd},
		{"banksim", "run the sandbox bank alone (for --banksim-url and tests over HTTP)", banksimCmd},
		{"bench", "run the benchmarks and print ratios against same-run baselines", benchCmd},
		{"version", "print the version", version},
	}
}

// errUsage marks a usage error already explained to the user.
var errUsage = errors.New("usage")

// Main runs kobo with args (without the program name) and returns the exit
// code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr})
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
			return 2
		default:
			fmt.Fprintf(stderr, "kobo %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "kobo: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kobo: self-hostable open-banking data platform (Mono-compatible API)")
	fmt.Fprintln(w, "\nUsage: kobo <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'kobo <command> -h' for a command's flags.")
}

func benchCmd(ctx context.Context, e env) error { return bench.Main(ctx, e.args, e.stdout, e.stderr) }
