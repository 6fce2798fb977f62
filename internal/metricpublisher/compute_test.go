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

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestCompute(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	fresh := now.Add(-10 * time.Second).Unix()
	edge := now.Add(-sessionmodel.StaleAfter).Unix()                // exactly StaleAfter old: still counts
	stale := now.Add(-sessionmodel.StaleAfter - time.Second).Unix() // one second too old
	item := func(arn string, sessions int, updated int64) sessionmodel.Item {
		return sessionmodel.Item{TaskARN: arn, Sessions: sessions, UpdatedAt: updated}
	}

	manyARNs := make([]string, 500)
	manyItems := make([]sessionmodel.Item, 500)
	for i := range manyARNs {
		manyARNs[i] = fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/shiny/%04d", i)
		manyItems[i] = item(manyARNs[i], i%7, fresh)
	}
	manyTotal := 0
	for i := range 500 {
		manyTotal += i % 7
	}

	tests := []struct {
		name        string
		items       []sessionmodel.Item
		running     []string
		staleAfter  time.Duration
		wantActive  int
		wantTasks   int
		wantPerTask float64
		wantCounted int
		wantStale   []string
		wantInvalid []string
		wantDead    []string
	}{
		{
			name:     "no tasks: zero per task and every item dead",
			items:    []sessionmodel.Item{item("a", 3, fresh)},
			wantDead: []string{"a"},
		},
		{
			name: "nothing at all",
		},
		{
			name:        "no items: tasks count, sessions zero",
			running:     []string{"a", "b"},
			wantTasks:   2,
			wantPerTask: 0,
		},
		{
			name:        "fractional result 7 sessions over 2 tasks",
			items:       []sessionmodel.Item{item("a", 3, fresh), item("b", 4, fresh)},
			running:     []string{"a", "b"},
			wantActive:  7,
			wantTasks:   2,
			wantPerTask: 3.5,
			wantCounted: 2,
		},
		{
			name:        "task without item still counts as a task",
			items:       []sessionmodel.Item{item("a", 6, fresh)},
			running:     []string{"a", "b", "c", "d"},
			wantActive:  6,
			wantTasks:   4,
			wantPerTask: 1.5,
			wantCounted: 1,
		},
		{
			name:        "stale item of running task neither counted nor deleted",
			items:       []sessionmodel.Item{item("a", 5, fresh), item("b", 100, stale), item("c", 2, edge)},
			running:     []string{"a", "b", "c"},
			wantActive:  7,
			wantTasks:   3,
			wantPerTask: 7.0 / 3.0,
			wantCounted: 2,
			wantStale:   []string{"b"},
		},
		{
			name:        "configurable staleness",
			items:       []sessionmodel.Item{item("a", 5, now.Add(-20*time.Second).Unix()), item("b", 1, fresh)},
			running:     []string{"a", "b"},
			staleAfter:  15 * time.Second,
			wantActive:  1,
			wantTasks:   2,
			wantPerTask: 0.5,
			wantCounted: 1,
			wantStale:   []string{"a"},
		},
		{
			name:        "dead tasks deleted and not counted, fresh or stale",
			items:       []sessionmodel.Item{item("a", 4, fresh), item("gone1", 50, fresh), item("gone2", 9, stale)},
			running:     []string{"a"},
			wantActive:  4,
			wantTasks:   1,
			wantPerTask: 4,
			wantCounted: 1,
			wantDead:    []string{"gone1", "gone2"},
		},
		{
			name:        "negative sessions count as zero",
			items:       []sessionmodel.Item{item("a", -5, fresh), item("b", 3, fresh)},
			running:     []string{"a", "b"},
			wantActive:  3,
			wantTasks:   2,
			wantPerTask: 1.5,
			wantCounted: 1,
			wantInvalid: []string{"a"},
		},
		{
			name:        "future updated_at (clock skew) counts",
			items:       []sessionmodel.Item{item("a", 2, now.Add(time.Minute).Unix())},
			running:     []string{"a"},
			wantActive:  2,
			wantTasks:   1,
			wantPerTask: 2,
			wantCounted: 1,
		},
		{
			name:        "duplicate task ARNs from ECS counted once",
			items:       []sessionmodel.Item{item("a", 2, fresh)},
			running:     []string{"a", "a"},
			wantActive:  2,
			wantTasks:   1,
			wantPerTask: 2,
			wantCounted: 1,
		},
		{
			name:        "500 tasks",
			items:       manyItems,
			running:     manyARNs,
			wantActive:  manyTotal,
			wantTasks:   500,
			wantPerTask: float64(manyTotal) / 500,
			wantCounted: 500,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			staleAfter := tc.staleAfter
			if staleAfter == 0 {
				staleAfter = sessionmodel.StaleAfter
			}
			r := compute(tc.items, tc.running, now, staleAfter)
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
			if !sameSet(r.Stale, tc.wantStale) {
				t.Errorf("Stale = %v, want %v", r.Stale, tc.wantStale)
			}
			if !sameSet(r.Invalid, tc.wantInvalid) {
				t.Errorf("Invalid = %v, want %v", r.Invalid, tc.wantInvalid)
			}
			var dead []string
			for _, it := range r.Dead {
				dead = append(dead, it.TaskARN)
			}
			if !sameSet(dead, tc.wantDead) {
				t.Errorf("Dead = %v, want %v", dead, tc.wantDead)
			}
		})
	}
}

// The dead items keep the updated_at they were scanned with: the delete is
// conditioned on it.
func TestComputeDeadKeepsScannedItem(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	in := sessionmodel.Item{TaskARN: "gone", Sessions: 3, UpdatedAt: 1_699_999_990, ExpiresAt: 1_700_000_900}
	r := compute([]sessionmodel.Item{in}, nil, now, time.Minute)
	if !reflect.DeepEqual(r.Dead, []sessionmodel.Item{in}) {
		t.Errorf("Dead = %+v, want %+v", r.Dead, []sessionmodel.Item{in})
	}
	if r.SessionsPerTask != 0 || r.RunningTasks != 0 {
		t.Errorf("no running task must give 0 per task and 0 tasks, got %v and %d", r.SessionsPerTask, r.RunningTasks)
	}
}
