package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
)

// syncBuffer is a goroutine-safe log sink for run.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func serverEnv(port int) map[string]string {
	cfg := testConfig()
	return map[string]string{
		logoutconfig.EnvListenHost:          "127.0.0.1",
		logoutconfig.EnvPort:                strconv.Itoa(port),
		logoutconfig.EnvCognitoDomainPrefix: cfg.CognitoDomainPrefix,
		logoutconfig.EnvCognitoRegion:       cfg.CognitoRegion,
		logoutconfig.EnvCognitoClientID:     cfg.CognitoClientID,
		logoutconfig.EnvLogoutRedirectURI:   cfg.LogoutRedirectURI,
		logoutconfig.EnvSignInURL:           "https://app.example.com/",
	}
}

type testServer struct {
	base   string             // http://127.0.0.1:PORT
	env    map[string]string  // the environment run was given
	logs   *syncBuffer        // run's stdout
	cancel context.CancelFunc // stops the server
	done   chan error         // run's result
}

// startServer runs the real server on a free loopback port and waits until
// /healthz answers. The server is stopped when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{
		base:   "http://127.0.0.1:" + strconv.Itoa(port),
		env:    serverEnv(port),
		logs:   &syncBuffer{},
		cancel: cancel,
		done:   make(chan error, 1),
	}
	go func() { s.done <- run(ctx, func(k string) string { return s.env[k] }, s.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})

	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-s.done:
			t.Fatalf("run returned before serving: %v", err)
		default:
		}
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func noRedirectClient() *http.Client {
	return &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestServerEndToEnd(t *testing.T) {
	s := startServer(t)
	client := noRedirectClient()

	req, _ := http.NewRequest(http.MethodGet, s.base+"/logout?logout_uri=https://evil.example", nil)
	req.Header.Set("Cookie", testCookie+"-0=secret-a; "+testCookie+"-2=secret-b; session=secret-c")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /logout: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("GET /logout: status %d, want 302", resp.StatusCode)
	}
	if got := resp.Header.Get("Location"); got != wantLogoutURL {
		t.Errorf("Location:\n got %s\nwant %s", got, wantLogoutURL)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != strictTransportSecurity {
		t.Errorf("Strict-Transport-Security %q, want %q", got, strictTransportSecurity)
	}
	var names []string
	for _, c := range resp.Cookies() {
		names = append(names, c.Name)
	}
	if want := []string{testCookie + "-0", testCookie + "-1", testCookie + "-2"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("expired cookies %q, want %q", names, want)
	}
	expiredCookies(t, resp)

	resp, err = client.Get(s.base + "/logged-out")
	if err != nil {
		t.Fatalf("GET /logged-out: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `href="https://app.example.com/"`) {
		t.Errorf("GET /logged-out: %d\n%s", resp.StatusCode, body)
	}

	resp, err = client.Post(s.base+"/logout", "text/plain", nil)
	if err != nil {
		t.Fatalf("POST /logout: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /logout: %d Allow %q, want 405 GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}

	resp, err = client.Get(s.base + "/nope")
	if err != nil {
		t.Fatalf("GET /nope: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", resp.StatusCode)
	}

	// The health check mode against the running server.
	if err := healthcheck(context.Background(), func(k string) string { return s.env[k] }); err != nil {
		t.Errorf("healthcheck: %v", err)
	}

	// JSON request logs on stdout, without cookie values.
	logs := s.logs.String()
	if strings.Contains(logs, "secret-") {
		t.Errorf("logs contain a cookie value:\n%s", logs)
	}
	found := false
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if e["msg"] == "request" && e["path"] == "/logout" && e["method"] == "GET" && e["status"] == float64(302) {
			found = true
		}
	}
	if !found {
		t.Errorf("no request log line for GET /logout 302:\n%s", logs)
	}
}

func TestServerRejectsHugeHeaders(t *testing.T) {
	s := startServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	// Write concurrently: the server answers before reading everything.
	go func() {
		bw := bufio.NewWriter(conn)
		fmt.Fprintf(bw, "GET /logout HTTP/1.1\r\nHost: x\r\n")
		for i := range 4 {
			fmt.Fprintf(bw, "Cookie: %s-%d=%s\r\n", testCookie, i, strings.Repeat("a", maxHeaderBytes/2))
		}
		fmt.Fprintf(bw, "\r\n")
		_ = bw.Flush()
	}()

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}

	// Headers just under the limit are fine (an ALB session of 4 full shards
	// is about 16 KiB).
	req, _ := http.NewRequest(http.MethodGet, s.base+"/logout", nil)
	for i := range 4 {
		req.Header.Add("Cookie", fmt.Sprintf("%s-%d=%s", testCookie, i, strings.Repeat("a", 4000)))
	}
	resp, err = noRedirectClient().Do(req)
	if err != nil {
		t.Fatalf("GET /logout with a 16 KiB session: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || len(resp.Cookies()) != 4 {
		t.Errorf("GET /logout with a 16 KiB session: %d, %d cookies; want 302, 4", resp.StatusCode, len(resp.Cookies()))
	}
}

func TestServerGracefulShutdown(t *testing.T) {
	s := startServer(t)

	// An idle keep-alive connection must not hold up the shutdown.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()

	start := time.Now()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("run returned %v after cancel, want nil", err)
		}
		s.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s of cancel")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := client.Get(s.base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
	if err := healthcheck(context.Background(), func(k string) string { return s.env[k] }); err == nil {
		t.Error("healthcheck succeeded against a stopped server")
	}
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped log line:\n%s", s.logs.String())
	}
}

func TestRunConfigError(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := run(ctx, func(string) string { return "" }, &out)
	if err == nil {
		t.Fatal("run with an empty environment returned nil")
	}
	for _, name := range []string{
		logoutconfig.EnvCognitoDomainPrefix, logoutconfig.EnvCognitoRegion, logoutconfig.EnvCognitoClientID,
		logoutconfig.EnvLogoutRedirectURI, logoutconfig.EnvSignInURL,
	} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestRunRejectsBadListenHost(t *testing.T) {
	env := serverEnv(freePort(t))
	env[logoutconfig.EnvListenHost] = "localhost; rm -rf /"
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), logoutconfig.EnvListenHost) {
		t.Errorf("run with a bad %s: error %v, want one naming it", logoutconfig.EnvListenHost, err)
	}
}

func TestRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := serverEnv(ln.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = run(ctx, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("run on a busy port: error %v, want a listen error", err)
	}
}

func TestHealthcheckFailsOnBadPort(t *testing.T) {
	err := healthcheck(context.Background(), func(k string) string {
		if k == logoutconfig.EnvPort {
			return "not-a-port"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), logoutconfig.EnvPort) {
		t.Errorf("healthcheck with a bad port: %v, want an error naming %s", err, logoutconfig.EnvPort)
	}
}
