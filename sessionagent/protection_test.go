package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// protectionSetup runs a proxy and a protector against an agent stand-in.
func protectionSetup(t *testing.T, refresh, grace time.Duration, bo backoff) (*agent, string, *agentStandIn, *logBuffer) {
	b := newBackend(t)
	a, srv, logs := newTestProxy(t, b.URL)
	std := newAgentStandIn(t)
	client := testClient(t)
	p := &protector{
		client:   client,
		url:      newProtectionURL(std.URI()),
		policy:   protectionPolicy{ExpiresIn: 60, Refresh: refresh, Grace: grace},
		sessions: a.sessions,
		notify:   a.sessions.subscribe(),
		backoff:  bo,
		log:      a.log,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return a, srv.URL, std, logs
}

func TestProtectionOnRefreshOff(t *testing.T) {
	checkLeaks(t)
	const refresh, grace = 150 * time.Millisecond, 300 * time.Millisecond
	_, proxyURL, std, _ := protectionSetup(t, refresh, grace, backoff{10 * time.Millisecond, 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if n := std.count(); n != 0 {
		t.Fatalf("agent called %d times before any session", n)
	}
	c := dialWS(t, ctx, proxyURL, testClient(t))
	defer c.CloseNow()
	eventually(t, 5*time.Second, func() bool { return std.count() >= 1 }, "no protection request after the first session")
	first := std.recorded()[0]
	if first.Method != http.MethodPut || first.Path != "/api/task-1/task-protection/v1/state" || first.ContentType != "application/json" {
		t.Fatalf("first request: %s %s (%s)", first.Method, first.Path, first.ContentType)
	}
	if first.Body["ProtectionEnabled"] != true || first.Body["ExpiresInMinutes"] != float64(60) || len(first.Body) != 2 {
		t.Fatalf("first request body %s, want {\"ProtectionEnabled\":true,\"ExpiresInMinutes\":60}", first.RawBody)
	}

	// While the session lasts, protection is refreshed.
	eventually(t, 5*time.Second, func() bool { return std.count() >= 3 }, "protection not refreshed while the session is open")
	for _, r := range std.recorded() {
		if r.Body["ProtectionEnabled"] != true {
			t.Fatalf("protection turned off while a session is open: %s", r.RawBody)
		}
	}
	recs := std.recorded()
	if gap := recs[1].At.Sub(recs[0].At); gap < refresh*8/10 {
		t.Fatalf("refresh after %v, before the refresh interval %v", gap, refresh)
	}

	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	closedAt := time.Now()
	var off agentRecord
	eventually(t, 5*time.Second, func() bool {
		for _, r := range std.recorded() {
			if r.Body["ProtectionEnabled"] == false {
				off = r
				return true
			}
		}
		return false
	}, "protection not turned off after the last session")
	if off.RawBody != `{"ProtectionEnabled":false}` || off.Method != http.MethodPut {
		t.Fatalf("off request: %s %s", off.Method, off.RawBody)
	}
	if waited := off.At.Sub(closedAt); waited < grace*9/10 {
		t.Fatalf("protection turned off %v after the last session, before the %v grace", waited, grace)
	}
}

func TestProtectionOnlyOnChangeAndNoFlap(t *testing.T) {
	checkLeaks(t)
	const grace = 400 * time.Millisecond
	a, proxyURL, std, _ := protectionSetup(t, time.Hour, grace, backoff{10 * time.Millisecond, 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := testClient(t)

	var conns []*websocket.Conn
	for range 5 {
		conns = append(conns, dialWS(t, ctx, proxyURL, client))
	}
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 5 && std.count() >= 1 }, "sessions %d, agent calls %d", a.sessions.load(), std.count())
	// A page reload: all sessions end and one comes back within the grace.
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "")
	}
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 0 }, "sessions did not end")
	c := dialWS(t, ctx, proxyURL, client)
	defer c.CloseNow()
	time.Sleep(2 * grace) // an absence can only be observed by waiting
	if recs := std.recorded(); len(recs) != 1 {
		t.Fatalf("want exactly one agent call (on) for 5 sessions and a reload, got %d: %+v", len(recs), recs)
	}
	c.Close(websocket.StatusNormalClosure, "")
	eventually(t, 5*time.Second, func() bool { return std.count() == 2 }, "protection not turned off")
	if recs := std.recorded(); recs[1].Body["ProtectionEnabled"] != false {
		t.Fatalf("second call: %s", recs[1].RawBody)
	}
}

func TestProtectionAgentFailuresAreRetried(t *testing.T) {
	checkLeaks(t)
	bo := backoff{20 * time.Millisecond, 160 * time.Millisecond}
	_, proxyURL, std, logs := protectionSetup(t, time.Hour, 100*time.Millisecond, bo)
	failures := []struct {
		status int
		body   string
	}{
		{http.StatusInternalServerError, `internal error`},
		{http.StatusOK, `{"failure":{"Arn":"` + testTaskARN + `","Reason":"TASK_NOT_VALID","Detail":"not in a service"},"requestID":"r-1"}`},
		{http.StatusBadRequest, `{"error":{"Arn":"` + testTaskARN + `","Code":"AccessDeniedException","Message":"not authorized"},"requestID":"r-2"}`},
	}
	var isHealthy bool
	var mu sync.Mutex
	std.setRespond(func(n int, enable bool) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if isHealthy {
			return http.StatusOK, `{"protection":{"ExpirationDate":"2030-01-01T00:00:00Z","ProtectionEnabled":true,"TaskArn":"` + testTaskARN + `"}}`
		}
		f := failures[n%len(failures)]
		return f.status, f.body
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := testClient(t)
	c := dialWS(t, ctx, proxyURL, client)
	defer c.CloseNow()
	eventually(t, 10*time.Second, func() bool { return std.count() >= 4 }, "failed calls not retried: %d calls", std.count())

	// Traffic is unaffected during the outage.
	echo(t, ctx, c, "still here")
	resp, err := client.Get(proxyURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("plain request during the agent outage: %d", resp.StatusCode)
	}
	c2 := dialWS(t, ctx, proxyURL, client)
	echo(t, ctx, c2, "new session during the outage")
	c2.Close(websocket.StatusNormalClosure, "")

	recs := std.recorded()
	// Backoff: waits of at least base/2, base, 2*base before attempts 2-4.
	if span := recs[3].At.Sub(recs[0].At); span < bo.base*7/2 {
		t.Fatalf("4 attempts within %v: not backing off", span)
	}
	log := logs.String()
	for _, want := range []string{"task protection update failed", "status 500", "TASK_NOT_VALID", "AccessDeniedException"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}

	mu.Lock()
	isHealthy = true
	mu.Unlock()
	eventually(t, 10*time.Second, func() bool {
		return strings.Contains(logs.String(), "task protection update recovered") && strings.Contains(logs.String(), `"msg":"task protection on"`)
	}, "protection not applied after the agent recovered")
	last := std.recorded()[std.count()-1]
	if last.Status != http.StatusOK || last.Body["ProtectionEnabled"] != true {
		t.Fatalf("last call: %d %s", last.Status, last.RawBody)
	}
}

func TestProtectionResponseParsing(t *testing.T) {
	checkLeaks(t)
	std := newAgentStandIn(t)
	p := &protector{client: testClient(t), url: newProtectionURL(std.URI()), policy: protectionPolicy{ExpiresIn: 5}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"protected", 200, `{"protection":{"ExpirationDate":"2030-01-01T00:00:00Z","ProtectionEnabled":true,"TaskArn":"x"}}`, ""},
		{"failure body with 200", 200, `{"failure":{"Arn":"x","Reason":"TASK_NOT_VALID","Detail":"d"}}`, "TASK_NOT_VALID"},
		{"error body", 400, `{"error":{"Code":"InvalidParameterException","Message":"m"}}`, "InvalidParameterException"},
		{"server error", 503, `unavailable`, "status 503"},
		{"not JSON", 200, `<html>`, "decode"},
		{"empty object", 200, `{}`, "no protection"},
		{"other state", 200, `{"protection":{"ProtectionEnabled":false}}`, "want true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			std.setRespond(func(int, bool) (int, string) { return tc.status, tc.body })
			err := p.set(ctx, true)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second, 1000: time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.delay(attempt)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Fatalf("attempt %d: delays not jittered (%d distinct values)", attempt, len(seen))
		}
	}
}

// The decision itself, one behaviour per row. t0 is a fixed instant; the
// policy renews every 30 minutes and turns off 30 s after the last session.
func TestDecideProtection(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	pol := protectionPolicy{ExpiresIn: 60, Refresh: 30 * time.Minute, Grace: 30 * time.Second}
	on := protectionState{Protected: true, ProtectedAt: t0}
	for _, tc := range []struct {
		name     string
		state    protectionState
		now      time.Time
		sessions int
		drainAt  time.Time
		want     protectionStep
		wantZero time.Time // the state's ZeroSince afterwards
	}{
		{"new task, no sessions: nothing, ever", protectionState{}, t0, 0, time.Time{}, protectionStep{}, time.Time{}},
		{"first session: on", protectionState{}, t0, 1, time.Time{}, protectionStep{Action: protectOn}, time.Time{}},
		{"protected, sessions: wait for the refresh", on, at(time.Minute), 3, time.Time{}, protectionStep{Wake: at(30 * time.Minute)}, time.Time{}},
		{"protected, sessions, refresh due: renew", on, at(30 * time.Minute), 3, time.Time{}, protectionStep{Action: protectOn}, time.Time{}},
		{"last session gone: wait the grace", on, at(time.Minute), 0, time.Time{}, protectionStep{Wake: at(time.Minute + 30*time.Second)}, at(time.Minute)},
		{"grace running: keep waiting", protectionState{Protected: true, ProtectedAt: t0, ZeroSince: at(time.Minute)}, at(time.Minute + 10*time.Second), 0, time.Time{},
			protectionStep{Wake: at(time.Minute + 30*time.Second)}, at(time.Minute)},
		{"grace over: off", protectionState{Protected: true, ProtectedAt: t0, ZeroSince: at(time.Minute)}, at(time.Minute + 30*time.Second), 0, time.Time{},
			protectionStep{Action: protectOff}, at(time.Minute)},
		{"session back within the grace: stays on", protectionState{Protected: true, ProtectedAt: t0, ZeroSince: at(time.Minute)}, at(time.Minute + 10*time.Second), 1, time.Time{},
			protectionStep{Wake: at(30 * time.Minute)}, time.Time{}},
		{"failed call: wait for the retry", protectionState{Failures: 2, RetryAt: at(4 * time.Second)}, at(time.Second), 1, time.Time{}, protectionStep{Wake: at(4 * time.Second)}, time.Time{}},
		{"retry due: call again", protectionState{Failures: 2, RetryAt: at(4 * time.Second)}, at(4 * time.Second), 1, time.Time{}, protectionStep{Action: protectOn}, time.Time{}},
		{"draining, before the deadline: wake at the deadline", on, at(time.Minute), 3, at(10 * time.Minute), protectionStep{Wake: at(10 * time.Minute)}, time.Time{}},
		{"draining, deadline passed, sessions open: off", on, at(10 * time.Minute), 3, at(10 * time.Minute), protectionStep{Action: protectOff}, time.Time{}},
		{"drained and off, sessions open: never on again", protectionState{}, at(11 * time.Minute), 3, at(10 * time.Minute), protectionStep{}, time.Time{}},
		{"draining, new task's first session before the deadline: on", protectionState{}, at(time.Minute), 1, at(10 * time.Minute), protectionStep{Action: protectOn}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, got := decideProtection(tc.state, tc.now, tc.sessions, tc.drainAt, pol)
			if got != tc.want {
				t.Fatalf("step %+v, want %+v", got, tc.want)
			}
			if !s.ZeroSince.Equal(tc.wantZero) {
				t.Fatalf("ZeroSince %v, want %v", s.ZeroSince, tc.wantZero)
			}
		})
	}
}

func TestProtectionCalled(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := protectionCalled(protectionState{}, protectOn, errors.New("agent down"), t0, 2*time.Second)
	if s.Protected || s.Failures != 1 || !s.RetryAt.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("after a failure: %+v", s)
	}
	s = protectionCalled(s, protectOn, nil, t0.Add(3*time.Second), time.Second)
	if !s.Protected || s.Failures != 0 || !s.ProtectedAt.Equal(t0.Add(3*time.Second)) || !s.RetryAt.IsZero() {
		t.Fatalf("after success: %+v", s)
	}
	s.ZeroSince = t0.Add(time.Minute)
	s = protectionCalled(s, protectOff, nil, t0.Add(2*time.Minute), time.Second)
	if s.Protected || !s.ZeroSince.IsZero() {
		t.Fatalf("after off: %+v", s)
	}
}
