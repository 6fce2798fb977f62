package metricpublisher

import (
	"cmp"
	"slices"
	"time"
)

// record is one item of the session table as the scan decoded it. Most are
// written by a session sidecar (sessionmodel.Item); a marker is written by
// this Lambda for a running task that had no item yet, to remember when it
// first saw the task (see result.Mark); an undecodable item has only its key.
type record struct {
	TaskARN string
	// Sessions is the sidecar's session count (sidecar items only).
	Sessions int
	// UpdatedAt is when the sidecar last wrote the item, Unix seconds, when
	// HasUpdatedAt (always for a decoded sidecar item; for an undecodable
	// item when its updated_at attribute is still a readable number).
	UpdatedAt    int64
	HasUpdatedAt bool
	// FirstSeenAt is a marker's time, Unix seconds; 0 for other items.
	FirstSeenAt int64
	// Undecodable is set when the item's attributes could not be decoded
	// (a wrong type, an unreadable number): its sessions are unknown.
	Undecodable bool
}

func (r record) marker() bool { return r.FirstSeenAt != 0 && !r.Undecodable }

// limits are the time windows compute applies.
type limits struct {
	// StaleAfter is the age after which a sidecar's item no longer tells the
	// task's sessions (sessionmodel.StaleAfter unless configured).
	StaleAfter time.Duration
	// StartupGrace is how long a running task may go without any sidecar
	// item, counted from when this Lambda first saw it, before its sessions
	// count as unknown. It covers Fargate's provisioning and image pull,
	// during which ECS already lists the task (desired status RUNNING).
	StartupGrace time.Duration
	// MaxClockSkew is how far in the future a timestamp may lie and still be
	// read as "now" (clamped); beyond it the item is not trusted.
	MaxClockSkew time.Duration
}

// Reasons why a running task's sessions are unknown (missingTask.Reason).
const (
	reasonStale       = "item older than the freshness window: its sidecar has stopped writing"
	reasonFuture      = "updated_at lies in the future beyond the allowed clock skew"
	reasonNegative    = "negative session count"
	reasonUndecodable = "item cannot be decoded"
	reasonNoItem      = "no item from its sidecar within the startup grace"
)

// missingTask is a running task whose sessions are unknown, and why.
type missingTask struct {
	TaskARN string `json:"task_arn"`
	Reason  string `json:"reason"`
}

// result is what one invocation derives from the session table and the list
// of running tasks. It holds no AWS types so it can be tested on its own.
type result struct {
	// RunningTasks is the number of distinct tasks ECS reports as RUNNING.
	RunningTasks int
	// Missing lists, by task ARN, the running tasks whose sessions are
	// unknown. When it is not empty the session figures cannot be trusted:
	// an unknown count must never pass for zero sessions (that would fire
	// the scale-in alarm and block scale-out while users are connected), so
	// SessionsPerTask and ActiveSessions are not published.
	Missing []missingTask
	// ActiveSessions is the sum of the sessions of the running tasks whose
	// sessions are known; meaningful only when Missing is empty.
	ActiveSessions int
	// SessionsPerTask is ActiveSessions / RunningTasks, and 0 when no task
	// runs; meaningful only when Missing is empty.
	SessionsPerTask float64
	// Counted is the number of fresh sidecar items that went into ActiveSessions.
	Counted int
	// Starting lists running tasks without a sidecar item that are within
	// StartupGrace of being first seen: 0 sessions (no sidecar serves yet).
	Starting []string
	// Mark lists running tasks seen for the first time without any item:
	// the handler writes a marker for each, so a later invocation knows how
	// long the task has gone without its sidecar writing.
	Mark []string
	// Dead are the items of tasks that no longer run; the handler deletes
	// them, each conditioned on the updated_at it was scanned with.
	Dead []record
	// Kept lists items of tasks ECS does not list that were written within
	// StaleAfter: the task may be too young for ECS's eventually consistent
	// ListTasks, so the item stays until it is stale.
	Kept []string
}

// Trusted reports whether every running task's sessions are known, so that
// SessionsPerTask and ActiveSessions may be published.
func (r result) Trusted() bool { return len(r.Missing) == 0 }

// compute applies the counting rules to a snapshot of the table (records)
// and of the running tasks (running ARNs) taken at time now. Its lists are
// sorted by task ARN, so logs and tests see a fixed order.
func compute(records []record, running []string, now time.Time, lim limits) result {
	alive := make(map[string]bool, len(running))
	for _, arn := range running {
		alive[arn] = true
	}
	r := result{RunningTasks: len(alive)}
	// age returns how long ago the Unix time t was, clamping a small clock
	// skew to 0; ok is false when t lies further in the future.
	age := func(t int64) (time.Duration, bool) {
		a := now.Sub(time.Unix(t, 0))
		if a < 0 {
			return 0, -a <= lim.MaxClockSkew
		}
		return a, true
	}

	hasRecord := make(map[string]bool, len(records))
	for _, rec := range records {
		hasRecord[rec.TaskARN] = true
		if !alive[rec.TaskARN] {
			if rec.HasUpdatedAt && !rec.marker() {
				if a, ok := age(rec.UpdatedAt); ok && a <= lim.StaleAfter {
					r.Kept = append(r.Kept, rec.TaskARN)
					continue
				}
			}
			r.Dead = append(r.Dead, rec)
			continue
		}
		switch {
		case rec.Undecodable:
			r.Missing = append(r.Missing, missingTask{rec.TaskARN, reasonUndecodable})
		case rec.marker():
			if a, ok := age(rec.FirstSeenAt); ok && a <= lim.StartupGrace {
				r.Starting = append(r.Starting, rec.TaskARN)
			} else {
				r.Missing = append(r.Missing, missingTask{rec.TaskARN, reasonNoItem})
			}
		default:
			a, ok := age(rec.UpdatedAt)
			switch {
			case !ok:
				r.Missing = append(r.Missing, missingTask{rec.TaskARN, reasonFuture})
			case a > lim.StaleAfter:
				r.Missing = append(r.Missing, missingTask{rec.TaskARN, reasonStale})
			case rec.Sessions < 0:
				r.Missing = append(r.Missing, missingTask{rec.TaskARN, reasonNegative})
			default:
				r.Counted++
				r.ActiveSessions += rec.Sessions
			}
		}
	}
	for arn := range alive {
		if !hasRecord[arn] {
			// First seen now: starting, and remembered with a marker.
			r.Starting = append(r.Starting, arn)
			r.Mark = append(r.Mark, arn)
		}
	}
	if r.RunningTasks > 0 {
		r.SessionsPerTask = float64(r.ActiveSessions) / float64(r.RunningTasks)
	}

	slices.SortFunc(r.Missing, func(a, b missingTask) int { return cmp.Compare(a.TaskARN, b.TaskARN) })
	slices.SortFunc(r.Dead, func(a, b record) int { return cmp.Compare(a.TaskARN, b.TaskARN) })
	slices.Sort(r.Starting)
	slices.Sort(r.Mark)
	slices.Sort(r.Kept)
	return r
}
