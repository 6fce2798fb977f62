package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/coder/websocket"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func testOptions() options {
	o := defaultOptions()
	o.coalesce = 20 * time.Millisecond
	o.backoff = backoff{10 * time.Millisecond, 100 * time.Millisecond}
	o.deploymentPoll = 50 * time.Millisecond
	o.shutdownTimeout = 5 * time.Second
	return o
}

// startRun runs runWith in the background on loopback (env gets
// SESSION_AGENT_LISTEN_HOST and a free SESSION_AGENT_PORT unless it has
// them) and waits until its health endpoint answers, whatever it says.
// stop cancels it and returns its error.
func startRun(t *testing.T, env map[string]string, stdout *logBuffer) (base string, stop func() error) {
	if env[sessionmodel.EnvListenHost] == "" {
		env[sessionmodel.EnvListenHost] = "127.0.0.1"
	}
	if env[sessionmodel.EnvAgentPort] == "" {
		env[sessionmodel.EnvAgentPort] = strconv.Itoa(freePort(t))
	}
	base = "http://" + net.JoinHostPort(env[sessionmodel.EnvListenHost], env[sessionmodel.EnvAgentPort])
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runWith(ctx, func(k string) string { return env[k] }, stdout, testOptions()) }()
	probe := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := probe.Get(base + HealthPath)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run ended at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("run did not answer on %s: %v", base+HealthPath, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("run did not return after cancellation")
			}
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func TestRunLocallyWithoutECS(t *testing.T) {
	checkLeaks(t)
	b := newBackend(t)
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	})
	env := map[string]string{
		sessionmodel.EnvUpstreamURL: b.URL,
	}
	base, stop := startRun(t, env, logs)
	if !strings.HasPrefix(base, "http://127.0.0.1:"+env[sessionmodel.EnvAgentPort]) {
		t.Fatalf("listening on %s", base)
	}
	client := testClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := client.Get(base + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	if err := healthcheck(ctx, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("-healthcheck against the running sidecar: %v", err)
	}
	c := dialWS(t, ctx, base, client)
	echo(t, ctx, c, "local")

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after SIGTERM", err)
	}
	// Shutdown closed the open websocket.
	if _, _, err := c.Read(ctx); err == nil {
		t.Fatal("websocket still open after shutdown")
	}
	c.CloseNow()
	for _, want := range []string{"session reporting disabled: ECS_CONTAINER_METADATA_URI_V4 is not set", "task scale-in protection disabled: ECS_AGENT_URI is not set", `"msg":"sessionagent stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, r := range logs.records(t) {
		if r["level"] == nil || r["msg"] == nil || r["time"] == nil {
			t.Fatalf("log record without level/msg/time: %v", r)
		}
	}
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	env := map[string]string{sessionmodel.EnvAgentPort: "http"}
	err := run(context.Background(), func(k string) string { return env[k] }, &logBuffer{})
	if err == nil || !strings.Contains(err.Error(), sessionmodel.EnvAgentPort) {
		t.Fatalf("run with a bad port: %v", err)
	}
}

// inECS is the environment of a sidecar in an ECS task, on loopback: a
// backend, a task metadata stand-in (answering after metaNotReady 503s), an
// ECS agent stand-in, the AWS variables awsEnv (moto's) and extra. Its log
// is printed if the test fails.
type inECS struct {
	env  map[string]string
	std  *agentStandIn
	logs *logBuffer
}

func newInECS(t *testing.T, awsEnv []string, table string, metaNotReady int64, extra map[string]string) inECS {
	b := newBackend(t)
	meta := newMetadataStandIn(t, metaNotReady)
	e := inECS{std: newAgentStandIn(t), logs: &logBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", e.logs.String())
		}
	})
	e.env = map[string]string{
		sessionmodel.EnvUpstreamURL: b.URL,
		sessionmodel.EnvTableName:   table,
		EnvMetadataURI:              meta.URI(),
		EnvAgentURI:                 e.std.URI(),
	}
	for _, kv := range awsEnv {
		k, v, _ := strings.Cut(kv, "=")
		e.env[k] = v
	}
	for k, v := range extra {
		e.env[k] = v
	}
	return e
}

// testRunEndToEnd runs the whole sidecar against moto (awsEnv: its AWS_*
// variables), a metadata and an agent stand-in.
func testRunEndToEnd(t *testing.T, awsEnv []string, db *dynamodb.Client, table string) {
	e := newInECS(t, awsEnv, table, 1, map[string]string{EnvProtectionMinutes: "15", EnvProtectionGrace: "100ms"})
	std, logs := e.std, e.logs
	base, stop := startRun(t, e.env, logs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := testClient(t)

	eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 0 }, "no initial item")
	c := dialWS(t, ctx, base, client)
	echo(t, ctx, c, "hello")
	eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 1 }, "item shows %d, want 1", itemSessions(t, db, table))
	eventually(t, 10*time.Second, func() bool { return std.count() >= 1 }, "protection not requested")
	if r := std.recorded()[0]; r.RawBody != `{"ProtectionEnabled":true,"ExpiresInMinutes":15}` {
		t.Fatalf("protection request %s", r.RawBody)
	}
	c.Close(websocket.StatusNormalClosure, "")
	eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 0 }, "item shows %d, want 0", itemSessions(t, db, table))
	eventually(t, 10*time.Second, func() bool {
		recs := std.recorded()
		return len(recs) == 2 && recs[1].RawBody == `{"ProtectionEnabled":false}`
	}, "protection not turned off: %+v", std.recorded())

	// Shut down with a session open: the final item carries it.
	c2 := dialWS(t, ctx, base, client)
	defer c2.CloseNow()
	eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 1 }, "item shows %d, want 1", itemSessions(t, db, table))
	if err := stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"final session item written","table":"`+table+`","sessions":1`) {
		t.Fatal("no final item write with the open session")
	}
	if it, _ := getItem(t, db, table); it.Sessions != 1 {
		t.Fatalf("final item %+v", it)
	}
}
