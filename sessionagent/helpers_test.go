package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// logBuffer collects JSON log lines from concurrent goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the decoded log records.
func (l *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// testLogger logs at debug level into a buffer that is printed if the test fails.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: "+format, append([]any{timeout}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkLeaks records goroutines and open file descriptors now and, when the
// test ends (call it first so its cleanup runs last), waits for both to come
// back down. A small tolerance absorbs runtime helpers started lazily.
func checkLeaks(t *testing.T) {
	g0, f0 := runtime.NumGoroutine(), countFDs(t)
	t.Cleanup(func() {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		const tolerance = 3
		deadline := time.Now().Add(10 * time.Second)
		var g, f int
		for {
			g, f = runtime.NumGoroutine(), countFDs(t)
			if g <= g0+tolerance && f <= f0+tolerance {
				return
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		var dump bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
		t.Errorf("leak: goroutines %d -> %d, open fds %d -> %d\n%s", g0, g, f0, f, dump.String())
	})
}

func countFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return len(entries)
}

// backend is a stand-in Shiny server on loopback.
type backend struct {
	*httptest.Server
	release   chan struct{} // lets /stream finish
	stop      chan struct{} // ends /ws-idle sessions
	sinkEnded chan string   // /ws-sink sends its session's ?name when the session ends
	hits      sync.Map      // path -> struct{}{}
	lastExt   atomic.Value  // Sec-WebSocket-Extensions of the last /ws-deflate request
}

func newBackend(t *testing.T) *backend {
	b := &backend{release: make(chan struct{}), stop: make(chan struct{}), sinkEnded: make(chan string, 16)}
	mux := http.NewServeMux()
	// /ws-sink reads and discards (answering pings) until the session ends.
	mux.HandleFunc("/ws-sink", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				b.sinkEnded <- r.URL.Query().Get("name")
				return
			}
		}
	})
	// /ws-deflate accepts compression if offered, and echoes.
	mux.HandleFunc("/ws-deflate", func(w http.ResponseWriter, r *http.Request) {
		b.lastExt.Store(r.Header.Get("Sec-WebSocket-Extensions"))
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(context.Background())
			if err != nil || c.Write(context.Background(), typ, msg) != nil {
				return
			}
		}
	})
	// /slow-answer reads the body, then takes ?wait to answer.
	mux.HandleFunc("/slow-answer", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		d, _ := time.ParseDuration(r.URL.Query().Get("wait"))
		time.Sleep(d)
		fmt.Fprintf(w, "read %d", n)
	})
	// /ws-idle accepts and then neither reads nor writes until the test ends:
	// a peer that ignores a half-close.
	mux.HandleFunc("/ws-idle", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		<-b.stop
		c.CloseNow()
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := context.Background()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if string(msg) == "drop" {
				// Abrupt: close the TCP connection without a close frame.
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "header": r.Header})
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "first")
		http.NewResponseController(w).Flush()
		select {
		case <-b.release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprintln(w, "second")
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b.hits.Store(r.URL.Path, struct{}{})
		fmt.Fprint(w, "hello")
	})
	b.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(b.stop)
		b.Close()
	})
	return b
}

func (b *backend) hit(path string) bool {
	_, ok := b.hits.Load(path)
	return ok
}

// testLimits are generous limits; tests of a limit lower it.
func testLimits() limits {
	return limits{
		MaxPerUser:   1000,
		MaxUpstream:  1024,
		BodyTimeout:  time.Minute,
		IdleTimeout:  time.Hour,
		BusyGrace:    time.Minute,
		ProbeTimeout: 2 * time.Second,
	}
}

// newTestProxy serves an agent for upstream on a loopback httptest server.
func newTestProxy(t *testing.T, upstream string) (*agent, *httptest.Server, *logBuffer) {
	return newTestProxyWith(t, upstream, testLimits())
}

// newTestProxyWith is newTestProxy with the given limits; the agent's
// background work (closing idle sessions) runs until the test ends.
func newTestProxyWith(t *testing.T, upstream string, lim limits) (*agent, *httptest.Server, *logBuffer) {
	log, buf := testLogger(t)
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	a := newAgent(u, lim, &sessionCounter{}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.run(ctx); close(done) }()
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		a.close()
	})
	return a, srv, buf
}

// testClient is an HTTP client whose idle connections are closed at the end.
func testClient(t *testing.T) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func wsURL(httpURL, path string) string {
	return "ws" + strings.TrimPrefix(httpURL, "http") + path
}

// dialWS opens a websocket to /ws through the server at base.
func dialWS(t testing.TB, ctx context.Context, base string, client *http.Client) *websocket.Conn {
	t.Helper()
	return dialWSPath(t, ctx, base, "/ws", client)
}

func dialWSPath(t testing.TB, ctx context.Context, base, path string, client *http.Client) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, wsURL(base, path), &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("dial websocket through %s: %v", base, err)
	}
	return c
}

// rawConnClient is an HTTP client that remembers the TCP connections it dials.
type rawConnClient struct {
	*http.Client
	mu    sync.Mutex
	conns []net.Conn
}

func newRawConnClient(t *testing.T) *rawConnClient {
	rc := &rawConnClient{}
	d := &net.Dialer{}
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			rc.mu.Lock()
			rc.conns = append(rc.conns, c)
			rc.mu.Unlock()
		}
		return c, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	rc.Client = &http.Client{Transport: tr}
	return rc
}

func (rc *rawConnClient) last() net.Conn {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.conns[len(rc.conns)-1]
}

// echo sends msg and expects it back.
func echo(t *testing.T, ctx context.Context, c *websocket.Conn, msg string) {
	t.Helper()
	short := msg
	if len(short) > 40 {
		short = short[:40] + "..."
	}
	c.SetReadLimit(1 << 20)
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", short, err)
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read echo of %q: %v", short, err)
	}
	if string(got) != msg {
		t.Fatalf("echo of %q: got %d bytes, want %d", short, len(got), len(msg))
	}
}
