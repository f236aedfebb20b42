// Package browsertest starts a real headless Chromium for the widget and
// dashboard tests, and keeps their screenshots.
//
// Tests skip, saying why, when no Chromium is installed (.ci/run installs
// Debian's). Screenshots go to $KOBO_ARTIFACTS_DIR when set (CI keeps
// them), else to the test's temporary directory, and each is checked to
// show something: a blank page is a failure, not a picture.
package browsertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Chromium returns the browser binary, or "" when there is none.
func Chromium() string {
	if p := os.Getenv("KOBO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start runs headless Chromium (bin) with a profile in dir, the way the
// tests and kobo bench use it, and returns a chromedp context that ends
// after timeout; cancel stops the browser. extra options come last.
func Start(bin, dir string, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (ctx context.Context, cancel func(), err error) {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process,Translate"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1100, 800),
		chromedp.UserDataDir(dir),
		// chromedp waits 20 s by default for Chromium to print its
		// DevTools address; a cold Chromium beside a -race test run on two
		// loaded cores has taken longer ("websocket url timeout reached"),
		// so the start gets what any one step gets.
		chromedp.WSURLReadTimeout(StepTimeout),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, timeout)
	cancel = func() { cancelC(); cancelB(); cancelA() }
	return ctx, cancel, chromedp.Run(ctx)
}

// StepTimeout bounds each Run, so a missing element fails with the step's
// name rather than at the test's deadline. It is a failure detector, not a
// speed target: a -race kobo and Chromium sharing two loaded cores have
// taken over 30 s for one widget step, so it is generous.
const StepTimeout = 2 * time.Minute

// Browser is one headless Chromium for a test.
type Browser struct {
	t   testing.TB
	Ctx context.Context
	dir string
}

// Option changes how New starts Chromium.
type Option func(*[]chromedp.ExecAllocatorOption)

// TrustCertificates makes the browser accept TLS servers that present one
// of certs (matched by public key), as if a CA it trusts had issued them:
// for tests whose pages are served by a throwaway test CA (banksim's
// open-banking faces). Only those keys are accepted; every other
// certificate error still fails. New's default stays the stock trust
// store, so no other test can come to depend on a bad certificate.
func TrustCertificates(certs ...*x509.Certificate) Option {
	return func(o *[]chromedp.ExecAllocatorOption) {
		var spki []string
		for _, c := range certs {
			sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
			spki = append(spki, base64.StdEncoding.EncodeToString(sum[:]))
		}
		// Chromium honours this flag only with a user data dir of the
		// test's own, which Start always sets.
		*o = append(*o, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(spki, ",")))
	}
}

// New starts Chromium (or skips the test). Site isolation is off so the
// tests can reach into the cross-origin widget iframe from the host page,
// which is how a person sees it; nothing else about the browser changes
// unless opts say so.
func New(t testing.TB, timeout time.Duration, opts ...Option) *Browser {
	t.Helper()
	bin := Chromium()
	if bin == "" {
		t.Skip("Chromium is not installed (apt-get install -y chromium, or set KOBO_CHROMIUM): skipping the browser test")
	}
	// Chromium may still be writing its profile as the test ends, so the
	// profile is removed best-effort rather than by t.TempDir.
	profile, err := os.MkdirTemp("", "kobo-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	var extra []chromedp.ExecAllocatorOption
	for _, o := range opts {
		o(&extra)
	}
	ctx, cancel, err := Start(bin, profile, timeout, extra...)
	t.Cleanup(cancel)
	if err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	dir := os.Getenv("KOBO_ARTIFACTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &Browser{t: t, Ctx: ctx, dir: dir}
}

// Window is the browser driven in another window of the same Chromium:
// the one open starts opening (a popup the page opens), found by its URL
// beginning with urlPrefix. The window is attached as a chromedp target of
// its own, with Run and the screenshots saved beside this test's.
//
// The attach runs under the browser's context, never a step's: chromedp
// binds a target's event loop to the context of the first Run on it, so a
// window attached under a step's timeout goes deaf when the step ends and
// every later command on it waits forever.
func (b *Browser) Window(what, urlPrefix string, open func()) *Browser {
	b.t.Helper()
	found := make(chan target.ID, 1)
	lctx, stop := context.WithCancel(b.Ctx)
	defer stop()
	chromedp.ListenBrowser(lctx, func(ev any) {
		var info *target.Info
		switch ev := ev.(type) {
		case *target.EventTargetCreated:
			info = ev.TargetInfo
		case *target.EventTargetInfoChanged:
			info = ev.TargetInfo
		default:
			return
		}
		if info.Type == "page" && strings.HasPrefix(info.URL, urlPrefix) {
			select {
			case found <- info.TargetID:
			default:
			}
		}
	})
	open()
	var id target.ID
	select {
	case id = <-found:
	case <-time.After(StepTimeout):
		b.Screenshot("failed-no-window")
		b.t.Fatalf("%s: no window opened at %s\n%s", what, urlPrefix, b.describe())
	}
	ctx, cancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(id))
	b.t.Cleanup(cancel)
	if err := chromedp.Run(ctx); err != nil {
		b.t.Fatalf("%s: attach to the window: %v", what, err)
	}
	return &Browser{t: b.t, Ctx: ctx, dir: b.dir}
}

// Run runs actions, failing the test with what was being done.
func (b *Browser) Run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.Screenshot("failed-" + what)
		b.t.Fatalf("%s: %v\n%s", what, err, b.describe())
	}
}

// describe says what the page showed when a step failed: its URL, and the
// screen and text of the page and of each same-site iframe, so a failure
// in CI (where the screenshots are gone) can be read from the log.
func (b *Browser) describe() string {
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	var out string
	err := chromedp.Run(ctx, chromedp.Evaluate(`(function () {
		function one(d, name) {
			var s = d.querySelector("#screen");
			return name + " " + d.location.href + " screen=" + (s ? s.getAttribute("data-screen") : "none") +
				"\n  " + (d.body ? d.body.innerText : "").replace(/\s+/g, " ").slice(0, 600);
		}
		var parts = [one(document, "page")];
		document.querySelectorAll("iframe").forEach(function (f, i) {
			try { parts.push(one(f.contentDocument, "iframe#" + i + (f.id ? "(" + f.id + ")" : ""))); }
			catch (e) { parts.push("iframe#" + i + " not readable: " + e); }
		});
		return parts.join("\n");
	})()`, &out))
	if err != nil {
		return "(the page could not be described: " + err.Error() + ")"
	}
	return "the page showed:\n" + out + b.describeFrames(ctx)
}

// describeFrames reads each iframe's document twice: as the browser holds
// it now (script cannot read another origin's frame, the DevTools protocol
// can), and through chromedp's node, which is what the tests query; if the
// two differ, a test holds a stale node.
func (b *Browser) describeFrames(ctx context.Context) string {
	var out strings.Builder
	screen := regexp.MustCompile(`id="screen"[^>]*data-screen="([^"]*)"|data-screen="([^"]*)"[^>]*id="screen"`)
	var frames []*cdp.Node
	if err := chromedp.Run(ctx, chromedp.Nodes("iframe", &frames, chromedp.ByQuery, chromedp.AtLeast(0))); err != nil {
		fmt.Fprintf(&out, "\niframes through chromedp: %v", err)
	} else {
		for _, f := range frames {
			var held string
			tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := chromedp.Run(tctx, chromedp.Text("body", &held, chromedp.ByQuery, chromedp.FromNode(f)))
			cancel()
			fmt.Fprintf(&out, "\niframe %s through chromedp's node: %.300q (%v)", f.AttributeValue("id"), strings.Join(strings.Fields(held), " "), err)
		}
	}
	// last: a fresh document read resets the node ids chromedp holds
	_ = chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		root, err := dom.GetDocument().WithDepth(-1).WithPierce(true).Do(ctx)
		if err != nil {
			return err
		}
		var walk func(n *cdp.Node)
		walk = func(n *cdp.Node) {
			if n.NodeName == "IFRAME" && n.ContentDocument != nil {
				html, err := dom.GetOuterHTML().WithBackendNodeID(n.ContentDocument.BackendNodeID).Do(ctx)
				m := screen.FindStringSubmatch(html)
				fmt.Fprintf(&out, "\niframe %s now: %s screen=%q (%d bytes, %v)", n.AttributeValue("id"), n.ContentDocument.DocumentURL, strings.Join(m[min(len(m), 1):], ""), len(html), err)
			}
			for _, c := range n.Children {
				walk(c)
			}
			if n.ContentDocument != nil {
				walk(n.ContentDocument)
			}
		}
		walk(root)
		return nil
	}))
	return out.String()
}

// Screenshot saves the viewport as name.png and fails the test when the
// picture is blank (one colour, or nearly).
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	var buf []byte
	if err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot(&buf)); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if n, err := Colours(buf); err != nil || n < 8 {
		b.t.Errorf("screenshot %s looks blank (%d colours, %v): %s", name, n, err, path)
	}
	return path
}

// Screenshots saves name-desktop.png and name-phone.png (360 px wide,
// the narrowest phone the widget and dashboard must work at).
func (b *Browser) Screenshots(name string) {
	b.t.Helper()
	b.Screenshot(name + "-desktop")
	if err := chromedp.Run(b.Ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2))); err != nil {
		b.t.Errorf("phone viewport: %v", err)
		return
	}
	time.Sleep(50 * time.Millisecond) // let the layout settle
	b.Screenshot(name + "-phone")
	if err := chromedp.Run(b.Ctx, chromedp.EmulateViewport(1100, 800)); err != nil {
		b.t.Errorf("desktop viewport: %v", err)
	}
}

// Colours counts the distinct colours of a PNG (up to 1000).
func Colours(pngData []byte) (int, error) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return 0, err
	}
	seen := map[[4]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
			if len(seen) >= 1000 {
				return len(seen), nil
			}
		}
	}
	return len(seen), nil
}
