package metricpublisher

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// The handler, built with the production client builder, against moto:
// DynamoDB scan (paged), ECS ListTasks, CloudWatch PutMetricData (awsQuery)
// and conditional DeleteItem; the results are read back from moto.
func TestIntegrationMoto(t *testing.T) {
	const table, cluster, service = "shiny-sessions", "shiny-cluster", "shiny-app"
	s, c, cfg := motoEnv(t, table, cluster, service)
	ctx := context.Background()
	if cfg.Namespace != sessionmodel.MetricNamespace || cfg.StaleAfter != sessionmodel.StaleAfter {
		t.Fatalf("defaults not applied: %+v", cfg)
	}

	createTable(t, ctx, c.dynamo, table)
	app := newMotoECS(t, ctx, s, c.ecs, cluster, service)
	running := app.runTasks(t, ctx, 4)
	stopped := app.runTasks(t, ctx, 2)
	for _, arn := range stopped {
		app.stopTask(t, ctx, arn)
	}
	// A running task of another cluster must not count.
	other := newMotoECS(t, ctx, s, c.ecs, "other-cluster", "other-app").runTasks(t, ctx, 1)

	now := time.Now().Truncate(time.Second)
	fresh := now.Add(-15 * time.Second)
	stale := now.Add(-sessionmodel.StaleAfter - time.Minute)
	live := []sessionmodel.Item{
		sessionmodel.NewItem(running[0], 4, fresh),
		sessionmodel.NewItem(running[1], 3, fresh),
		sessionmodel.NewItem(running[2], 3, now.Add(-sessionmodel.StaleAfter)), // exactly at the limit: counts
		sessionmodel.NewItem(running[3], 20, stale),                            // stale: kept, not counted
	}
	dead := []sessionmodel.Item{
		sessionmodel.NewItem(stopped[0], 6, fresh),
		sessionmodel.NewItem(stopped[1], 1, stale),
		sessionmodel.NewItem(other[0], 2, fresh),
		sessionmodel.NewItem("arn:aws:ecs:us-east-1:123456789012:task/shiny-cluster/0123456789abcdef0123456789abcdef", 5, fresh),
	}
	for _, it := range append(slices.Clone(live), dead...) {
		putItem(t, ctx, c.dynamo, table, it)
	}

	h := newHandler(cfg, c, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	h.scanLimit = 3 // 8 items: three Scan pages through moto
	out, err := h.Handle(ctx, events.EventBridgeEvent{})
	if err != nil {
		t.Fatalf("Handle: %v\nmoto log:\n%s", err, s.Log())
	}
	want := Output{ActiveSessions: 10, RunningTasks: 4, SessionsPerTask: 2.5, DeletedItems: 4}
	if out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}

	// The datapoints as CloudWatch (moto) stored them.
	dims := []cwtypes.Dimension{
		{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String(cluster)},
		{Name: aws.String(sessionmodel.DimensionService), Value: aws.String(service)},
	}
	for name, v := range map[string]float64{
		sessionmodel.MetricSessionsPerTask: 2.5,
		sessionmodel.MetricActiveSessions:  10,
		sessionmodel.MetricRunningTasks:    4,
	} {
		st, err := c.cloudwatch.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String(sessionmodel.MetricNamespace), MetricName: aws.String(name), Dimensions: dims,
			StartTime: aws.Time(now.Add(-5 * time.Minute)), EndTime: aws.Time(now.Add(5 * time.Minute)),
			Period: aws.Int32(60), Unit: cwtypes.StandardUnitCount,
			Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum, cwtypes.StatisticMinimum},
		})
		if err != nil {
			t.Fatalf("get metric statistics %s: %v", name, err)
		}
		if len(st.Datapoints) != 1 {
			t.Fatalf("%s: %d datapoints, want 1: %+v", name, len(st.Datapoints), st.Datapoints)
		}
		dp := st.Datapoints[0]
		if aws.ToFloat64(dp.SampleCount) != 1 || math.Abs(aws.ToFloat64(dp.Maximum)-v) > 1e-9 || math.Abs(aws.ToFloat64(dp.Minimum)-v) > 1e-9 {
			t.Errorf("%s: %v samples, max %v, min %v; want one sample of %v",
				name, aws.ToFloat64(dp.SampleCount), aws.ToFloat64(dp.Maximum), aws.ToFloat64(dp.Minimum), v)
		}
	}
	// Exactly the three metrics in the namespace, each with exactly the two dimensions.
	lm, err := c.cloudwatch.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(sessionmodel.MetricNamespace)})
	if err != nil {
		t.Fatalf("list metrics: %v", err)
	}
	var names []string
	for _, m := range lm.Metrics {
		names = append(names, aws.ToString(m.MetricName))
		got := m.Dimensions
		slices.SortFunc(got, func(a, b cwtypes.Dimension) int { return strings.Compare(aws.ToString(a.Name), aws.ToString(b.Name)) })
		if dimString(got) != dimString(dims) {
			t.Errorf("%s dimensions = %s, want %s", aws.ToString(m.MetricName), dimString(got), dimString(dims))
		}
	}
	slices.Sort(names)
	if wantNames := []string{sessionmodel.MetricActiveSessions, sessionmodel.MetricRunningTasks, sessionmodel.MetricSessionsPerTask}; !slices.Equal(names, wantNames) {
		t.Errorf("metrics = %v, want %v", names, wantNames)
	}

	// Items of dead tasks are gone; those of running tasks, stale included, are kept.
	for _, it := range live {
		if !itemExists(t, ctx, c.dynamo, table, it.TaskARN) {
			t.Errorf("item of running task %s was deleted", it.TaskARN)
		}
	}
	for _, it := range dead {
		if itemExists(t, ctx, c.dynamo, table, it.TaskARN) {
			t.Errorf("item of dead task %s was not deleted", it.TaskARN)
		}
	}
}

// The delete's condition, evaluated by moto's DynamoDB: an item rewritten
// after the scan (newer updated_at) survives without an error; an item
// unchanged since the scan is deleted; an item already gone is not counted.
func TestIntegrationDeleteCondition(t *testing.T) {
	const table = "cond-sessions"
	_, c, cfg := motoEnv(t, table, "c", "s")
	ctx := context.Background()
	createTable(t, ctx, c.dynamo, table)
	now := time.Now().Truncate(time.Second)
	rewritten := sessionmodel.NewItem("task/rewritten", 2, now)
	unchanged := sessionmodel.NewItem("task/unchanged", 2, now.Add(-time.Minute))
	putItem(t, ctx, c.dynamo, table, rewritten)
	putItem(t, ctx, c.dynamo, table, unchanged)

	h := newHandler(cfg, c, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	scanned := []sessionmodel.Item{
		sessionmodel.NewItem("task/rewritten", 1, now.Add(-time.Minute)), // as the scan saw it
		unchanged,
		sessionmodel.NewItem("task/already-gone", 1, now.Add(-time.Minute)),
	}
	n, err := h.deleteDead(ctx, h.log, scanned)
	if err != nil {
		t.Fatalf("deleteDead: %v", err)
	}
	if n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	if !itemExists(t, ctx, c.dynamo, table, rewritten.TaskARN) {
		t.Error("item rewritten after the scan was deleted")
	}
	if itemExists(t, ctx, c.dynamo, table, unchanged.TaskARN) {
		t.Error("item unchanged since the scan was not deleted")
	}
}

// A failing AWS call against the emulator fails the invocation and
// publishes nothing: here the table does not exist.
func TestIntegrationMissingTableFails(t *testing.T) {
	s, c, cfg := motoEnv(t, "no-such-table", "shiny-cluster", "shiny-app")
	ctx := context.Background()
	newMotoECS(t, ctx, s, c.ecs, "shiny-cluster", "shiny-app").runTasks(t, ctx, 1)
	h := newHandler(cfg, c, time.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if _, err := h.Handle(ctx, events.EventBridgeEvent{}); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("error = %v, want ResourceNotFoundException", err)
	}
	lm, err := c.cloudwatch.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(sessionmodel.MetricNamespace)})
	if err != nil {
		t.Fatalf("list metrics: %v", err)
	}
	if len(lm.Metrics) != 0 {
		t.Errorf("published %d metrics despite the failed scan", len(lm.Metrics))
	}
}

// The in-process path a caller outside Lambda takes: New from the process
// environment (pointed at moto), then Run.
func TestIntegrationNewRun(t *testing.T) {
	const table, cluster, service = "new-sessions", "new-cluster", "new-app"
	s, c, _ := motoEnv(t, table, cluster, service)
	ctx := context.Background()
	createTable(t, ctx, c.dynamo, table)
	app := newMotoECS(t, ctx, s, c.ecs, cluster, service)
	running := app.runTasks(t, ctx, 2)
	now := time.Now()
	putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem(running[0], 3, now))
	putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem(running[1], 2, now))
	putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem("task/gone", 9, now))

	h, err := New(ctx, os.Getenv, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v\nmoto log:\n%s", err, s.Log())
	}
	if want := (Output{ActiveSessions: 5, RunningTasks: 2, SessionsPerTask: 2.5, DeletedItems: 1}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	lm, err := c.cloudwatch.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(sessionmodel.MetricNamespace)})
	if err != nil {
		t.Fatalf("list metrics: %v", err)
	}
	if len(lm.Metrics) != 3 {
		t.Errorf("%d metrics published, want 3", len(lm.Metrics))
	}
}
