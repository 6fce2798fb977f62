package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/rshiny"
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
// port and returns its base URL once it answers.
func startShiny(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	rscript := rshiny.Require(t, "shiny")
	return rshiny.Start(t, rscript, root, filepath.Join(root, "bench", "proxy", "app")).URL
}
