package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-proxy:", err)
		os.Exit(1)
	}
}

// target is one way to reach the Shiny app, and the process whose memory
// counts for it.
type target struct {
	name string
	url  string
	pid  int
}

type settings struct {
	direct, sidecar, nginx target
	sessions, payload      int
	openConcurrency        int
	smallPath              string
	conns                  int
	loadDuration           time.Duration
	loadRounds             int
	rttSamples             int
	settle                 time.Duration
	out, about             string
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("bench-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.direct.url, "direct", "", "Shiny's own URL, e.g. http://127.0.0.1:3838 (required)")
	fs.IntVar(&s.direct.pid, "shiny-pid", 0, "process id of the Shiny server (R) (required)")
	fs.StringVar(&s.sidecar.url, "sidecar", "", "URL of the sessionagent in front of Shiny (required)")
	fs.IntVar(&s.sidecar.pid, "sidecar-pid", 0, "process id of the sessionagent (required)")
	fs.StringVar(&s.nginx.url, "nginx", "", "URL of nginx in front of Shiny (required)")
	fs.IntVar(&s.nginx.pid, "nginx-pid", 0, "process id of nginx's master; its workers are counted too (required)")
	fs.IntVar(&s.sessions, "sessions", 1000, "idle websocket sessions to hold open for the memory figure")
	fs.IntVar(&s.payload, "payload", 64<<10, "bytes of the message each idle session carries each way before the second memory reading")
	fs.IntVar(&s.openConcurrency, "open-concurrency", 8, "sessions opened at once")
	fs.StringVar(&s.smallPath, "small-path", "/shared/shiny-testmode.js", "small static path Shiny serves, for req/s")
	fs.IntVar(&s.conns, "conns", 256, "keep-alive connections of the req/s load")
	fs.DurationVar(&s.loadDuration, "load-duration", 3*time.Second, "length of one req/s run")
	fs.IntVar(&s.loadRounds, "load-rounds", 5, "req/s runs per target, interleaved; the median counts")
	fs.IntVar(&s.rttSamples, "rtt-samples", 500, "round trips per target, taken in turn across the targets")
	fs.DurationVar(&s.settle, "settle", 2*time.Second, "wait before reading memory")
	fs.StringVar(&s.out, "out", "", "also write the report (Markdown) to this file")
	fs.StringVar(&s.about, "about", "", "a line on the machine and versions, for the report")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	var errs []error
	for _, t := range []struct {
		flag, pidFlag string
		t             *target
		name          string
	}{
		{"-direct", "-shiny-pid", &s.direct, "direct (Shiny)"},
		{"-sidecar", "-sidecar-pid", &s.sidecar, "sidecar (sessionagent)"},
		{"-nginx", "-nginx-pid", &s.nginx, "nginx"},
	} {
		t.t.name = t.name
		t.t.url = strings.TrimSuffix(t.t.url, "/")
		if !strings.HasPrefix(t.t.url, "http://127.0.0.1:") {
			errs = append(errs, fmt.Errorf("%s %q: must be an http://127.0.0.1:PORT URL (loopback only)", t.flag, t.t.url))
		}
		if t.t.pid <= 0 {
			errs = append(errs, fmt.Errorf("%s %d: must be the process id of %s", t.pidFlag, t.t.pid, t.name))
		}
	}
	if s.sessions < 1 || s.payload < 1 || s.openConcurrency < 1 || s.conns < 1 || s.loadRounds < 1 || s.rttSamples < 1 {
		errs = append(errs, errors.New("-sessions, -payload, -open-concurrency, -conns, -load-rounds, -rtt-samples: must be at least 1"))
	}
	if !strings.HasPrefix(s.smallPath, "/") {
		errs = append(errs, fmt.Errorf("-small-path %q: must start with /", s.smallPath))
	}
	return s, errors.Join(errs...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "bench-proxy: "+format+"\n", a...) }
	targets := []target{s.direct, s.sidecar, s.nginx}
	rows := make([]row, len(targets))
	for i, t := range targets {
		rows[i].Name = t.name
	}
	var notes []string

	smallBytes, err := waitReady(ctx, targets, s.smallPath, time.Minute)
	if err != nil {
		return err
	}

	// 1. Memory: N idle sessions through each, one target at a time. Direct
	// measures Shiny (R) itself, for scale.
	for i, t := range targets {
		progress("memory: opening %d sessions through %s", s.sessions, t.name)
		m, err := memoryPerSession(ctx, t, s, progress)
		if err != nil {
			return fmt.Errorf("memory through %s: %w", t.name, err)
		}
		if m.opened < s.sessions {
			notes = append(notes, fmt.Sprintf("Through %s only %d of %d sessions opened; its memory figures are per opened session.", t.name, m.opened, s.sessions))
		}
		if i == 0 {
			rows[i].KiBPerSession, rows[i].KiBPerUsedSession = math.NaN(), math.NaN()
			notes = append(notes, fmt.Sprintf("Shiny (R) itself grew by %.0f KiB per session with %d open, %.0f KiB after the %d-byte messages.", m.fresh, m.opened, m.used, s.payload))
		} else {
			rows[i].KiBPerSession, rows[i].KiBPerUsedSession = m.fresh, m.used
		}
	}

	// 2. Requests per second, interleaved rounds so drift on a shared machine
	// hits every target alike.
	rps := make([][]float64, len(targets))
	for round := range s.loadRounds {
		for i, t := range targets {
			r := load(ctx, t.url+s.smallPath, smallBytes, s.conns, s.loadDuration)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r.failed > 0 {
				return fmt.Errorf("req/s through %s: %d requests failed, last: %w", t.name, r.failed, r.lastErr)
			}
			progress("req/s round %d, %s: %.0f", round+1, t.name, r.perSecond())
			rps[i] = append(rps[i], r.perSecond())
		}
	}
	for i := range targets {
		rows[i].RPS = median(rps[i])
	}

	// 3. Round-trip latency, one session per target, interleaved rounds.
	first, full, err := roundTrips(ctx, targets, s, progress)
	if err != nil {
		return err
	}
	for i := range targets {
		rows[i].P50, rows[i].P99 = percentile(first[i], 50), percentile(first[i], 99)
		rows[i].FullP50, rows[i].FullP99 = percentile(full[i], 50), percentile(full[i], 99)
	}

	report := render(s, rows, notes, smallBytes, len(first[0]))
	fmt.Fprint(stdout, report)
	if s.out != "" {
		if err := os.MkdirAll(filepath.Dir(s.out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(s.out, []byte(report), 0o644)
	}
	return nil
}

// waitReady polls each target until GET / answers 200, then fetches the
// small path directly and returns its size.
func waitReady(ctx context.Context, targets []target, smallPath string, timeout time.Duration) (int64, error) {
	client := newClient(1)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	get := func(url string) (int, int64, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, n, err
	}
	for _, t := range targets {
		for {
			code, _, err := get(t.url + "/")
			if err == nil && code == http.StatusOK {
				break
			}
			select {
			case <-ctx.Done():
				return 0, fmt.Errorf("%s at %s did not answer GET / with 200 within %s (last: status %d, %v)", t.name, t.url, timeout, code, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	code, n, err := get(targets[0].url + smallPath)
	if err != nil || code != http.StatusOK {
		return 0, fmt.Errorf("GET %s%s: status %d, %v", targets[0].url, smallPath, code, err)
	}
	return n, nil
}

// memory is what a target's process grew by per idle session.
type memory struct {
	fresh  float64 // sessions opened and initialised, small messages only
	used   float64 // the same sessions after one payload-sized message each way
	opened int
}

// memoryPerSession opens s.sessions idle sessions through t and measures
// how much t's process grew per session: first as opened, then after each
// session has carried one payload-sized message each way (as a page of
// output does), since buffers a proxy allocated but never wrote to are not
// yet resident. If Shiny refuses some sessions, it measures the ones it has.
func memoryPerSession(ctx context.Context, t target, s settings, progress func(string, ...any)) (memory, error) {
	client := newClient(s.openConcurrency)
	// Warm up: the code paths of an upgrade are paged in before the baseline.
	warm, err := openMany(ctx, client, t.url, 5, s.openConcurrency)
	closeAll(warm)
	if err != nil {
		return memory{}, fmt.Errorf("warm-up: %w", err)
	}
	client.Transport.(*http.Transport).CloseIdleConnections()
	time.Sleep(s.settle)
	before, err := rssKiB(t.pid)
	if err != nil {
		return memory{}, err
	}
	sessions, err := openMany(ctx, client, t.url, s.sessions, s.openConcurrency)
	defer closeAll(sessions)
	if err != nil {
		if len(sessions) == 0 || ctx.Err() != nil {
			return memory{}, err
		}
		progress("%s: only %d sessions opened: %v", t.name, len(sessions), err)
	}
	client.Transport.(*http.Transport).CloseIdleConnections()
	time.Sleep(s.settle)
	fresh, err := rssKiB(t.pid)
	if err != nil {
		return memory{}, err
	}
	if err := exchangeAll(ctx, sessions, strings.Repeat("x", s.payload), s.openConcurrency); err != nil {
		return memory{}, fmt.Errorf("%d-byte message through %s: %w", s.payload, t.name, err)
	}
	time.Sleep(s.settle)
	used, err := rssKiB(t.pid)
	if err != nil {
		return memory{}, err
	}
	progress("memory through %s: %d KiB, %d with %d sessions open, %d after a %d-byte message each way",
		t.name, before, fresh, len(sessions), used, s.payload)
	return memory{
		fresh:  perSession(before, fresh, len(sessions)),
		used:   perSession(before, used, len(sessions)),
		opened: len(sessions),
	}, nil
}

// exchangeAll sends value through every session and waits for its echo,
// concurrency sessions at a time.
func exchangeAll(ctx context.Context, sessions []*shinySession, value string, concurrency int) error {
	errs := make(chan error, len(sessions))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, sess := range sessions {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			errs <- sess.exchange(ctx, value)
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// openMany opens n sessions, concurrency at a time. On the first failure it
// stops and returns what it has with the error.
func openMany(ctx context.Context, client *http.Client, base string, n, concurrency int) ([]*shinySession, error) {
	var (
		mu       sync.Mutex
		sessions []*shinySession
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil || next >= n {
			return false
		}
		next++
		return true
	}
	for range concurrency {
		wg.Go(func() {
			for take() {
				octx, cancel := context.WithTimeout(ctx, 30*time.Second)
				sess, err := openSession(octx, client, base)
				cancel()
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					sessions = append(sessions, sess)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sessions, firstErr
}

// closeAll closes the sessions with a close handshake, many at a time.
func closeAll(sessions []*shinySession) {
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, s := range sessions {
		sem <- struct{}{}
		wg.Go(func() {
			s.close()
			<-sem
		})
	}
	wg.Wait()
}

// roundTrips measures Shiny message round trips through every target: one
// session each, warmed up, then rounds that visit the targets in turn.
func roundTrips(ctx context.Context, targets []target, s settings, progress func(string, ...any)) (first, full [][]time.Duration, err error) {
	client := newClient(1)
	sessions := make([]*shinySession, len(targets))
	defer func() {
		for _, sess := range sessions {
			if sess != nil {
				sess.close()
			}
		}
	}()
	for i, t := range targets {
		sess, err := openSession(ctx, client, t.url)
		if err != nil {
			return nil, nil, fmt.Errorf("latency session through %s: %w", t.name, err)
		}
		sessions[i] = sess
		for range 20 { // warm-up, not counted
			if _, _, err := sess.roundTrip(ctx); err != nil {
				return nil, nil, fmt.Errorf("round trip through %s: %w", t.name, err)
			}
		}
	}
	first = make([][]time.Duration, len(targets))
	full = make([][]time.Duration, len(targets))
	for n := range s.rttSamples {
		// One round trip per target in turn, starting with a different
		// target each time, so drift and order hit every target alike.
		for k := range targets {
			i := (n + k) % len(targets)
			f, u, err := sessions[i].roundTrip(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("round trip through %s: %w", targets[i].name, err)
			}
			first[i] = append(first[i], f)
			full[i] = append(full[i], u)
		}
		if (n+1)%(max(s.rttSamples/5, 1)) == 0 {
			progress("latency: %d of %d round trips per target", n+1, s.rttSamples)
		}
	}
	return first, full, nil
}

// render is the report: table, how it was measured, goals.
func render(s settings, rows []row, notes []string, smallBytes int64, rttSamples int) string {
	var b strings.Builder
	b.WriteString("# Proxy benchmark (`make bench-proxy`)\n\n")
	fmt.Fprintf(&b, "%s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if s.about != "" {
		fmt.Fprintf(&b, "; %s", s.about)
	}
	b.WriteString("\n\n")
	b.WriteString(table(rows))
	b.WriteString("\nHow:\n\n")
	fmt.Fprintf(&b, "- RSS/idle ws: growth of the proxy's resident memory (VmRSS; nginx: master and workers) with %d idle Shiny sessions open through it (websocket open, init sent, output rendered), divided by the sessions.\n", s.sessions)
	fmt.Fprintf(&b, "- req/s: GET %s (%d bytes, a static file httpuv serves from its I/O thread without R), %d keep-alive connections, median of %d runs of %s per target, interleaved; the load generator runs on the same machine.\n",
		s.smallPath, smallBytes, s.conns, s.loadRounds, s.loadDuration)
	fmt.Fprintf(&b, "- p50/p99: Shiny message round trip on one open session per target: send `update` of input `%s`, time to the server's first answer; %d samples per target, the targets taken in turn.\n",
		pingInput, rttSamples)
	for _, r := range rows[1:] {
		fmt.Fprintf(&b, "- Added round-trip latency of %s over direct (p50 / p99): %s.\n", r.Name, added(r, rows[0]))
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	fmt.Fprintf(&b, "\nThe same idle sessions after one %d-byte message each way (a page of output: buffers written once stay resident), and the same round trips timed to output `%s`'s new value (the whole reactive cycle, several messages):\n\n", s.payload, echoOutput)
	b.WriteString(moreTable(rows))
	b.WriteString("\nGoals (issue 13):\n\n")
	for _, g := range goals(rows[1], rows[2]) {
		fmt.Fprintf(&b, "- %s\n", g)
	}
	return b.String()
}
