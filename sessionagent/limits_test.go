package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A session whose browser only sends keep-alive (pings, layout updates)
// is closed after the idle timeout, on both sides; one whose user acts
// stays open.
func TestIdleSessionIsClosed(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	lim := testLimits()
	lim.IdleTimeout = 400 * time.Millisecond
	a, srv, logs := newTestProxyWith(t, b.URL, lim)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := testClient(t)

	// open dials /ws-sink and keeps sending msg and a ping every 50 ms until
	// the connection fails; it returns a channel that closes then.
	open := func(name, msg string) (*websocket.Conn, <-chan struct{}) {
		c := dialWSPath(t, ctx, srv.URL, "/ws-sink?name="+name, client)
		ended := make(chan struct{})
		go func() { // reads, so pongs are received
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		go func() {
			defer close(ended)
			for {
				pctx, pcancel := context.WithTimeout(ctx, time.Second)
				err := c.Ping(pctx)
				pcancel()
				if err != nil || c.Write(ctx, websocket.MessageText, []byte(msg)) != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		return c, ended
	}
	keepAlive, keepAliveEnded := open("keep-alive", shinyClientdata)
	defer keepAlive.CloseNow()
	user, userEnded := open("user", shinyInput)
	defer user.CloseNow()
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 2 }, "count %d, want 2", a.sessions.load())

	select {
	case <-keepAliveEnded:
	case <-time.After(10 * time.Second):
		t.Fatal("a session with only pings and layout updates was not closed")
	}
	select {
	case name := <-b.sinkEnded:
		if name != "keep-alive" {
			t.Fatalf("the app saw %q end, want the idle one", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the app's side of the idle session was not closed")
	}
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 1 }, "count %d after closing the idle session, want 1", a.sessions.load())
	select {
	case <-userEnded:
		t.Fatal("a session whose user acts was closed")
	default:
	}
	if !strings.Contains(logs.String(), "closing idle session") {
		t.Fatal("the close is not logged")
	}
}

func TestSessionsPerUserAreCapped(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	lim := testLimits()
	lim.MaxPerUser = 2
	a, srv, _ := newTestProxyWith(t, b.URL, lim)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := testClient(t)
	dialAs := func(user string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		h.Set("X-Amzn-Oidc-Identity", user)
		return websocket.Dial(ctx, wsURL(srv.URL, "/ws"), &websocket.DialOptions{HTTPClient: client, HTTPHeader: h})
	}
	var alice []*websocket.Conn
	for range 2 {
		c, _, err := dialAs("alice")
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		alice = append(alice, c)
	}
	_, resp, err := dialAs("alice")
	if err == nil {
		t.Fatal("a third session for the same user was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("want 429, got %v", resp)
	}
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), "Too many open sessions") || len(body) > 200 {
		t.Fatalf("body %q: want a short explanation", body)
	}
	bob, _, err := dialAs("bob")
	if err != nil {
		t.Fatalf("another user is refused: %v", err)
	}
	defer bob.CloseNow()
	if n := a.sessions.load(); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	alice[0].Close(websocket.StatusNormalClosure, "")
	eventually(t, 5*time.Second, func() bool {
		c, _, err := dialAs("alice")
		if err == nil {
			c.CloseNow()
		}
		return err == nil
	}, "alice cannot open a session after closing one")
}

func TestUpstreamRequestsAreCapped(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	lim := testLimits()
	lim.MaxUpstream = 1
	_, srv, _ := newTestProxyWith(t, b.URL, lim)
	client := testClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream", nil)
	held, err := client.Do(req) // holds the one slot until released
	if err != nil {
		t.Fatal(err)
	}
	defer held.Body.Close()
	resp, err := client.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("beyond the cap: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(b.release)
	_, _ = io.ReadAll(held.Body)
	eventually(t, 5*time.Second, func() bool {
		resp, err := client.Get(srv.URL + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "the slot was not given back")
}

func TestSlowRequestBodyTimesOut(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	lim := testLimits()
	lim.BodyTimeout = 300 * time.Millisecond
	_, srv, _ := newTestProxyWith(t, b.URL, lim)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// 10 of the 100 bytes promised, then nothing.
	if _, err := io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %d, want 408", resp.StatusCode)
	}

	// A body that arrives in time, answered after longer than the body
	// timeout: the deadline must not cut the answer off.
	resp, err = testClient(t).Post(srv.URL+"/slow-answer?wait=900ms", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "read 5" {
		t.Fatalf("slow answer after a prompt body: %d %q", resp.StatusCode, body)
	}
}

func TestOtherUpgradesAreRefused(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/h2c", nil)
	req.Header.Set("Connection", "Upgrade, HTTP2-Settings")
	req.Header.Set("Upgrade", "h2c")
	resp, err := testClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "websocket") {
		t.Fatalf("h2c upgrade: %d %q, want 400 naming websocket", resp.StatusCode, body)
	}
	if b.hit("/h2c") {
		t.Fatal("the refused upgrade reached the app")
	}
}

// The sidecar must read the browser's messages, so compression offered by
// the browser is not passed on to Shiny.
func TestWebSocketCompressionIsNotNegotiated(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	_, srv, _ := newTestProxy(t, b.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPClient: testClient(t), CompressionMode: websocket.CompressionContextTakeover}
	direct, resp, err := websocket.Dial(ctx, wsURL(b.URL, "/ws-deflate"), opts)
	if err != nil {
		t.Fatal(err)
	}
	direct.CloseNow()
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		t.Fatal("the stand-in does not negotiate compression: the test proves nothing")
	}
	c, resp, err := websocket.Dial(ctx, wsURL(srv.URL, "/ws-deflate"), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("compression negotiated through the sidecar: %q", ext)
	}
	if ext := b.lastExt.Load(); ext != "" {
		t.Fatalf("the app was offered %q", ext)
	}
	echo(t, ctx, c, "uncompressed")
}

// Errors the sidecar writes itself are short, say what happened, and carry HSTS.
func TestOwnResponses(t *testing.T) {
	checkLeaks(t)
	client := testClient(t)
	get := func(t *testing.T, url string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	t.Run("agent paths are not proxied", func(t *testing.T) {
		b := newBackend(t)
		_, srv, _ := newTestProxy(t, b.URL)
		for _, p := range []string{"/__sessionagent/metrics", "/__sessionagent", "/__sessionagent/../__sessionagent/x", "/__sessionagent/healthz/"} {
			resp, _ := get(t, srv.URL+p)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, resp.StatusCode)
			}
		}
		b.hits.Range(func(k, _ any) bool { t.Errorf("the app saw %v", k); return true })
	})
	t.Run("502 while Shiny is down", func(t *testing.T) {
		b := newBackend(t)
		_, srv, _ := newTestProxy(t, b.URL)
		b.Close()
		resp, body := get(t, srv.URL+"/")
		if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Retry-After") == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "restarting") || len(body) > 1024 {
			t.Fatalf("%d %v %q", resp.StatusCode, resp.Header, body)
		}
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Fatal("no HSTS on the 502")
		}
	})
	t.Run("HSTS on proxied and own responses", func(t *testing.T) {
		b := newBackend(t)
		_, srv, _ := newTestProxy(t, b.URL)
		for _, p := range []string{"/", HealthPath, "/__sessionagent/x"} {
			resp, _ := get(t, srv.URL+p)
			if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != hsts {
				t.Errorf("%s: Strict-Transport-Security %q, want %q once", p, got, hsts)
			}
		}
	})
}

func TestJudgeHealth(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	grace := 10 * time.Minute
	busy := healthState{BusySince: t0}
	for _, tc := range []struct {
		name      string
		state     healthState
		outcome   probeOutcome
		now       time.Time
		wantState healthState
		want      healthVerdict
	}{
		{"answers", healthState{}, probeUp, t0, healthState{}, healthVerdict{true, "ok"}},
		{"answers after being busy", busy, probeUp, t0.Add(time.Minute), healthState{}, healthVerdict{true, "ok"}},
		{"first unanswered probe", healthState{}, probeBusy, t0, busy, healthVerdict{true, "busy"}},
		{"busy within the grace", busy, probeBusy, t0.Add(grace - time.Second), busy, healthVerdict{true, "busy"}},
		{"busy for the whole grace", busy, probeBusy, t0.Add(grace), busy, healthVerdict{false, "busy too long"}},
		{"refused", healthState{}, probeDown, t0, healthState{}, healthVerdict{false, "down"}},
		{"refused while busy: down at once", busy, probeDown, t0.Add(time.Second), healthState{}, healthVerdict{false, "down"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, v := judgeHealth(tc.state, tc.outcome, tc.now, grace)
			if s != tc.wantState || v != tc.want {
				t.Fatalf("got %+v %+v, want %+v %+v", s, v, tc.wantState, tc.want)
			}
		})
	}
}

// A stand-in for a busy R: it accepts connections (httpuv does, on its own
// thread) and never answers.
func TestHealthWhileUpstreamIsBusy(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held sync.WaitGroup
	stop := make(chan struct{})
	held.Go(func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				<-stop
				return
			}
			conns = append(conns, c)
		}
	})
	defer func() { ln.Close(); close(stop); held.Wait() }()
	upstream := "http://" + ln.Addr().String()

	health := func(t *testing.T, grace time.Duration) (int, string) {
		t.Helper()
		lim := testLimits()
		lim.BusyGrace, lim.ProbeTimeout = grace, 200*time.Millisecond
		_, srv, _ := newTestProxyWith(t, upstream, lim)
		resp, err := testClient(t).Get(srv.URL + HealthPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := health(t, time.Minute); code != http.StatusOK || !strings.Contains(body, `"status":"busy"`) {
		t.Fatalf("busy within the grace: %d %s, want 200 busy", code, body)
	}
	if code, body := health(t, 0); code != http.StatusServiceUnavailable || !strings.Contains(body, "busy too long") {
		t.Fatalf("busy beyond the grace: %d %s, want 503", code, body)
	}
}
