package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shinyfargate/shiny-cdktf/internal/rshiny"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// These tests run the sidecar in front of real R and Shiny: the sample
// app's start script (docker/shiny/run.R) with the test app in
// testdata/busyapp. Without Rscript and the shiny package they skip, or fail
// when REQUIRE_ALL_TOOLS=1 (CI installs them).

func requireShiny(t *testing.T) string {
	t.Helper()
	return rshiny.Require(t, "shiny")
}

// startShinyApp runs testdata/busyapp as the Shiny container runs an app.
func startShinyApp(t *testing.T, rscript string) *rshiny.Process {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return rshiny.Start(t, rscript, root, filepath.Join(root, "sessionagent", "testdata", "busyapp"))
}

// shinySession speaks Shiny's websocket protocol as its browser client does.
type shinySession struct {
	c *websocket.Conn
}

func openShinySession(t *testing.T, ctx context.Context, base string, client *http.Client) *shinySession {
	t.Helper()
	c := dialWSPath(t, ctx, base, "/websocket/", client)
	c.SetReadLimit(1 << 20)
	go func() { // Shiny talks; a browser reads, and so receives pongs
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	s := &shinySession{c: c}
	s.send(t, ctx, `{"method":"init","data":{"sleep":0,".clientdata_output_done_hidden":false,".clientdata_url_search":""}}`)
	return s
}

func (s *shinySession) send(t *testing.T, ctx context.Context, msg string) {
	t.Helper()
	if err := s.c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("send %s: %v", msg, err)
	}
}

// healthOf asks the sidecar at base for its health.
func healthOf(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := testClient(t).Get(base + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A long computation keeps the task healthy for the busy grace; a crashed R
// is unhealthy at once. Both for the health endpoint and -healthcheck.
func TestHealthAgainstRealShiny(t *testing.T) {
	rscript := requireShiny(t)
	checkLeaks(t)
	r := startShinyApp(t, rscript)
	lim := testLimits()
	lim.ProbeTimeout = time.Second
	lim.BusyGrace = 10 * time.Minute
	_, patient, _ := newTestProxyWith(t, r.URL, lim)
	lim.BusyGrace = 0
	_, impatient, _ := newTestProxyWith(t, r.URL, lim)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u, _ := url.Parse(patient.URL)
	cliEnv := map[string]string{sessionmodel.EnvAgentPort: u.Port()}
	cli := func() error { return healthcheck(ctx, func(k string) string { return cliEnv[k] }) }

	if code, body := healthOf(t, patient.URL); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("idle R: %d %s", code, body)
	}
	s := openShinySession(t, ctx, patient.URL, testClient(t))
	defer s.c.CloseNow()
	s.send(t, ctx, `{"method":"update","data":{"sleep":6}}`)

	// R sleeps for 6 s: httpuv accepts connections on its own thread, and
	// nothing is answered.
	var code int
	var body string
	eventually(t, 5*time.Second, func() bool {
		code, body = healthOf(t, patient.URL)
		return strings.Contains(body, `"status":"busy"`)
	}, "R never seen busy: %d %s", code, body)
	if code != http.StatusOK {
		t.Fatalf("busy within the grace: %d %s, want 200", code, body)
	}
	if err := cli(); err != nil {
		t.Fatalf("-healthcheck while busy within the grace: %v", err)
	}
	if code, body := healthOf(t, impatient.URL); code != http.StatusServiceUnavailable || !strings.Contains(body, "busy too long") {
		t.Fatalf("busy beyond the grace: %d %s, want 503", code, body)
	}
	eventually(t, 15*time.Second, func() bool {
		code, body = healthOf(t, patient.URL)
		return code == http.StatusOK && strings.Contains(body, `"status":"ok"`)
	}, "R did not answer again after computing: %d %s", code, body)

	r.Kill()
	if code, body := healthOf(t, patient.URL); code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"down"`) {
		t.Fatalf("R killed: %d %s, want 503 down at once", code, body)
	}
	if err := cli(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("-healthcheck with R killed: %v, want a 503 error", err)
	}
}

// An idle session is closed on both sides: R runs onSessionEnded. Pings and
// Shiny's own layout messages do not keep it open; a user's input does.
func TestIdleSessionEndsInRealShiny(t *testing.T) {
	rscript := requireShiny(t)
	checkLeaks(t)
	r := startShinyApp(t, rscript)
	lim := testLimits()
	lim.IdleTimeout = 1500 * time.Millisecond
	a, srv, _ := newTestProxyWith(t, r.URL, lim)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := testClient(t)

	idle := openShinySession(t, ctx, srv.URL, client)
	defer idle.c.CloseNow()
	active := openShinySession(t, ctx, srv.URL, client)
	defer active.c.CloseNow()
	eventually(t, 10*time.Second, func() bool { return strings.Count(r.Log(), "session started") == 2 }, "R did not start both sessions")

	var wg sync.WaitGroup
	defer wg.Wait()
	keepSending := func(s *shinySession, msg string) {
		wg.Go(func() {
			for ctx.Err() == nil {
				pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
				err := s.c.Ping(pctx)
				pcancel()
				if err != nil || s.c.Write(ctx, websocket.MessageText, []byte(msg)) != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	keepSending(idle, `{"method":"update","data":{".clientdata_output_done_width":640,".clientdata_output_done_hidden":false}}`)
	keepSending(active, `{"method":"update","data":{"sleep":0}}`)

	eventually(t, 20*time.Second, func() bool { return strings.Count(r.Log(), "session ended") == 1 },
		"R's onSessionEnded did not run for the idle session")
	eventually(t, 5*time.Second, func() bool { return a.sessions.load() == 1 }, "count %d, want 1 (the active session)", a.sessions.load())
	if _, _, err := idle.c.Read(ctx); err == nil {
		t.Fatal("the idle session's browser side is still open")
	}
	time.Sleep(2 * lim.IdleTimeout) // the active one outlives the timeout
	if strings.Count(r.Log(), "session ended") != 1 || a.sessions.load() != 1 {
		t.Fatalf("the session with user input was closed too (count %d)", a.sessions.load())
	}
	cancel()
	active.c.CloseNow()
}
