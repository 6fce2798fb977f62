package metricpublisher

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

var testLimits = limits{StaleAfter: sessionmodel.StaleAfter, StartupGrace: StartupGrace, MaxClockSkew: MaxClockSkew}

// item is a sidecar's record.
func item(arn string, sessions int, updated int64) record {
	return record{TaskARN: arn, Sessions: sessions, UpdatedAt: updated, HasUpdatedAt: true}
}

// marker is the Lambda's record of a task first seen without an item.
func marker(arn string, seen int64) record { return record{TaskARN: arn, FirstSeenAt: seen} }

func TestCompute(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	fresh := ago(10 * time.Second)
	edge := ago(sessionmodel.StaleAfter)                // exactly StaleAfter old: still counts
	stale := ago(sessionmodel.StaleAfter + time.Second) // one second too old

	manyARNs := make([]string, 500)
	manyRecs := make([]record, 500)
	manyTotal := 0
	for i := range manyARNs {
		manyARNs[i] = fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/shiny/%04d", i)
		manyRecs[i] = item(manyARNs[i], i%7, fresh)
		manyTotal += i % 7
	}

	tests := []struct {
		name         string
		records      []record
		running      []string
		limits       limits // zero: testLimits
		wantActive   int
		wantTasks    int
		wantPerTask  float64
		wantCounted  int
		wantMissing  []missingTask
		wantStarting []string
		wantMark     []string
		wantDead     []string
		wantKept     []string
	}{
		{
			name:     "no tasks: zero per task (trusted) and every old item dead",
			records:  []record{item("a", 3, stale)},
			wantDead: []string{"a"},
		},
		{
			name: "nothing at all",
		},
		{
			name:        "fractional result 7 sessions over 2 tasks",
			records:     []record{item("a", 3, fresh), item("b", 4, fresh)},
			running:     []string{"a", "b"},
			wantActive:  7,
			wantTasks:   2,
			wantPerTask: 3.5,
			wantCounted: 2,
		},
		{
			name:        "the item exactly StaleAfter old counts",
			records:     []record{item("a", 5, edge)},
			running:     []string{"a"},
			wantActive:  5,
			wantTasks:   1,
			wantPerTask: 5,
			wantCounted: 1,
		},
		{
			// The outage of issue 12: no sidecar can write. Before, this
			// published 0 sessions per task over 3 tasks.
			name:        "every running task stale: sessions unknown, not zero",
			records:     []record{item("a", 5, stale), item("b", 9, stale), item("c", 2, stale)},
			running:     []string{"c", "b", "a"},
			wantTasks:   3,
			wantMissing: []missingTask{{"a", reasonStale}, {"b", reasonStale}, {"c", reasonStale}},
		},
		{
			name:        "one stale task among fresh ones: sessions unknown",
			records:     []record{item("a", 5, fresh), item("b", 100, stale)},
			running:     []string{"a", "b"},
			wantActive:  5,
			wantTasks:   2,
			wantPerTask: 2.5,
			wantCounted: 1,
			wantMissing: []missingTask{{"b", reasonStale}},
		},
		{
			name:        "configurable staleness",
			records:     []record{item("a", 5, ago(20*time.Second)), item("b", 1, fresh)},
			running:     []string{"a", "b"},
			limits:      limits{StaleAfter: 15 * time.Second, StartupGrace: StartupGrace, MaxClockSkew: MaxClockSkew},
			wantActive:  1,
			wantTasks:   2,
			wantPerTask: 0.5,
			wantCounted: 1,
			wantMissing: []missingTask{{"a", reasonStale}},
		},
		{
			name:        "undecodable item of a running task: unknown, not zero",
			records:     []record{{TaskARN: "a", Undecodable: true}, item("b", 3, fresh)},
			running:     []string{"a", "b"},
			wantActive:  3,
			wantTasks:   2,
			wantPerTask: 1.5,
			wantCounted: 1,
			wantMissing: []missingTask{{"a", reasonUndecodable}},
		},
		{
			name:        "negative sessions: unknown, not zero",
			records:     []record{item("a", -5, fresh), item("b", 3, fresh)},
			running:     []string{"a", "b"},
			wantActive:  3,
			wantTasks:   2,
			wantPerTask: 1.5,
			wantCounted: 1,
			wantMissing: []missingTask{{"a", reasonNegative}},
		},
		{
			name:        "updated_at slightly in the future (clock skew) is clamped to now and counts",
			records:     []record{item("a", 2, now.Add(MaxClockSkew).Unix())},
			running:     []string{"a"},
			wantActive:  2,
			wantTasks:   1,
			wantPerTask: 2,
			wantCounted: 1,
		},
		{
			name:        "updated_at far in the future is not trusted",
			records:     []record{item("a", 2, now.Add(MaxClockSkew+time.Second).Unix()), item("b", 1, now.Add(24*time.Hour).Unix())},
			running:     []string{"a", "b"},
			wantTasks:   2,
			wantMissing: []missingTask{{"a", reasonFuture}, {"b", reasonFuture}},
		},
		{
			name:         "new task without an item: starting, 0 sessions, marked",
			records:      []record{item("a", 6, fresh)},
			running:      []string{"a", "new"},
			wantActive:   6,
			wantTasks:    2,
			wantPerTask:  3,
			wantCounted:  1,
			wantStarting: []string{"new"},
			wantMark:     []string{"new"},
		},
		{
			name:         "task marked within the startup grace: still starting, not marked again",
			records:      []record{item("a", 6, fresh), marker("new", ago(StartupGrace))},
			running:      []string{"a", "new"},
			wantActive:   6,
			wantTasks:    2,
			wantPerTask:  3,
			wantCounted:  1,
			wantStarting: []string{"new"},
		},
		{
			name:        "task marked longer ago than the startup grace: its sidecar never wrote, unknown",
			records:     []record{item("a", 6, fresh), marker("new", ago(StartupGrace+time.Second))},
			running:     []string{"a", "new"},
			wantActive:  6,
			wantTasks:   2,
			wantPerTask: 3,
			wantCounted: 1,
			wantMissing: []missingTask{{"new", reasonNoItem}},
		},
		{
			name:        "marker far in the future is not trusted",
			records:     []record{marker("new", now.Add(time.Hour).Unix())},
			running:     []string{"new"},
			wantTasks:   1,
			wantMissing: []missingTask{{"new", reasonNoItem}},
		},
		{
			name:        "dead tasks: old items deleted, fresh ones kept (ECS may not list a young task yet)",
			records:     []record{item("a", 4, fresh), item("gone-fresh", 50, fresh), item("gone-stale", 9, stale)},
			running:     []string{"a"},
			wantActive:  4,
			wantTasks:   1,
			wantPerTask: 4,
			wantCounted: 1,
			wantDead:    []string{"gone-stale"},
			wantKept:    []string{"gone-fresh"},
		},
		{
			name: "dead tasks: markers, far-future and undecodable items deleted; fresh undecodable kept",
			records: []record{
				marker("gone-marker", fresh),
				item("gone-future", 1, now.Add(time.Hour).Unix()),
				{TaskARN: "gone-undecodable", Undecodable: true},
				{TaskARN: "gone-undecodable-fresh", Undecodable: true, UpdatedAt: fresh, HasUpdatedAt: true},
			},
			wantDead: []string{"gone-future", "gone-marker", "gone-undecodable"},
			wantKept: []string{"gone-undecodable-fresh"},
		},
		{
			name:        "duplicate task ARNs from ECS counted once",
			records:     []record{item("a", 2, fresh)},
			running:     []string{"a", "a"},
			wantActive:  2,
			wantTasks:   1,
			wantPerTask: 2,
			wantCounted: 1,
		},
		{
			name:        "500 tasks",
			records:     manyRecs,
			running:     manyARNs,
			wantActive:  manyTotal,
			wantTasks:   500,
			wantPerTask: float64(manyTotal) / 500,
			wantCounted: 500,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := tc.limits
			if lim == (limits{}) {
				lim = testLimits
			}
			r := compute(tc.records, tc.running, now, lim)
			if r.ActiveSessions != tc.wantActive {
				t.Errorf("ActiveSessions = %d, want %d", r.ActiveSessions, tc.wantActive)
			}
			if r.RunningTasks != tc.wantTasks {
				t.Errorf("RunningTasks = %d, want %d", r.RunningTasks, tc.wantTasks)
			}
			if math.IsNaN(r.SessionsPerTask) || math.Abs(r.SessionsPerTask-tc.wantPerTask) > 1e-12 {
				t.Errorf("SessionsPerTask = %v, want %v", r.SessionsPerTask, tc.wantPerTask)
			}
			if r.Counted != tc.wantCounted {
				t.Errorf("Counted = %d, want %d", r.Counted, tc.wantCounted)
			}
			if !slices.Equal(r.Missing, tc.wantMissing) {
				t.Errorf("Missing = %v, want %v", r.Missing, tc.wantMissing)
			}
			if r.Trusted() != (len(tc.wantMissing) == 0) {
				t.Errorf("Trusted = %v with Missing %v", r.Trusted(), r.Missing)
			}
			if !slices.Equal(r.Starting, tc.wantStarting) {
				t.Errorf("Starting = %v, want %v", r.Starting, tc.wantStarting)
			}
			if !slices.Equal(r.Mark, tc.wantMark) {
				t.Errorf("Mark = %v, want %v", r.Mark, tc.wantMark)
			}
			var dead []string
			for _, it := range r.Dead {
				dead = append(dead, it.TaskARN)
			}
			if !slices.Equal(dead, tc.wantDead) {
				t.Errorf("Dead = %v, want %v", dead, tc.wantDead)
			}
			if !slices.Equal(r.Kept, tc.wantKept) {
				t.Errorf("Kept = %v, want %v", r.Kept, tc.wantKept)
			}
		})
	}
}

// The dead items keep the updated_at they were scanned with: the delete is
// conditioned on it.
func TestComputeDeadKeepsScannedRecord(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	in := item("gone", 3, 1_699_999_000)
	r := compute([]record{in}, nil, now, testLimits)
	if !reflect.DeepEqual(r.Dead, []record{in}) {
		t.Errorf("Dead = %+v, want %+v", r.Dead, []record{in})
	}
	if r.SessionsPerTask != 0 || r.RunningTasks != 0 || !r.Trusted() {
		t.Errorf("no running task must give a trusted 0 per task and 0 tasks, got %v, %d, trusted %v",
			r.SessionsPerTask, r.RunningTasks, r.Trusted())
	}
}

// The lists come out sorted whatever the order of the scan and of ECS.
func TestComputeOrderIsFixed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	old := now.Add(-time.Hour).Unix()
	recs := []record{item("z", 1, old), item("m", 1, old), item("a", 1, old), item("dz", 1, old), item("da", 1, old)}
	running := []string{"z", "m", "a", "nz", "na"}
	for range 5 {
		r := compute(recs, running, now, testLimits)
		if got := fmt.Sprintf("%v %v %v %d %s", r.Missing, r.Mark, r.Starting, len(r.Dead), r.Dead[0].TaskARN); got != "[{a "+reasonStale+"} {m "+reasonStale+"} {z "+reasonStale+"}] [na nz] [na nz] 2 da" {
			t.Fatalf("unexpected order: %s", got)
		}
		slices.Reverse(recs)
		slices.Reverse(running)
	}
}
