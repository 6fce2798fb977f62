package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWSURL(t *testing.T) {
	if got, want := wsURL("http://127.0.0.1:3838"), "ws://127.0.0.1:3838/websocket/"; got != want {
		t.Errorf("wsURL = %q, want %q", got, want)
	}
}

func TestParseFlagsNamesEveryProblem(t *testing.T) {
	_, err := parseFlags([]string{"-direct", "http://10.0.0.1:3838", "-sidecar", "http://127.0.0.1:8080", "-small-path", "x"}, &strings.Builder{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		`-direct "http://10.0.0.1:3838": must be an http://127.0.0.1:PORT URL`,
		`-nginx "": must be`,
		"-shiny-pid 0: must be the process id of direct (Shiny)",
		"-sidecar-pid 0: must be the process id of sidecar (sessionagent)",
		`-small-path "x": must start with /`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// The Shiny protocol as the bench speaks it, against the real server: the
// bench app under docker/shiny/run.R, as make bench-proxy runs it.
func TestShinySessionAgainstRealShiny(t *testing.T) {
	base := startShiny(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := newClient(2)
	sessions, err := openMany(ctx, client, base, 3, 2)
	defer closeAll(sessions)
	if err != nil || len(sessions) != 3 {
		t.Fatalf("openMany: %d sessions, %v; want 3", len(sessions), err)
	}
	for i := 1; i <= 3; i++ {
		first, full, err := sessions[0].roundTrip(ctx)
		if err != nil {
			t.Fatalf("round trip %d: %v", i, err)
		}
		if first <= 0 || full < first {
			t.Errorf("round trip %d: first answer after %v, output after %v", i, first, full)
		}
	}
	// The echo came back for the right value each time: a stale one would
	// have left roundTrip waiting, so a fourth must still work.
	if _, _, err := sessions[0].roundTrip(ctx); err != nil {
		t.Fatal(err)
	}
}

// startShiny runs the bench app with docker/shiny/run.R on a free loopback
// port and returns its URL once GET / answers 200.
func startShiny(t *testing.T) string {
	t.Helper()
	rscript, err := exec.LookPath("Rscript")
	if err == nil {
		err = exec.Command(rscript, "-e", `loadNamespace("shiny")`).Run()
	}
	if err != nil {
		msg := "R with the shiny package is needed to run the bench app: apt-get install r-cran-shiny"
		if os.Getenv("REQUIRE_ALL_TOOLS") == "1" {
			t.Fatal(msg + " (REQUIRE_ALL_TOOLS=1)")
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "shiny.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rscript, filepath.Join(root, "docker", "shiny", "run.R"))
	cmd.Env = append(os.Environ(),
		"SHINY_APP_DIR="+filepath.Join(root, "bench", "proxy", "app"),
		"SHINY_HOST=127.0.0.1",
		fmt.Sprintf("SHINY_PORT=%d", port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("Shiny exited (%v):\n%s", err, log)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("Shiny did not answer at %s within a minute:\n%s", base, log)
		}
	}
}
