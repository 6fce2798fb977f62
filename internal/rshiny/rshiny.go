// Package rshiny runs a Shiny app under real R for tests, the way the
// Shiny container does: docker/shiny/run.R with SHINY_APP_DIR, SHINY_HOST
// and SHINY_PORT, on a free loopback port. Used only by tests.
package rshiny

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Require returns the path of Rscript once R loads every package in
// packages. Without them the test skips, saying what to install, or fails
// where every tool must be present (.ci/run sets REQUIRE_ALL_TOOLS=1 after
// installing R, so CI never passes by skipping).
func Require(t testing.TB, packages ...string) string {
	t.Helper()
	missing := func(msg string) {
		t.Helper()
		if os.Getenv("REQUIRE_ALL_TOOLS") == "1" {
			t.Fatal(msg + " (REQUIRE_ALL_TOOLS=1)")
		}
		t.Skip(msg)
	}
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		missing(fmt.Sprintf("Rscript is not on PATH: the tests against real R do not run (install R with the packages %s)", strings.Join(packages, ", ")))
	}
	quoted := make([]string, len(packages))
	for i, p := range packages {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	expr := fmt.Sprintf("for (p in c(%s)) loadNamespace(p)", strings.Join(quoted, ", "))
	if out, err := exec.Command(rscript, "-e", expr).CombinedOutput(); err != nil {
		missing("R lacks a package these tests need, so they do not run: " + strings.TrimSpace(string(out)))
	}
	return rscript
}

// Process is R serving a Shiny app on loopback.
type Process struct {
	// URL is the app's base URL, http://127.0.0.1:PORT.
	URL    string
	cmd    *exec.Cmd
	exited chan error
	log    *syncBuffer
}

// Start runs root/docker/shiny/run.R for the app in appDir and returns once
// the app answers; the test's cleanup stops it, and a failed test logs R's
// output.
func Start(t testing.TB, rscript, root, appDir string) *Process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &Process{URL: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan error, 1), log: &syncBuffer{}}
	p.cmd = exec.Command(rscript, filepath.Join(root, "docker", "shiny", "run.R"))
	p.cmd.Env = append(os.Environ(), "SHINY_APP_DIR="+appDir, "SHINY_HOST=127.0.0.1", fmt.Sprintf("SHINY_PORT=%d", port))
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("R log:\n%s", p.Log())
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("Shiny exited before it served (%v):\n%s", err, p.Log())
		default:
		}
		if resp, err := client.Get(p.URL + "/"); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("Shiny did not answer on %s within 60 s:\n%s", p.URL, p.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Kill stops R (the process this test started) and waits for it.
func (p *Process) Kill() {
	select {
	case err := <-p.exited: // already gone
		p.exited <- err
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err
}

// Log is what R printed so far.
func (p *Process) Log() string { return p.log.String() }

// syncBuffer collects R's output from its two pipes.
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
