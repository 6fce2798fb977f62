package metricpublisher

import (
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Figures are the datapoints one invocation publishes.
type Figures struct {
	// SessionsPublished is false when some running task's sessions are
	// unknown: then neither ActiveSessions nor SessionsPerTask is published.
	SessionsPublished bool
	ActiveSessions    int
	RunningTasks      int
	SessionsPerTask   float64
}

// Compute applies the Lambda's counting rules (freshness window, startup
// grace and clock skew as the Lambda uses them) to a snapshot of the session
// table and of the running tasks, without AWS. The scaling simulator (go run
// ./simulate) replays traffic through it, so the simulated metric is the
// one the Lambda publishes.
func Compute(items []sessionmodel.Item, running []string, now time.Time, staleAfter time.Duration) Figures {
	records := make([]record, len(items))
	for i, it := range items {
		records[i] = record{TaskARN: it.TaskARN, Sessions: it.Sessions, UpdatedAt: it.UpdatedAt, HasUpdatedAt: true}
	}
	r := compute(records, running, now, limits{StaleAfter: staleAfter, StartupGrace: StartupGrace, MaxClockSkew: MaxClockSkew})
	return Figures{SessionsPublished: r.Trusted(), ActiveSessions: r.ActiveSessions, RunningTasks: r.RunningTasks, SessionsPerTask: r.SessionsPerTask}
}
