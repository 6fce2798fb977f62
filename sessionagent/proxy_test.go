package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func TestSessionCountedWhileOpen(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	a, srv, _ := newTestProxy(t, b.URL)
	client := testClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if n := a.sessions.load(); n != 0 {
		t.Fatalf("sessions before any connection = %d", n)
	}
	c := dialWS(t, ctx, srv.URL, client)
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 1 }, "one open websocket counts 1, have %d", a.sessions.load())
	echo(t, ctx, c, "hello through the proxy")
	echo(t, ctx, c, strings.Repeat("x", 200_000)) // larger than any buffer

	// Plain requests do not count, even while a session is open.
	resp, err := client.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := a.sessions.load(); n != 1 {
		t.Fatalf("a plain request changed the count to %d", n)
	}

	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 0 }, "closed websocket still counted: %d", a.sessions.load())
}

func TestSessionEndsOnAbruptClientDisconnect(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	a, srv, _ := newTestProxy(t, b.URL)
	for _, tc := range []struct {
		name  string
		path  string
		reset bool
	}{
		{"FIN without close frame", "/ws", false},
		{"RST", "/ws", true},
		// The backend ignores the FIN: the session must still end, which
		// takes a full close of the backend side, not a half-close.
		{"FIN, backend ignores it", "/ws-idle", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rc := newRawConnClient(t)
			c := dialWSPath(t, ctx, srv.URL, tc.path, rc.Client)
			defer c.CloseNow()
			if tc.path == "/ws" {
				echo(t, ctx, c, "ping")
			}
			eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 1 }, "count %d, want 1", a.sessions.load())

			raw := rc.last()
			if tc.reset {
				if err := raw.(*net.TCPConn).SetLinger(0); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close() // no close frame
			eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 0 }, "abruptly closed session still counted: %d", a.sessions.load())
		})
	}
}

func TestSessionEndsWhenBackendDrops(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	a, srv, _ := newTestProxy(t, b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialWS(t, ctx, srv.URL, testClient(t))
	defer c.CloseNow()
	echo(t, ctx, c, "ping")
	if err := c.Write(ctx, websocket.MessageText, []byte("drop")); err != nil {
		t.Fatal(err)
	}
	// The client does not read (so it ignores the FIN): the session must end
	// anyway.
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 0 }, "session dropped by the backend still counted: %d", a.sessions.load())
	if _, _, err := c.Read(ctx); err == nil {
		t.Fatal("read after the backend dropped the connection succeeded")
	}
}

func TestRefusedUpgradeIsNotCounted(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	a, srv, _ := newTestProxy(t, b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The backend answers 200, not 101, on /: no session.
	_, resp, err := websocket.Dial(ctx, wsURL(srv.URL, "/"), &websocket.DialOptions{HTTPClient: testClient(t)})
	if err == nil {
		t.Fatal("dial succeeded against a path that does not upgrade")
	}
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("want the backend's 200 passed through, got %v", resp)
	}
	if n := a.sessions.load(); n != 0 {
		t.Fatalf("refused upgrade counted: %d", n)
	}
}

func TestConcurrentSessions(t *testing.T) {
	checkLeaks(t)
	const sessions = 200
	b := newBackend(t)
	a, srv, _ := newTestProxy(t, b.URL)
	client := testClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conns := make([]*websocket.Conn, sessions)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make(chan error, sessions)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := websocket.Dial(ctx, wsURL(srv.URL, "/ws"), &websocket.DialOptions{HTTPClient: client})
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dial: %v", err)
	}
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == sessions }, "count %d, want %d", a.sessions.load(), sessions)
	echo(t, ctx, conns[0], "first")
	echo(t, ctx, conns[sessions-1], "last")
	if n := a.sessions.load(); n != sessions {
		t.Fatalf("count %d, want exactly %d", n, sessions)
	}

	for _, c := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_ = c.Close(websocket.StatusNormalClosure, "")
		})
	}
	wg.Wait()
	eventually(t, 10*time.Second, func() bool { return a.sessions.load() == 0 }, "count %d after closing all, want 0", a.sessions.load())
}

func TestHeadersPassThrough(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	oidcData := "eyJ0eXAiOiJKV1QiLCJraWQiOiJhYmMiLCJhbGciOiJFUzI1NiJ9." + strings.Repeat("A", 3000) + ".sig=="
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/headers?x=1", nil)
	req.Host = "shiny.example.com"
	req.Header.Set("x-amzn-oidc-data", oidcData)
	req.Header.Set("x-amzn-oidc-identity", "user-123")
	req.Header.Set("x-amzn-oidc-accesstoken", "access-token-abc")
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Port", "443")
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-abc")
	req.Header.Set("Cookie", "a=1; b=2")
	// What a client may add and the ALB passes on: forwarding headers the
	// ALB never sets, and a Connection header naming the ALB's headers.
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("Forwarded", "for=198.51.100.1;host=evil.example;proto=http")
	req.Header.Set("Connection", "x-amzn-oidc-data, X-Amzn-Oidc-Identity, x-amzn-oidc-accesstoken, X-Forwarded-Proto")
	resp, err := testClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Host   string      `json:"host"`
		Header http.Header `json:"header"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X-Amzn-Oidc-Data":        oidcData,
		"X-Amzn-Oidc-Identity":    "user-123",
		"X-Amzn-Oidc-Accesstoken": "access-token-abc",
		"X-Forwarded-For":         "203.0.113.7, 127.0.0.1", // the ALB's chain plus the ALB's address
		"X-Forwarded-Proto":       "https",                  // the ALB's, not the sidecar's http
		"X-Forwarded-Port":        "443",
		"X-Amzn-Trace-Id":         "Root=1-abc",
		"Cookie":                  "a=1; b=2",
	}
	for k, v := range want {
		if g := got.Header.Values(k); len(g) != 1 || g[0] != v {
			t.Errorf("header %s at the backend = %q, want %q", k, g, v)
		}
	}
	for _, h := range []string{"X-Forwarded-Host", "Forwarded"} {
		if g := got.Header.Values(h); len(g) > 0 {
			t.Errorf("client-supplied %s reached the backend: %q", h, g)
		}
	}
	if got.Host != "shiny.example.com" {
		t.Errorf("Host at the backend = %q, want the client's", got.Host)
	}
}

func TestStreamingResponseIsIncremental(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream", nil)
	resp, err := testClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The backend holds the response open until release: the first chunk
	// can only arrive now if the proxy passed it on without buffering.
	first, err := br.ReadString('\n')
	if err != nil || first != "first\n" {
		t.Fatalf("first chunk: %q, %v", first, err)
	}
	close(b.release)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest: %q, %v", rest, err)
	}
}

func TestLargeUpload(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	data := make([]byte, 32<<20)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data)
	sum := sha256.Sum256(data)
	resp, err := testClient(t).Post(srv.URL+"/upload", "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want := fmt.Sprintf("%d %s", len(data), hex.EncodeToString(sum[:]))
	if resp.StatusCode != http.StatusOK || string(got) != want {
		t.Fatalf("upload through the proxy: status %d, backend saw %q, want %q", resp.StatusCode, got, want)
	}
}

func TestHealthEndpoint(t *testing.T) {
	checkLeaks(t)
	get := func(t *testing.T, base string) (int, map[string]any) {
		t.Helper()
		resp, err := testClient(t).Get(base + HealthPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}

	t.Run("upstream up", func(t *testing.T) {
		b := newBackend(t)
		_, srv, _ := newTestProxy(t, b.URL)
		if code, body := get(t, srv.URL); code != http.StatusOK || body["status"] != "ok" {
			t.Fatalf("got %d %v, want 200 ok", code, body)
		}
		if !b.hit("/") {
			t.Fatal("the health check did not probe the upstream's /")
		}
		if b.hit(HealthPath) {
			t.Fatal("the health path was proxied to the app")
		}
	})
	t.Run("upstream answers 404", func(t *testing.T) {
		up := httptest.NewServer(http.NotFoundHandler())
		defer up.Close()
		_, srv, _ := newTestProxy(t, up.URL)
		if code, _ := get(t, srv.URL); code != http.StatusOK {
			t.Fatalf("got %d, want 200 for an upstream status below 500", code)
		}
	})
	t.Run("upstream answers 500", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer up.Close()
		_, srv, _ := newTestProxy(t, up.URL)
		if code, body := get(t, srv.URL); code != http.StatusServiceUnavailable {
			t.Fatalf("got %d %v, want 503", code, body)
		}
	})
	t.Run("upstream down", func(t *testing.T) {
		up := httptest.NewServer(http.NotFoundHandler())
		up.Close()
		_, srv, _ := newTestProxy(t, up.URL)
		if code, body := get(t, srv.URL); code != http.StatusServiceUnavailable {
			t.Fatalf("got %d %v, want 503", code, body)
		}
		// Other paths get the proxy's 502.
		resp, err := testClient(t).Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("proxied request with the upstream down: %d, want 502", resp.StatusCode)
		}
	})
}

func TestHealthcheckMode(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	u, _ := url.Parse(srv.URL)
	env := map[string]string{sessionmodel.EnvAgentPort: u.Port()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := healthcheck(ctx, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("healthy sidecar: %v", err)
	}
	b.Close()
	if err := healthcheck(ctx, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("upstream down: want an error with 503, got %v", err)
	}
	srv.Close()
	if err := healthcheck(ctx, func(k string) string { return env[k] }); err == nil {
		t.Fatal("nothing listening: want an error")
	}
}
