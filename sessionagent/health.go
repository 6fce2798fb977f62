package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Health answers whether the task can serve, not whether R is free this
// second. R runs on one thread, but httpuv accepts connections and reads
// requests on a thread of its own, so the probe tells three states apart:
//
//   - up:      Shiny answered GET / with a status below 500;
//   - busy:    the connection was accepted but no answer came within the
//     probe timeout (R is computing);
//   - down:    the connection was refused or failed, or Shiny answered 5xx.
//
// Busy is healthy until it has lasted busyGrace; down is unhealthy at once.

type probeOutcome int

const (
	probeUp probeOutcome = iota
	probeBusy
	probeDown
)

// healthState is what the health check remembers between probes.
type healthState struct {
	// BusySince is when probes started to go unanswered; zero while Shiny
	// answers.
	BusySince time.Time
}

// healthVerdict is the answer to one health request.
type healthVerdict struct {
	Healthy bool
	Status  string // "ok", "busy", "busy too long", "down"
}

// judgeHealth is the pure decision: the new state and the verdict after a
// probe with outcome at time now.
func judgeHealth(s healthState, outcome probeOutcome, now time.Time, busyGrace time.Duration) (healthState, healthVerdict) {
	switch outcome {
	case probeUp:
		return healthState{}, healthVerdict{Healthy: true, Status: "ok"}
	case probeBusy:
		if s.BusySince.IsZero() {
			s.BusySince = now
		}
		if now.Sub(s.BusySince) < busyGrace {
			return s, healthVerdict{Healthy: true, Status: "busy"}
		}
		return s, healthVerdict{Healthy: false, Status: "busy too long"}
	default:
		// A crashed R is not busy: the next answer starts afresh.
		return healthState{}, healthVerdict{Healthy: false, Status: "down"}
	}
}

// healthChecker probes the Shiny server and keeps the state between probes.
type healthChecker struct {
	upstream  *url.URL
	timeout   time.Duration // for the connect and for the answer
	busyGrace time.Duration

	mu    sync.Mutex
	state healthState
}

// check probes and judges; detail says what the probe saw.
func (h *healthChecker) check(ctx context.Context) (v healthVerdict, busyFor time.Duration, detail string) {
	outcome, detail := h.probe(ctx)
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state, v = judgeHealth(h.state, outcome, now, h.busyGrace)
	if !h.state.BusySince.IsZero() {
		busyFor = now.Sub(h.state.BusySince)
	}
	return v, busyFor, detail
}

// probe opens a fresh connection (never a pooled one: the connect itself is
// part of the answer) and sends GET / at the upstream's base path.
func (h *healthChecker) probe(ctx context.Context) (probeOutcome, string) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort(h.upstream))
	if err != nil {
		return probeDown, "connect: " + err.Error()
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	req, err := http.NewRequest(http.MethodGet, h.upstream.JoinPath("/").String(), nil)
	if err != nil {
		return probeDown, err.Error()
	}
	req.Header.Set("User-Agent", "sessionagent-healthcheck")
	req.Close = true
	if err := req.Write(conn); err != nil {
		return probeDown, "send: " + err.Error()
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 4<<10), req)
	switch {
	case err != nil && isTimeout(err):
		return probeBusy, fmt.Sprintf("connected, no answer within %v", h.timeout)
	case err != nil:
		return probeDown, "read answer: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return probeDown, fmt.Sprintf("answered %d", resp.StatusCode)
	}
	return probeUp, fmt.Sprintf("answered %d", resp.StatusCode)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// hostPort is the upstream's host:port, with http's default port.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
