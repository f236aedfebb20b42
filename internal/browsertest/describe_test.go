package browsertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDescribeNamesTheScreen: a failed step's log names the screen and
// text of the page and of its iframes.
func TestDescribeNamesTheScreen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/inner" {
			_, _ = w.Write([]byte(`<div id="screen" data-screen="LOGIN">Log in to GTBank</div>`))
			return
		}
		_, _ = w.Write([]byte(`<p>Partner page</p><iframe id="w" src="/inner"></iframe>`))
	}))
	t.Cleanup(srv.Close)
	b := New(t, time.Minute)
	b.Run("open", chromedp.Navigate(srv.URL), chromedp.Poll(`document.querySelector("iframe").contentDocument.querySelector("#screen") !== null`, nil))
	got := b.describe()
	for _, want := range []string{"Partner page", "iframe#0(w)", "screen=LOGIN", "Log in to GTBank", `iframe w now: ` + srv.URL + `/inner screen="LOGIN"`,
		`iframe w through chromedp's node: "Log in to GTBank"`} {
		if !strings.Contains(got, want) {
			t.Errorf("describe() lacks %q:\n%s", want, got)
		}
	}
}
