package storagetest

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is an HTTP proxy in front of a cloud test server that injects
// faults: the site going down (connections refused), a write cut in the
// middle, 5xx answers and stalls. It listens on 127.0.0.1 and is stopped
// when the test ends.
type Proxy struct {
	t      testing.TB
	target *url.URL
	rp     *httputil.ReverseProxy
	addr   string

	mu    sync.Mutex
	srv   *http.Server
	conns map[net.Conn]struct{}

	failNext  atomic.Int64 // answer the next n requests with failCode
	failCode  atomic.Int64
	failEvery atomic.Int64 // answer every n-th request with 503 (0: never)
	stallNext atomic.Int64 // stall the next n requests for stallFor
	stallFor  atomic.Int64 // nanoseconds
	cutAfter  atomic.Int64 // cut the next request with a body after n bytes (-1: never)
	requests  atomic.Int64
	// targetHost makes the proxy send the target's host:port as the Host
	// header (fake-gcs-server routes by it); otherwise the client's Host
	// goes through unchanged (S3 signatures cover it).
	targetHost atomic.Bool
	faults     atomic.Int64
	ranges     []string // Range headers of the ranged GET requests, in order (under mu)
}

// NewProxy starts a proxy in front of target (http://host:port).
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("storagetest: proxy target %q: not an http://host:port URL", target)
	}
	p := &Proxy{t: t, target: u, conns: map[net.Conn]struct{}{}}
	p.cutAfter.Store(-1)
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ErrorLog = nil
	p.rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		w.WriteHeader(http.StatusBadGateway)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("storagetest: proxy: %v", err)
	}
	p.addr = l.Addr().String()
	p.serve(l)
	t.Cleanup(p.Stop)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// Endpoint is the proxy's http://host:port.
func (p *Proxy) Endpoint() string { return "http://" + p.addr }

func (p *Proxy) serve(l net.Listener) {
	srv := &http.Server{
		Handler: http.HandlerFunc(p.handle),
		ConnState: func(c net.Conn, s http.ConnState) {
			p.mu.Lock()
			defer p.mu.Unlock()
			switch s {
			case http.StateNew:
				p.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(p.conns, c)
			}
		},
	}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Stop puts the site down: open connections are closed and new ones
// refused until Start.
func (p *Proxy) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close() // closes the listener and every tracked connection
	}
}

// Start brings a stopped site back on the same address.
func (p *Proxy) Start() {
	p.t.Helper()
	p.mu.Lock()
	running := p.srv != nil
	p.mu.Unlock()
	if running {
		return
	}
	var l net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if l, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("storagetest: proxy restart on %s: %v", p.addr, err)
	}
	p.serve(l)
}

// FailNext answers the next n requests with the HTTP status code.
func (p *Proxy) FailNext(n int, code int) {
	p.failCode.Store(int64(code))
	p.failNext.Store(int64(n))
}

// FailEvery answers every n-th request with 503 Service Unavailable (n = 2:
// half of them); 0 stops it.
func (p *Proxy) FailEvery(n int) { p.failEvery.Store(int64(n)) }

// StallNext holds each of the next n requests for d before serving it.
func (p *Proxy) StallNext(n int, d time.Duration) {
	p.stallFor.Store(int64(d))
	p.stallNext.Store(int64(n))
}

// CutNextWrite makes the next request that carries a body lose its
// connection after n bytes of it reached the proxy, and puts the site down
// (Stop), as a server that dies in the middle of a write.
func (p *Proxy) CutNextWrite(n int64) { p.cutAfter.Store(n) }

// Requests is the number of requests the proxy received.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Faults is the number of requests the proxy failed, stalled or cut.
func (p *Proxy) Faults() int64 { return p.faults.Load() }

func take(n *atomic.Int64) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

// Ranges returns the byte ranges ("bytes=A-B") of the ranged GET requests
// the proxy received, in order: what a provider sees of a reader's range
// reads.
func (p *Proxy) Ranges() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ranges...)
}

func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	seq := p.requests.Add(1)
	rg := r.Header.Get("Range")
	if rg == "" {
		rg = r.Header.Get("X-Ms-Range") // Azure
	}
	if r.Method == http.MethodGet && rg != "" {
		p.mu.Lock()
		p.ranges = append(p.ranges, rg)
		p.mu.Unlock()
	}

	if take(&p.stallNext) {
		p.faults.Add(1)
		select {
		case <-time.After(time.Duration(p.stallFor.Load())):
		case <-r.Context().Done():
			return
		}
	}
	if take(&p.failNext) {
		p.faults.Add(1)
		p.fail(w, r, int(p.failCode.Load()))
		return
	}
	if every := p.failEvery.Load(); every > 0 && seq%every == 0 {
		p.faults.Add(1)
		p.fail(w, r, http.StatusServiceUnavailable)
		return
	}
	if n := p.cutAfter.Load(); n >= 0 && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody &&
		p.cutAfter.CompareAndSwap(n, -1) {
		p.faults.Add(1)
		_, _ = io.CopyN(io.Discard, r.Body, n)
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
			}
		}
		p.Stop()
		return
	}
	if p.targetHost.Load() {
		r.Host = p.target.Host
	}
	p.rp.ServeHTTP(w, r)
}

// fail answers with code after draining the request body, so the client
// sees an answer rather than a broken connection.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, code int) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 256<<20))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "<Error><Code>ServiceUnavailable</Code><Message>injected by storagetest.Proxy</Message></Error>")
}

// Via returns siteURL, a URL of the S3, Azure or GCS test server, routed
// through the proxy. For GCS, whose emulator is named by the process-wide
// STORAGE_EMULATOR_HOST, it sets that variable for the rest of the test
// (so the test must not run in parallel with other GCS tests).
func Via(t testing.TB, p *Proxy, siteURL string) string {
	t.Helper()
	u, err := url.Parse(siteURL)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	q := u.Query()
	switch u.Scheme {
	case "s3":
		q.Set("endpoint", p.Endpoint())
	case "azblob":
		q.Set("domain", p.Addr())
	case "gs":
		p.targetHost.Store(true)
		t.Setenv("STORAGE_EMULATOR_HOST", p.Addr())
		return siteURL
	default:
		t.Fatalf("storagetest: Via: %s is not a cloud site URL", siteURL)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Target returns the http://host:port of the server behind siteURL, an S3,
// Azure or GCS test server URL.
func Target(t testing.TB, siteURL string) string {
	t.Helper()
	u, err := url.Parse(siteURL)
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	switch u.Scheme {
	case "s3":
		return u.Query().Get("endpoint")
	case "azblob":
		return "http://" + u.Query().Get("domain")
	case "gs":
		if h := os.Getenv("STORAGE_EMULATOR_HOST"); h != "" {
			return "http://" + h
		}
	}
	t.Fatalf("storagetest: no server behind %s", siteURL)
	return ""
}
