package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100 is the 50th", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100 is the 99th", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the largest", ms(hundred...), 100, 100 * time.Millisecond},
		{"nearest rank rounds up", ms(1, 2, 3), 50, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileLeavesSamplesUnsorted(t *testing.T) {
	s := []time.Duration{3, 1, 2}
	percentile(s, 50)
	if s[0] != 3 || s[1] != 1 || s[2] != 2 {
		t.Errorf("samples reordered: %v", s)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestPerSession(t *testing.T) {
	if got := perSession(10_000, 30_000, 1000); got != 20 {
		t.Errorf("perSession = %v, want 20", got)
	}
}

func TestTableShowsNoMemoryForDirect(t *testing.T) {
	got := table([]row{
		{Name: "direct (Shiny)", KiBPerSession: math.NaN(), RPS: 1234.4, P50: 1500 * time.Microsecond, P99: 3 * time.Millisecond},
		{Name: "sidecar", KiBPerSession: 12.34, RPS: 999.6, P50: 2 * time.Millisecond, P99: 4 * time.Millisecond},
	})
	want := "| proxy | RSS/idle ws KiB | req/s | p50 ms | p99 ms |\n" +
		"|---|---:|---:|---:|---:|\n" +
		"| direct (Shiny) | — | 1234 | 1.50 | 3.00 |\n" +
		"| sidecar | 12.3 | 1000 | 2.00 | 4.00 |\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestAdded(t *testing.T) {
	direct := row{P50: 2 * time.Millisecond, P99: 5 * time.Millisecond}
	proxy := row{P50: 2500 * time.Microsecond, P99: 4 * time.Millisecond}
	if got, want := added(proxy, direct), "+0.50 / -1.00 ms"; got != want {
		t.Errorf("added = %q, want %q", got, want)
	}
}

func TestGoals(t *testing.T) {
	nginx := row{KiBPerSession: 25, P50: 5 * time.Millisecond, P99: 10 * time.Millisecond}
	tests := []struct {
		name    string
		sidecar row
		want    []string // "met" or "NOT met", one per goal
	}{
		{"all met", row{KiBPerSession: 20, P50: 5 * time.Millisecond, P99: 10 * time.Millisecond}, []string{"met", "met", "met"}},
		{"under 50 but above nginx", row{KiBPerSession: 30, P50: 4 * time.Millisecond, P99: 9 * time.Millisecond}, []string{"met", "NOT met", "met"}},
		{"over 50", row{KiBPerSession: 50, P50: 4 * time.Millisecond, P99: 9 * time.Millisecond}, []string{"NOT met", "NOT met", "met"}},
		{"p99 slower than nginx", row{KiBPerSession: 20, P50: 4 * time.Millisecond, P99: 11 * time.Millisecond}, []string{"met", "met", "NOT met"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := goals(tt.sidecar, nginx)
			if len(got) != len(tt.want) {
				t.Fatalf("goals = %q, want %d lines", got, len(tt.want))
			}
			for i, line := range got {
				_, rest, _ := strings.Cut(line, ": ")
				if verdict, _, _ := strings.Cut(rest, " ("); verdict != tt.want[i] {
					t.Errorf("goal %d: %q, want %s", i, line, tt.want[i])
				}
			}
		})
	}
}
