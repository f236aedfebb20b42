package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kobo-oss/kobo/internal/app"
	"github.com/kobo-oss/kobo/internal/kobo"
)

// ---- accounts of partners -----------------------------------------------

func (d *Dashboard) signupForm(q *request) error {
	q.v.Title = "Create your kobo account"
	q.v.Data["Next"] = q.r.URL.Query().Get("next")
	d.render(q, "signup")
	return nil
}

func (d *Dashboard) signup(q *request) error {
	f := q.r.PostForm
	q.v.Form = f
	// one step: a signup that is throttled writes nothing, and one that
	// succeeds is logged in without a second, separately throttled login
	tok, err := d.app.SignupSession(q.r.Context(), app.SignupInput{Name: f.Get("name"), Email: f.Get("email"), Password: kobo.Secret(f.Get("password")), ClientIP: clientIP(q.r)}, "dashboard")
	if err == nil {
		d.setSession(q.w, tok)
		q.partner = tok.Partner // the welcome rides a one-time flash, so a refresh does not repeat it
		if next := safeNext(f.Get("next")); next != "/dashboard/" {
			return d.redirect(q, next, "")
		}
		return d.redirect(q, "/dashboard/", "welcome")
	}
	switch kobo.ErrorCode(err) {
	case kobo.ECONFLICT:
		q.v.Fields["email"] = "already has an account; log in instead"
		q.v.Error = "That email already has an account."
		q.w.WriteHeader(http.StatusConflict)
	case kobo.ERATELIMIT, kobo.EUNAVAILABLE:
		status, msg := busy(q, err)
		q.v.Error = msg
		q.w.WriteHeader(status)
	default:
		if !fieldErrors(q, err) {
			return err
		}
	}
	q.v.Title = "Create your kobo account"
	q.v.Data["Next"] = f.Get("next")
	d.render(q, "signup")
	return nil
}

func (d *Dashboard) loginForm(q *request) error {
	q.v.Title = "Log in to kobo"
	q.v.Data["Next"] = safeNext(q.r.URL.Query().Get("next"))
	d.render(q, "login")
	return nil
}

// safeNext keeps post-login redirects inside the dashboard.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/dashboard/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/dashboard/"
}

func (d *Dashboard) login(q *request) error {
	f := q.r.PostForm
	q.v.Form = f
	tok, err := d.app.Login(q.r.Context(), f.Get("email"), kobo.Secret(f.Get("password")), clientIP(q.r), "dashboard")
	if err == nil {
		d.setSession(q.w, tok)
		return d.redirect(q, safeNext(f.Get("next")), "")
	}
	switch kobo.ErrorCode(err) {
	case kobo.EUNAUTHORIZED:
		q.v.Error = "That email and password do not match an account."
		q.w.WriteHeader(http.StatusUnauthorized)
	case kobo.ERATELIMIT, kobo.EUNAVAILABLE:
		status, msg := busy(q, err)
		q.v.Error = msg
		q.w.WriteHeader(status)
	default:
		if !fieldErrors(q, err) {
			return err
		}
	}
	q.v.Title = "Log in to kobo"
	q.v.Data["Next"] = safeNext(f.Get("next"))
	d.render(q, "login")
	return nil
}

func (d *Dashboard) logout(q *request) error {
	if c, err := q.r.Cookie(sessionCookie); err == nil {
		_ = d.app.Logout(q.r.Context(), c.Value)
	}
	d.clearSession(q.w)
	return d.redirect(q, "/dashboard/login", "logged-out")
}

func (d *Dashboard) passwordForm(q *request) error {
	q.v.Title, q.v.Nav = "Change password", "account"
	d.render(q, "password")
	return nil
}

func (d *Dashboard) changePassword(q *request) error {
	f := q.r.PostForm
	tok, err := d.app.ChangePassword(q.r.Context(), q.partner.ID, q.token, kobo.Secret(f.Get("current")), kobo.Secret(f.Get("password")), "dashboard")
	if err == nil {
		d.setSession(q.w, tok) // every other session was signed out
		return d.redirect(q, "/dashboard/", "password-changed")
	}
	switch kobo.ErrorCode(err) {
	case kobo.ERATELIMIT, kobo.EUNAVAILABLE:
		status, msg := busy(q, err)
		q.v.Error = msg
		q.w.WriteHeader(status)
	default:
		if fieldErrors(q, err) {
			// the form names the field "current"
			if m, ok := q.v.Fields["current_password"]; ok {
				q.v.Fields["current"] = m
			}
			break
		}
		return err
	}
	q.v.Title, q.v.Nav = "Change password", "account"
	d.render(q, "password")
	return nil
}

// ---- apps ----------------------------------------------------------------

func (d *Dashboard) home(q *request) error {
	c, err := q.r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return d.redirect(q, "/dashboard/login", "")
	}
	return d.authed(func(q *request) error {
		q.v.Title, q.v.Nav = "Your apps", "apps"
		d.render(q, "home")
		return nil
	})(q)
}

func (d *Dashboard) createApp(q *request) error {
	// apps are created in the login's own organisation
	if _, err := d.app.AuthorizeOrg(q.r.Context(), q.partner.ID, q.partner.ID, app.PermSettings); err != nil {
		return err
	}
	name := q.r.PostFormValue("name")
	a, err := d.app.CreateApp(q.r.Context(), q.partner.ID, app.AppInput{Name: &name})
	if err != nil {
		if fieldErrors(q, err) {
			q.v.Title, q.v.Nav, q.v.Form = "Your apps", "apps", q.r.PostForm
			d.render(q, "home")
			return nil
		}
		return err
	}
	// The secret key and webhook secret exist only now: they ride to the
	// app's page in a one-time server-side flash, so a refresh neither
	// creates a second app nor shows them again.
	return d.redirectWith(q, "/dashboard/apps/"+a.App.ID+"/", app.FlashMessage{Kind: "ok",
		Message: "App created. Copy the secret key now: kobo keeps only a hash of it.", Secrets: secrets(a)})
}

func secrets(a *app.AppDetails) map[string]string {
	out := map[string]string{}
	for m, k := range a.SecretKeys {
		out[string(m)] = string(k)
	}
	if a.WebhookSecret != "" {
		out["webhook"] = string(a.WebhookSecret)
	}
	return out
}

func (d *Dashboard) appOverview(q *request) error {
	q.v.Title, q.v.Nav = q.app.App.Name, "overview"
	return d.renderOverview(q)
}

// renderOverview draws the app page: keys with their expiry, settings
// (with what was typed, after a failed save) and next steps.
func (d *Dashboard) renderOverview(q *request) error {
	list, err := d.app.ListAccounts(q.r.Context(), q.caller, 1, 0)
	if err != nil {
		return err
	}
	// a go-live waiting for the operator, or refused, is said on top
	rev, err := d.app.GoLiveReview(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	if rev != nil && rev.Status != kobo.GoLiveApproved {
		q.v.Data["GoLiveHeld"] = rev
	}
	keys, err := d.app.AppKeys(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Data["Keys"] = keys
	live, err := d.app.LiveWebhookURL(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	q.v.Data["LiveWebhookURL"] = live
	q.v.Data["AccountCount"] = list.Total
	q.v.Data["SandboxPrivate"] = d.app.SandboxWebhooksPrivate()
	q.v.Data["CanKeys"] = app.Can(q.v.Role, app.PermKeys)
	q.v.Data["CanSettings"] = app.Can(q.v.Role, app.PermSettings)
	q.v.Data["CanGoLive"] = app.Can(q.v.Role, app.PermGoLive)
	d.render(q, "app")
	return nil
}

func (d *Dashboard) updateApp(q *request) error {
	f := q.r.PostForm
	in := app.AppInput{}
	name, display, hook := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("display_name")), strings.TrimSpace(f.Get("webhook_url"))
	in.Name, in.DisplayName, in.WebhookURL = &name, &display, &hook
	if _, ok := f["icon"]; ok {
		icon := strings.TrimSpace(f.Get("icon"))
		in.Icon = &icon
	}
	if s := f.Get("sync_frequency"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1
		}
		in.SyncFrequency = &n
	}
	if s := f.Get("history_months"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1
		}
		in.HistoryMonths = &n
	}
	if _, ok := f["live_webhook_url"]; ok {
		// checked first, so a bad live URL saves nothing
		if err := d.app.SetLiveWebhookURL(q.r.Context(), q.org, q.app.App.ID, f.Get("live_webhook_url")); err != nil {
			if fieldErrors(q, err) {
				q.v.Title, q.v.Nav, q.v.Form = q.app.App.Name, "overview", f
				q.v.Error = "The settings were not saved. Fix the fields marked below."
				return d.renderOverview(q)
			}
			return err
		}
	}
	a, err := d.app.UpdateApp(q.r.Context(), q.org, q.app.App.ID, in)
	if err != nil {
		if fieldErrors(q, err) {
			// the form shows what was typed, not what is stored
			q.v.Title, q.v.Nav, q.v.Form = q.app.App.Name, "overview", f
			q.v.Error = "The settings were not saved. Fix the fields marked below."
			return d.renderOverview(q)
		}
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+a.App.ID+"/", "settings-saved")
}

func (d *Dashboard) rotateKeys(q *request) error {
	f := q.r.PostForm
	kind := kobo.SecretKey
	if f.Get("kind") == "public" {
		kind = kobo.PublicKey
	}
	overlap, err := app.ParseOverlap(f.Get("overlap"))
	if err != nil {
		return err
	}
	if f.Get("confirm") != "yes" {
		q.v.Title, q.v.Nav, q.v.Form = q.app.App.Name, "overview", f
		q.v.Error = "Keys not rotated: tick the box to confirm you have read what will break."
		q.w.WriteHeader(http.StatusBadRequest)
		return d.renderOverview(q)
	}
	mode := kobo.ModeTest
	if f.Get("mode") == "live" {
		mode = kobo.ModeLive
	}
	a, err := d.app.RotateKey(q.r.Context(), q.org, q.app.App.ID, app.RotateInput{Mode: mode, Kind: kind, Overlap: overlap})
	if err != nil {
		return err
	}
	msg := "New public key issued; the old one stopped working. Update every page that embeds the widget."
	if kind == kobo.PublicKey && overlap > 0 {
		msg = "New public key issued. The old one keeps working until the time shown below; update every page that embeds the widget before then."
	}
	if kind == kobo.SecretKey {
		msg = "New secret key issued; the old one stopped working. Copy the new one now: it is shown only this once."
		if overlap > 0 {
			msg = "New secret key issued. The old one keeps working until the time shown below. Copy the new one now: it is shown only this once."
		}
	}
	out := app.FlashMessage{Kind: "ok", Message: msg}
	if kind == kobo.SecretKey {
		out.Secrets = map[string]string{string(mode): string(a.SecretKeys[mode])}
	}
	return d.redirectWith(q, "/dashboard/apps/"+q.app.App.ID+"/"+modeQuery(q), out)
}

func (d *Dashboard) rotateWebhook(q *request) error {
	a, err := d.app.RotateWebhookSecret(q.r.Context(), q.org, q.app.App.ID)
	if err != nil {
		return err
	}
	return d.redirectWith(q, "/dashboard/apps/"+q.app.App.ID+"/", app.FlashMessage{Kind: "ok",
		Message: "New webhook secret issued. Update your receiver now: deliveries are signed with it from this moment.", Secrets: map[string]string{"webhook": string(a.WebhookSecret)}})
}

// ---- linked accounts -----------------------------------------------------

const accountsPerPage = 25

func (d *Dashboard) accountQuery(q *request) app.AccountQuery {
	v := q.r.URL.Query()
	return app.AccountQuery{Text: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), InstitutionID: v.Get("bank")}
}

func (d *Dashboard) accounts(q *request) error {
	page, _ := strconv.Atoi(q.r.URL.Query().Get("page"))
	page = max(page, 1)
	aq := d.accountQuery(q)
	aq.Limit, aq.Offset = accountsPerPage, (page-1)*accountsPerPage
	list, err := d.app.SearchAccounts(q.r.Context(), q.caller, aq)
	if kobo.ErrorCode(err) == kobo.EINVALID {
		q.v.Error = "That status is not one kobo uses; showing every status."
		aq.Status = ""
		list, err = d.app.SearchAccounts(q.r.Context(), q.caller, aq)
	}
	if err != nil {
		return err
	}
	cat, err := d.app.Catalog(q.r.Context())
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Linked accounts", "accounts"
	q.v.Data["Accounts"], q.v.Data["Total"], q.v.Data["Page"] = list.Accounts, list.Total, page
	q.v.Data["HasNext"] = page*accountsPerPage < list.Total
	q.v.Data["Q"], q.v.Data["Status"], q.v.Data["Bank"] = aq.Text, strings.ToUpper(aq.Status), aq.InstitutionID
	q.v.Data["Filtered"] = aq.Text != "" || aq.Status != "" || aq.InstitutionID != ""
	q.v.Data["Banks"] = cat.All
	q.v.Data["Statuses"] = []string{"AVAILABLE", "PROCESSING", "PARTIAL", "UNAVAILABLE", "FAILED"}
	d.render(q, "accounts")
	return nil
}

// accountsCSV exports the search's matches (up to app.MaxAccountExport).
func (d *Dashboard) accountsCSV(q *request) error {
	aq := d.accountQuery(q)
	aq.Limit = app.MaxAccountExport
	list, err := d.app.SearchAccounts(q.r.Context(), q.caller, aq)
	if err != nil {
		return err
	}
	mode := "sandbox"
	if q.v.Live {
		mode = "live"
	}
	q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="kobo-accounts-`+mode+`.csv"`)
	return app.WriteAccountsCSV(q.w, list.Accounts)
}

func (d *Dashboard) account(q *request) error {
	ctx := q.r.Context()
	a, err := d.app.Account(ctx, q.caller, q.r.PathValue("acct"))
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = a.Name, "accounts"
	q.v.Data["Account"] = a
	q.v.Data["Uploads"] = d.uploadRows(ctx, a)
	if a.DataStatus == kobo.DataProcessing {
		q.v.Data["Processing"] = true
		d.render(q, "account")
		return nil
	}
	if idt, err := d.app.Identity(ctx, q.caller, a.ID); err == nil {
		q.v.Data["Identity"] = idt
	}
	vals := q.r.URL.Query()
	// Older/Newer follow the page cursors: a keyset seek, as fast on the
	// last page of 50,000 rows as on the first (an offset reads every row
	// before it); a typed ?page= still works
	tq, err := app.ParseTxnQuery(url.Values{"narration": {vals.Get("search")}, "page": {cmpOr(vals.Get("page"), "1")}, "limit": {"25"}, "type": {vals.Get("type")},
		"cursor": {vals.Get("cursor")}})
	if err != nil {
		q.v.Error = kobo.ErrorMessage(err)
		tq, _ = app.ParseTxnQuery(url.Values{"limit": {"25"}})
	}
	page, err := d.app.Transactions(ctx, q.caller, a.ID, tq)
	if err != nil && kobo.ErrorCode(err) != kobo.EINVALID {
		return err
	}
	if page != nil {
		q.v.Data["Txns"], q.v.Data["TxnTotal"] = page.Transactions, page.Total
		q.v.Data["TxnNext"], q.v.Data["TxnPrev"] = page.Next, page.Prev
	}
	q.v.Data["Search"], q.v.Data["Type"] = vals.Get("search"), vals.Get("type")
	// the chart: daily closing balance over the last 90 days, summed up
	// by the store (reading the rows made this page 370 ms at 50,000)
	since := d.clock.Now().AddDate(0, 0, -90)
	pts, err := d.app.ClosingBalances(ctx, q.caller, a.ID, since, d.clock.Now())
	if err != nil {
		return err
	}
	q.v.Data["Chart"] = balanceChart(pts, a.Balance, since, d.clock.Now())
	d.render(q, "account")
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (d *Dashboard) accountPath(q *request) string {
	p := "/dashboard/apps/" + q.app.App.ID + "/accounts/" + q.r.PathValue("acct")
	if q.v.Live {
		p += "?mode=live"
	}
	return p
}

func (d *Dashboard) syncAccount(q *request) error {
	out, err := d.app.SyncNow(q.r.Context(), q.caller, q.r.PathValue("acct"), false, 20*time.Second)
	if err != nil {
		if kobo.ErrorCode(err) == kobo.ERATELIMIT {
			return d.redirect(q, d.accountPath(q), "sync-limited")
		}
		return err
	}
	flash := "sync-none"
	switch {
	case out.Code == "REAUTHORISATION_REQUIRED":
		flash = "sync-reauth"
	case out.Status != "successful":
		flash = "sync-failed"
	case out.HasNewData:
		flash = "sync-new"
	}
	return d.redirect(q, d.accountPath(q), flash)
}

func (d *Dashboard) reauthLink(q *request) error {
	l, err := d.app.CreateLink(q.r.Context(), q.caller, app.LinkRequest{Scope: "reauth", AccountID: q.r.PathValue("acct"), Reference: "dashboard"})
	if err != nil {
		return err
	}
	// The link rides in a one-time server-side flash, never in a URL: a
	// link in the query string lands in history, logs and Referer headers,
	// and a page that shows whatever link its URL carries can be made to
	// show an attacker's.
	return d.redirectWith(q, d.accountPath(q), app.FlashMessage{Kind: "ok", Message: "Re-auth link created: send it to the customer. It works for 24 hours.",
		Link: d.baseURL(q) + "/connect/?link=" + l.Token})
}

func (d *Dashboard) unlink(q *request) error {
	if q.r.PostFormValue("confirm") != "yes" {
		q.v.Error = "Not unlinked. Tick the box to confirm: unlinking deletes the account's data and cannot be undone."
		q.w.WriteHeader(http.StatusBadRequest)
		return d.account(q)
	}
	if err := d.app.Unlink(q.r.Context(), q.caller, q.r.PathValue("acct")); err != nil {
		return err
	}
	p := "/dashboard/apps/" + q.app.App.ID + "/accounts"
	if q.v.Live {
		p += "?mode=live"
	}
	return d.redirect(q, p, "unlinked")
}

func (d *Dashboard) statement(q *request) error {
	p, err := d.app.ParsePeriod(cmpOr(q.r.PostFormValue("period"), "last12months"))
	if err != nil {
		return err
	}
	st, err := d.app.StartStatementPDF(q.r.Context(), q.caller, q.r.PathValue("acct"), p)
	if err != nil {
		return err
	}
	http.Redirect(q.w, q.r, "/dashboard/apps/"+q.app.App.ID+"/accounts/"+q.r.PathValue("acct")+"/statement/"+st.ID+modeQuery(q), http.StatusSeeOther)
	return nil
}

func modeQuery(q *request) string {
	if q.v.Live {
		return "?mode=live"
	}
	return ""
}

func (d *Dashboard) statementStatus(q *request) error {
	st, err := d.app.StatementJob(q.r.Context(), q.caller, q.r.PathValue("acct"), q.r.PathValue("st"))
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Statement", "accounts"
	q.v.Data["Statement"] = st
	q.v.Data["AccountID"] = q.r.PathValue("acct")
	if st.Status == "BUILT" {
		q.v.Data["URL"] = d.app.StatementURL("", st.ID)
	}
	d.render(q, "statement")
	return nil
}

// ---- webhooks ------------------------------------------------------------

func (d *Dashboard) webhooks(q *request) error {
	v := q.r.URL.Query()
	page, err := d.app.ListDeliveries(q.r.Context(), q.org, q.app.App.ID, app.DeliveryQuery{Status: v.Get("status"), EventType: v.Get("event"), Cursor: v.Get("cursor"), Limit: 25})
	if err != nil && kobo.ErrorCode(err) != kobo.EINVALID {
		return err
	}
	if err != nil {
		q.v.Error = kobo.ErrorMessage(err)
		page, _ = d.app.ListDeliveries(q.r.Context(), q.org, q.app.App.ID, app.DeliveryQuery{Limit: 25})
	}
	q.v.Title, q.v.Nav = "Webhooks", "webhooks"
	if q.app.App.WebhookFailingSince != nil && q.app.App.WebhookDisabledAt == nil {
		// the banner names the last failure: the newest delivery's
		if last, err := d.app.ListDeliveries(q.r.Context(), q.org, q.app.App.ID, app.DeliveryQuery{Limit: 1}); err == nil && len(last.Deliveries) > 0 {
			q.v.Data["LastFailure"] = last.Deliveries[0]
		}
	}
	q.v.Data["SandboxPrivate"] = d.app.SandboxWebhooksPrivate()
	q.v.Data["Deliveries"], q.v.Data["Next"] = page.Deliveries, page.Next
	q.v.Data["Status"], q.v.Data["Event"] = v.Get("status"), v.Get("event")
	q.v.Data["TestTypes"] = app.TestEventTypes
	q.v.Data["Events"] = []string{kobo.EventAccountConnected, kobo.EventAccountUpdated, kobo.EventReauthRequired, kobo.EventAccountReauthorized,
		kobo.EventSyncFailed, kobo.EventAccountUnlinked, kobo.EventJobUpdate, kobo.EventStatementJobCompleted, kobo.EventAccountIncome, kobo.EventWebhookTest}
	d.render(q, "webhooks")
	return nil
}

func (d *Dashboard) delivery(q *request) error {
	del, attempts, err := d.app.GetDelivery(q.r.Context(), q.org, q.app.App.ID, q.r.PathValue("d"))
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Delivery", "webhooks"
	q.v.Data["Delivery"], q.v.Data["Attempts"] = del, attempts
	if del.Event != nil {
		q.v.Data["Payload"] = prettyJSON(del.Event.Payload)
	}
	var last *kobo.DeliveryAttempt
	for _, a := range attempts {
		if last == nil || a.Attempt > last.Attempt {
			last = a
		}
	}
	q.v.Data["Headers"] = sentHeaders(del.EventID, last)
	d.render(q, "delivery")
	return nil
}

// prettyJSON indents a payload for reading; what is not JSON is shown as
// it is.
func prettyJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// sentHeader is one header of a webhook POST as the delivery page shows it.
type sentHeader struct {
	Name, Value string
	Masked      bool
}

// sentHeaders lists the headers kobo sends with a webhook (the webhook
// package's Client.Send sets them; TestDashboardDeliveryHeaders checks
// the two agree against a real receiver). The secret and the signature
// are masked: the page is seen by every team member with view access,
// and either value lets its reader forge webhooks. webhook-timestamp
// is the latest attempt's; each attempt signs afresh.
func sentHeaders(eventID string, last *kobo.DeliveryAttempt) []sentHeader {
	ts := "set at each attempt"
	if last != nil {
		ts = strconv.FormatInt(last.AttemptedAt.Unix(), 10)
	}
	return []sentHeader{
		{Name: "Content-Type", Value: "application/json"},
		{Name: "User-Agent", Value: "kobo-webhooks/1"},
		{Name: "webhook-id", Value: eventID},
		{Name: "webhook-timestamp", Value: ts},
		{Name: "webhook-signature", Value: "v1,•••••••• (HMAC-SHA256 of id.timestamp.body, keyed by the webhook secret)", Masked: true},
		{Name: "mono-webhook-secret", Value: "•••••••• (the app's webhook secret)", Masked: true},
	}
}

func (d *Dashboard) redeliver(q *request) error {
	del, err := d.app.Redeliver(q.r.Context(), q.org, q.app.App.ID, q.r.PathValue("d"))
	if err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/webhooks/"+del.ID, "redelivery")
}

func (d *Dashboard) testEvent(q *request) error {
	if _, err := d.app.SendTestEventOfType(q.r.Context(), q.org, q.app.App.ID, q.v.Live, q.r.PostFormValue("type")); err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/webhooks", "test-sent")
}

func (d *Dashboard) enableWebhooks(q *request) error {
	if err := d.app.EnableWebhooks(q.r.Context(), q.org, q.app.App.ID); err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/webhooks", "webhooks-enabled")
}

// ---- sandbox and logs ------------------------------------------------------

func (d *Dashboard) sandbox(q *request) error { return d.sandboxPage(q) }

func (d *Dashboard) sandboxPage(q *request) error {
	users, err := d.app.SandboxUsers(q.r.Context())
	if err != nil && kobo.ErrorCode(err) != kobo.EUNAVAILABLE {
		return err
	}
	if err := d.sandboxControls(q); err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "Sandbox", "sandbox"
	q.v.Data["Users"] = users
	q.v.Data["PK"] = q.app.PublicKeys[kobo.ModeTest]
	q.v.Data["Base"] = d.baseURL(q)
	d.render(q, "sandbox")
	return nil
}

// sandboxExchange takes the code the widget gave the dashboard's "link a
// test account" button and exchanges it, as a partner's server would.
func (d *Dashboard) sandboxExchange(q *request) error {
	sandbox := &kobo.Caller{App: *q.app.App, Mode: kobo.ModeTest}
	a, err := d.app.Exchange(q.r.Context(), sandbox, q.r.PostFormValue("code"))
	if err != nil {
		return err
	}
	return d.redirect(q, "/dashboard/apps/"+q.app.App.ID+"/accounts/"+a.ID, "test-linked")
}

func (d *Dashboard) logs(q *request) error {
	v := q.r.URL.Query()
	rq := app.RequestLogQuery{Live: q.v.Live, Method: strings.ToUpper(v.Get("method")), PathPrefix: v.Get("path"), RequestID: strings.TrimSpace(v.Get("request_id")), Limit: 100}
	if c, err := strconv.Atoi(v.Get("status")); err == nil {
		rq.StatusClass = c
	}
	if b, err := strconv.ParseInt(v.Get("before"), 10, 64); err == nil {
		t := time.UnixMicro(b).UTC()
		rq.Before = &t
	}
	list, err := d.app.ListRequests(q.r.Context(), q.org, q.app.App.ID, rq)
	if err != nil {
		return err
	}
	q.v.Title, q.v.Nav = "API logs", "logs"
	q.v.Data["Requests"] = list
	q.v.Data["Method"], q.v.Data["Status"], q.v.Data["Path"] = rq.Method, v.Get("status"), rq.PathPrefix
	q.v.Data["RequestID"] = rq.RequestID
	if len(list) == rq.Limit {
		q.v.Data["Before"] = list[len(list)-1].CreatedAt.UnixMicro()
	}
	d.render(q, "logs")
	return nil
}

// ---- formatting ------------------------------------------------------------

// naira formats kobo as ₦1,234.56.
func naira(k int64) string {
	neg := k < 0
	if neg {
		k = -k
	}
	whole, frac := k/100, k%100
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := fmt.Sprintf("₦%s.%02d", b.String(), frac)
	if neg {
		return "-" + out
	}
	return out
}

func when(t any) string {
	switch x := t.(type) {
	case time.Time:
		return x.In(app.Lagos).Format("02 Jan 2006, 15:04")
	case *time.Time:
		if x == nil {
			return "—"
		}
		return x.In(app.Lagos).Format("02 Jan 2006, 15:04")
	}
	return ""
}

// mask shows the last four digits of an account number.
func mask(n kobo.AccountNumber) string {
	s := string(n)
	if len(s) <= 4 {
		return s
	}
	return strings.Repeat("•", 6) + s[len(s)-4:]
}

func statusClass(code int) string {
	switch {
	case code >= 500 || code == 0:
		return "bad"
	case code >= 400:
		return "warn"
	default:
		return "ok"
	}
}

// query builds a query string from pairs, skipping empty values.
func query(pairs ...string) template.URL {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return template.URL("?" + v.Encode())
}

func itoa(n int) string { return strconv.Itoa(n) }

// balanceChart draws the daily closing balance as an inline SVG. Only
// numbers the server computed go into the markup.
func balanceChart(closings []kobo.DayBalance, current int64, from, to time.Time) template.HTML {
	const w, h, pad = 640.0, 180.0, 8.0
	days := int(to.Sub(from).Hours()/24) + 1
	if days < 2 {
		return ""
	}
	closing := make([]*int64, days)
	for _, p := range closings {
		if p.Day >= 0 && p.Day < days {
			b := p.Balance
			closing[p.Day] = &b
		}
	}
	var vals []float64
	var last *int64
	for i := range closing {
		if closing[i] != nil {
			last = closing[i]
		}
		if last != nil {
			vals = append(vals, float64(*last))
		} else {
			vals = append(vals, float64(current))
		}
	}
	if last == nil {
		return template.HTML(`<p class="muted">No balance history in the last 90 days.</p>`)
	}
	return lineChart(vals, chartSpec{W: w, H: h, Format: func(v float64) string { return naira(int64(v)) },
		Label: fmt.Sprintf("Daily balance over the last 90 days, from %s to %s", naira(int64(vals[0])), naira(int64(vals[len(vals)-1])))})
}

// chartSpec is how lineChart draws a series.
type chartSpec struct {
	W, H   float64 // the viewBox: a smaller one draws its labels larger on a phone
	Label  string  // what the chart says to a screen reader
	Format func(float64) string
	// ZeroBase starts the axis at zero (counts) instead of at the lowest value
	ZeroBase bool
	// From and To, when set, label the first and last points under the chart
	From, To string
}

// lineChart draws one value a point as an inline SVG line with the
// highest and lowest values labelled. Only numbers the server computed
// and escaped labels go into the markup.
func lineChart(vals []float64, c chartSpec) template.HTML {
	const pad = 8.0
	if len(vals) < 2 {
		return ""
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	if c.ZeroBase {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	w, h := c.W, c.H
	var pts strings.Builder
	for i, v := range vals {
		x := pad + (w-2*pad)*float64(i)/float64(len(vals)-1)
		y := h - pad - (h-2*pad)*(v-lo)/(hi-lo)
		fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
	}
	full := h
	var under string
	if c.From != "" || c.To != "" {
		full = h + 18
		under = fmt.Sprintf(`<text x="%.0f" y="%.0f" class="axis">%s</text><text x="%.0f" y="%.0f" class="axis" text-anchor="end">%s</text>`,
			pad, h+14, template.HTMLEscapeString(c.From), w-pad, h+14, template.HTMLEscapeString(c.To))
	}
	svg := fmt.Sprintf(`<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`+
		`<polyline fill="none" stroke="currentColor" stroke-width="2" points="%s"/>`+
		`<text x="%.0f" y="14" class="axis">%s</text><text x="%.0f" y="%.0f" class="axis">%s</text>%s</svg>`,
		w, full, template.HTMLEscapeString(c.Label),
		strings.TrimSpace(pts.String()), pad, template.HTMLEscapeString(c.Format(hi)), pad, h-2, template.HTMLEscapeString(c.Format(lo)), under)
	return template.HTML(svg)
}
