package metricpublisher

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// BenchmarkHandler times one invocation (scan, list, publish) against moto
// for 1, 50 and 500 tasks. Every item belongs to a running task, so nothing
// is deleted and each iteration sees the same table. Setup (moto, table,
// cluster, tasks, items) is outside the timed loop. The figures measure the
// handler plus moto on loopback, not AWS latency.
func BenchmarkHandler(b *testing.B) {
	s, c, _ := motoEnv(b, "unused", "unused", "unused")
	ctx := context.Background()
	for _, n := range []int{1, 50, 500} {
		// Names that are not substrings of one another: moto matches the
		// cluster of ListTasks by substring of the task's cluster ARN.
		table := fmt.Sprintf("bench-n%03d-sessions", n)
		cluster := fmt.Sprintf("bench-n%03d-cluster", n)
		service := fmt.Sprintf("bench-n%03d-app", n)
		createTable(b, ctx, c.dynamo, table)
		arns := newMotoECS(b, ctx, s, c.ecs, cluster, service).runTasks(b, ctx, n)
		now := time.Now()
		for i, arn := range arns {
			putItem(b, ctx, c.dynamo, table, sessionmodel.NewItem(arn, i%5, now))
		}
		wantSessions := 0
		for i := range n {
			wantSessions += i % 5
		}
		lim := testLimits
		lim.StaleAfter = time.Hour
		cfg := settings{Table: table, Cluster: cluster, Service: service, Namespace: sessionmodel.MetricNamespace, Limits: lim}
		h := newHandler(cfg, c, time.Now, slog.New(slog.DiscardHandler))

		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			var out Output
			for b.Loop() {
				var err error
				if out, err = h.Handle(ctx, events.EventBridgeEvent{}); err != nil {
					b.Fatal(err)
				}
			}
			if out.RunningTasks != n || out.ActiveSessions != wantSessions || out.DeletedItems != 0 {
				b.Fatalf("output = %+v, want %d tasks, %d sessions, nothing deleted", out, n, wantSessions)
			}
		})
	}
}
