package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/config"
	"github.com/kobo-oss/kobo/internal/kobo"
)

const adminUsage = `Usage: kobo admin [flags] <command>

  partners                                  partners and their apps, with holds, add-ons and linked accounts
  addons requests                           add-on requests waiting for a decision
  addons approve|deny|revoke APP [--addon headless_connect] [--note TEXT]
                                            decide an app's add-on (approve also grants without a request)
  suspend partner|app ID [--reason TEXT]    a suspended partner cannot log in; a suspended app's keys get 403
  reinstate partner|app ID                  lift the hold
  institutions                              every institution's live status, error rate and last error, and notes
  institutions note INSTITUTION --note TEXT [--status degraded|down]
                                            the note partners and customers see (planned maintenance, an outage),
                                            in place of kobo's own; --status also overrides kobo's status
  institutions clear INSTITUTION            remove the note: kobo's own status and note show again
  golive policy [automatic|review]          show or set how apps go live (the setting is in the database)
  golive requests                           go-live submissions waiting for review, with business details
  golive approve APP | golive reject APP --reason TEXT
                                            decide a submission (the partner sees the reason)

Every action is written to the partner's audit log as the operator. The
same actions are on the admin listener's console (/console). Holds and
decisions apply on every replica from its next request; institution notes
within seconds. INSTITUTION is an id or a name (GTBank).`

// admin is the deployment operator's command line: the console's actions,
// straight on the database.
func admin(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(e.stderr, adminUsage); fs.PrintDefaults() }
	cfg, err := config.Default().FromEnv(e.getenv)
	if err != nil {
		return err
	}
	cfg.Flags(fs)
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	cfg = cfg.WithDerived()
	if err := cfg.Validate(); err != nil {
		return err
	}
	args := fs.Args()
	if len(args) == 0 {
		fs.Usage()
		return errUsage
	}
	sub := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	sub.SetOutput(e.stderr)
	sub.Usage = func() { fmt.Fprintln(e.stderr, adminUsage) }
	addon := sub.String("addon", kobo.AddonHeadlessConnect, "the add-on")
	note := sub.String("note", "", "the operator's note on the decision (shown to the partner)")
	reason := sub.String("reason", "", "why (kept with the hold and in the audit log)")
	status := sub.String("status", "", "an institution's status to show: degraded or down (empty keeps kobo's own)")
	// positional words first, then flags (flag stops at the first word)
	var words []string
	rest := args[1:]
	for len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		words, rest = append(words, rest[0]), rest[1:]
	}
	if err := sub.Parse(rest); err != nil {
		return err
	}
	words = append(words, sub.Args()...)
	switch {
	case args[0] == "partners" && len(words) == 0:
	case args[0] == "addons" && len(words) == 1 && words[0] == "requests":
	case args[0] == "institutions" && (len(words) == 0 || len(words) == 2 && (words[0] == "note" || words[0] == "clear")):
	case (args[0] == "addons" || args[0] == "suspend" || args[0] == "reinstate") && len(words) == 2:
	case args[0] == "golive" && len(words) >= 1 && len(words) <= 2:
	default:
		fs.Usage()
		return errUsage
	}
	log := newLogger(cfg, e.stderr)
	st, err := build(ctx, cfg, log, kobo.SystemClock{})
	if err != nil {
		return err
	}
	defer st.close()
	svc := st.svc
	switch args[0] {
	case "partners":
		list, err := svc.OperatorPartners(ctx, "", 500)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "PARTNER\tEMAIL\tAPP\tMODE\tACCOUNTS (SANDBOX/LIVE)\tUSAGE (%d DAYS)\tADD-ONS\tHOLD\n", app.OperatorUsageDays)
		for _, p := range list {
			hold := ""
			if p.Suspended != nil {
				hold = "partner suspended"
			}
			if len(p.Apps) == 0 {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t%s\n", p.Partner.ID, p.Partner.Email, hold)
			}
			for _, a := range p.Apps {
				ad := ""
				for _, x := range a.Addons {
					ad += x.Addon + "=" + string(x.Status) + " "
				}
				h := hold
				if a.Suspended != nil {
					h = "app suspended"
				}
				u := a.Usage
				fmt.Fprintf(tw, "%s\t%s\t%s (%s)\t%s\t%d/%d\tcalls=%d errors=%d links=%d syncs=%d webhooks=%d\t%s\t%s\n", p.Partner.ID, p.Partner.Email, a.App.ID, a.App.Name,
					kobo.ModeOf(a.App.Live), a.AccountsTest, a.AccountsLive, u.Calls, u.Errors, u.Links, u.Syncs, u.Webhooks, cmpOr(ad, "-"), h)
			}
		}
		return tw.Flush()
	case "addons":
		if words[0] == "requests" {
			list, err := svc.PendingAddons(ctx)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stdout, "no add-on requests are waiting")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUESTED\tAPP\tPARTNER\tADD-ON\tREASON")
			for _, p := range list {
				fmt.Fprintf(tw, "%s\t%s (%s)\t%s\t%s\t%s\n", p.RequestedAt.Format("2006-01-02 15:04"), p.App.ID, p.App.Name, p.Partner.Email, p.Addon, p.Reason)
			}
			return tw.Flush()
		}
		to := map[string]kobo.AddonStatus{"approve": kobo.AddonApproved, "deny": kobo.AddonDenied, "revoke": kobo.AddonRevoked}[words[0]]
		if to == "" {
			fs.Usage()
			return errUsage
		}
		a, err := svc.DecideAddon(ctx, words[1], *addon, to, *note)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s for app %s is now %s\n", a.Addon, a.AppID, a.Status)
		return nil
	case "institutions":
		return adminInstitutions(ctx, e, svc, words, *status, *note)
	}
	if args[0] == "golive" {
		return adminGoLive(ctx, e, svc, words, *reason)
	}
	kind := words[0]
	if kind != kobo.SuspendPartner && kind != kobo.SuspendApp {
		return fmt.Errorf("%s: say partner or app, then the id", args[0])
	}
	if args[0] == "suspend" {
		err = svc.Suspend(ctx, kind, words[1], *reason)
	} else {
		err = svc.Reinstate(ctx, kind, words[1])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s %s\n", kind, words[1], map[string]string{"suspend": "suspended", "reinstate": "reinstated"}[args[0]])
	return nil
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// adminInstitutions lists institutions with their live health, or sets
// or clears an operator's note.
func adminInstitutions(ctx context.Context, e env, svc *app.Service, words []string, status, note string) error {
	if len(words) == 2 {
		if words[0] == "clear" {
			if err := svc.ClearInstitutionNote(ctx, words[1]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "the note on %s is cleared\n", words[1])
			return nil
		}
		n, err := svc.SetInstitutionNote(ctx, words[1], status, note)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s now shows %q (status %s)\n", words[1], n.Note, cmpOr(n.Status, "kobo's own"))
		return nil
	}
	list, err := svc.OperatorInstitutions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTITUTION\tNAME\tSTATUS\tCALLS (15 MIN)\tERRORS\tLAST ERROR\tNOTE")
	for _, x := range list {
		last := "-"
		if x.LastErrorAt != nil {
			last = x.LastErrorAt.Format("2006-01-02 15:04")
		}
		st := x.Status
		if x.Operator != nil && x.Operator.Status != "" {
			st += " (operator)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", x.Institution.ID, x.Institution.Name, st, x.Calls, x.Errors, last, cmpOr(x.Note, "-"))
	}
	return tw.Flush()
}

func adminGoLive(ctx context.Context, e env, svc *app.Service, words []string, reason string) error {
	switch {
	case words[0] == "policy":
		if len(words) == 2 {
			if err := svc.SetGoLivePolicy(ctx, words[1]); err != nil {
				return err
			}
		}
		p, set, err := svc.GoLivePolicy(ctx)
		if err != nil {
			return err
		}
		from := "the configured default (KOBO_GOLIVE_POLICY)"
		if set != nil {
			from = "set by " + set.UpdatedBy + " at " + set.UpdatedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(e.stdout, "go-live policy: %s (%s)\n", p, from)
		return nil
	case words[0] == "requests" && len(words) == 1:
		list, err := svc.PendingGoLives(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no go-live reviews are waiting")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SUBMITTED\tAPP\tPARTNER\tLEGAL NAME\tREGISTRATION\tCOUNTRY\tWEBSITE\tCONTACT\tUSE CASE")
		for _, p := range list {
			fmt.Fprintf(tw, "%s\t%s (%s)\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.SubmittedAt.Format("2006-01-02 15:04"), p.App.ID, p.App.Name, p.Partner.Email,
				p.LegalName, p.RegistrationNumber, p.Country, p.Website, p.ContactEmail, p.UseCase)
		}
		return tw.Flush()
	case (words[0] == "approve" || words[0] == "reject") && len(words) == 2:
		r, err := svc.DecideGoLive(ctx, words[1], words[0] == "approve", reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "go-live of app %s is now %s\n", r.AppID, r.Status)
		return nil
	}
	fmt.Fprintln(e.stderr, adminUsage)
	return errUsage
}
