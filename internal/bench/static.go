package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// sameBytes fetches url once as the load clients do (gzip accepted, the
// body taken as sent) and serves those bytes with the same content
// headers from a plain net/http server on this host: the ceiling of
// answering that request, with none of kobo's work in it.
func sameBytes(_ *http.Client, url string, h http.Header) (addr string, size int, stop func(), err error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", 0, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", 0, nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		return "", 0, nil, fmt.Errorf("fetch the page to serve: %d %v", res.StatusCode, err)
	}
	header := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Encoding", "Vary", "Cache-Control", "Etag"} {
		if v := res.Header.Values(k); len(v) > 0 {
			header[k] = v
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		_, _ = w.Write(body)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), len(body), func() { srv.Close() }, nil
}
