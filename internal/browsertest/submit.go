package browsertest

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// oldPageMark is set on the window of the page a Submit leaves; the page
// it leads to is a new window without it.
const oldPageMark = "__kobo_submitted_from"

// Submit clicks sel, a form's submit button (or a link), and returns once
// the page it leads to has loaded. A plain click returns as soon as the
// click is dispatched, while the old page is still up until the answer
// (a POST's redirect and then the GET) arrives, so a read right after it
// can find what the old page showed — the same flash or error text from
// before — and pass or fail on it by chance. Submit marks the old page's
// window, clicks, and waits for a document without the mark whose
// readyState is complete, woken by each load event.
func (b *Browser) Submit(what, sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	if err := b.submit(ctx, sel); err != nil {
		b.Screenshot("failed-" + what)
		b.t.Fatalf("%s: %v\n%s", what, err, b.describe())
	}
}

func (b *Browser) submit(ctx context.Context, sel string) error {
	loaded := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	chromedp.ListenTarget(lctx, func(ev any) {
		if _, ok := ev.(*page.EventLoadEventFired); ok {
			select {
			case loaded <- struct{}{}:
			default:
			}
		}
	})
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Evaluate(`window.`+oldPageMark+` = true`, nil),
		chromedp.Click(sel, chromedp.ByQuery),
	); err != nil {
		return fmt.Errorf("click %s: %w", sel, err)
	}
	// the load event wakes the check; the tick covers a check that ran
	// while the new document's script context was still being set up
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var done bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`!window.`+oldPageMark+` && document.readyState === "complete"`, &done))
		if err == nil && done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no new page loaded after clicking %s: %w", sel, ctx.Err())
		case <-loaded:
		case <-tick.C:
		}
	}
}
