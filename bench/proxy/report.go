package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Goals of the sidecar (issue 13).
const goalKiBPerSession = 50

// row is one line of the table: a way to reach Shiny and what it measured.
type row struct {
	Name string
	// KiBPerSession is the proxy's resident memory per idle websocket
	// session; NaN when there is no proxy (direct).
	KiBPerSession float64
	// KiBPerUsedSession is the same after each session carried one larger
	// message each way; NaN when there is no proxy.
	KiBPerUsedSession float64
	RPS               float64
	// P50 and P99 are the time from sending a Shiny message to the server's
	// first answer; FullP50 and FullP99 to the output's new value.
	P50, P99         time.Duration
	FullP50, FullP99 time.Duration
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// perSession is the growth from before to after, in KiB, per session.
func perSession(beforeKiB, afterKiB int64, sessions int) float64 {
	return float64(afterKiB-beforeKiB) / float64(sessions)
}

// kib formats a memory figure; NaN (no proxy) is a dash.
func kib(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.1f", x)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// table renders rows as a Markdown table.
func table(rows []row) string {
	var b strings.Builder
	b.WriteString("| proxy | RSS/idle ws KiB | req/s | p50 ms | p99 ms |\n")
	b.WriteString("|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s |\n", r.Name, kib(r.KiBPerSession), r.RPS, ms(r.P50), ms(r.P99))
	}
	return b.String()
}

// moreTable renders the memory of used sessions and the time to the
// output's new value.
func moreTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| proxy | RSS/idle ws KiB, used | update p50 ms | update p99 ms |\n")
	b.WriteString("|---|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Name, kib(r.KiBPerUsedSession), ms(r.FullP50), ms(r.FullP99))
	}
	return b.String()
}

// added is a proxy's latency over direct, as "+p50 / +p99 ms".
func added(proxy, direct row) string {
	return fmt.Sprintf("%+.2f / %+.2f ms", float64(proxy.P50-direct.P50)/1e6, float64(proxy.P99-direct.P99)/1e6)
}

// goals says, one line each, whether the sidecar met the goals.
func goals(sidecar, nginx row) []string {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	return []string{
		fmt.Sprintf("sidecar memory under %d KiB per idle websocket: %s (%.1f KiB)",
			goalKiBPerSession, verdict(sidecar.KiBPerSession < goalKiBPerSession), sidecar.KiBPerSession),
		fmt.Sprintf("sidecar memory no more than nginx: %s (%.1f vs %.1f KiB)",
			verdict(sidecar.KiBPerSession <= nginx.KiBPerSession), sidecar.KiBPerSession, nginx.KiBPerSession),
		fmt.Sprintf("sidecar round trip no slower than nginx: %s (p50 %s vs %s ms, p99 %s vs %s ms)",
			verdict(sidecar.P50 <= nginx.P50 && sidecar.P99 <= nginx.P99),
			ms(sidecar.P50), ms(nginx.P50), ms(sidecar.P99), ms(nginx.P99)),
	}
}
