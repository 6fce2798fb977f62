package metricpublisher

import (
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Figures are the datapoints one invocation publishes.
type Figures struct {
	ActiveSessions  int
	RunningTasks    int
	SessionsPerTask float64
}

// Compute applies the Lambda's counting rules (freshness window included)
// to a snapshot of the session table and of the running tasks, without
// AWS. The scaling simulator (go run ./simulate) replays traffic through it,
// so the simulated metric is the one the Lambda publishes.
func Compute(items []sessionmodel.Item, running []string, now time.Time, staleAfter time.Duration) Figures {
	r := compute(items, running, now, staleAfter)
	return Figures{ActiveSessions: r.ActiveSessions, RunningTasks: r.RunningTasks, SessionsPerTask: r.SessionsPerTask}
}
