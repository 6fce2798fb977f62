package metricpublisher

import (
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// result is what one invocation derives from the session table and the list
// of running tasks. It holds no AWS types so it can be tested on its own.
type result struct {
	// ActiveSessions is the sum of the sessions of fresh items of running tasks.
	ActiveSessions int
	// RunningTasks is the number of distinct tasks ECS reports as RUNNING.
	RunningTasks int
	// SessionsPerTask is ActiveSessions / RunningTasks, and 0 when no task runs.
	SessionsPerTask float64
	// Counted is the number of items whose sessions went into ActiveSessions.
	Counted int
	// Stale lists the task ARNs of running tasks whose item is too old to count.
	// They are kept: the task may write again.
	Stale []string
	// Invalid lists the task ARNs of items with a negative session count; they
	// count as 0 sessions.
	Invalid []string
	// Dead are the items of tasks that no longer run; the handler deletes them.
	Dead []sessionmodel.Item
}

// compute applies the counting rules to a snapshot of the table (items) and
// of the running tasks (running ARNs) taken at time now.
func compute(items []sessionmodel.Item, running []string, now time.Time, staleAfter time.Duration) result {
	alive := make(map[string]struct{}, len(running))
	for _, arn := range running {
		alive[arn] = struct{}{}
	}
	r := result{RunningTasks: len(alive)}
	for _, it := range items {
		if _, ok := alive[it.TaskARN]; !ok {
			r.Dead = append(r.Dead, it)
			continue
		}
		// An updated_at in the future (clock skew) has a negative age and counts.
		if now.Sub(time.Unix(it.UpdatedAt, 0)) > staleAfter {
			r.Stale = append(r.Stale, it.TaskARN)
			continue
		}
		if it.Sessions < 0 {
			r.Invalid = append(r.Invalid, it.TaskARN)
			continue
		}
		r.Counted++
		r.ActiveSessions += it.Sessions
	}
	if r.RunningTasks > 0 {
		r.SessionsPerTask = float64(r.ActiveSessions) / float64(r.RunningTasks)
	}
	return r
}
