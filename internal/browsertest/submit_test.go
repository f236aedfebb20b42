package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSubmitWaitsForTheRedirectedPage: the server holds the form's answer.
// Submit has not returned while it is held (a plain click returns as soon
// as it is dispatched, which is how the dashboard tests came to read the
// old page), and once the answer comes it returns on the page the
// redirect leads to.
func TestSubmitWaitsForTheRedirectedPage(t *testing.T) {
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch {
		case r.Method == http.MethodPost:
			got <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			http.Redirect(w, r, "/after", http.StatusSeeOther)
		case r.URL.Path == "/after":
			_, _ = w.Write([]byte(`<p id="msg">after</p>`))
		default:
			_, _ = w.Write([]byte(`<p id="msg">before</p><form method="post" action="/save"><button id="save" type="submit">Save</button></form>`))
		}
	}))
	t.Cleanup(srv.Close)
	b := New(t, 2*time.Minute)
	b.Run("open", chromedp.Navigate(srv.URL), chromedp.WaitReady("#save", chromedp.ByQuery))

	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(b.Ctx, StepTimeout)
	defer cancel()
	go func() { done <- b.submit(ctx, "#save") }()
	<-got
	select {
	case err := <-done:
		close(release)
		t.Fatalf("Submit returned while the answer was held (err %v)", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var s string
	b.Run("read", chromedp.Evaluate(`document.querySelector("#msg").textContent`, &s))
	if s != "after" {
		t.Fatalf("a read after Submit shows %q, want the new page's \"after\"", s)
	}
}
