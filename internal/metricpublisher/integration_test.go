package metricpublisher

import (
	"context"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// padding makes an item about 350 KB: three of them exceed the 1 MB that one
// Scan page returns, in DynamoDB as in moto, so the scan must page.
var padding = strings.Repeat("p", 350_000)

func putPadded(tb testing.TB, ctx context.Context, db *dynamodb.Client, table string, it sessionmodel.Item) {
	tb.Helper()
	putItem(tb, ctx, db, table, it)
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]ddbtypes.AttributeValue{sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: it.TaskARN}},
		UpdateExpression:          aws.String("SET padding = :p"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: padding}},
	}); err != nil {
		tb.Fatalf("pad item %s: %v", it.TaskARN, err)
	}
}

// metricNames lists the metrics in the namespace, each checked to carry
// exactly dims.
func metricNames(t *testing.T, ctx context.Context, cw *cloudwatch.Client, dims []cwtypes.Dimension) []string {
	t.Helper()
	lm, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String(sessionmodel.MetricNamespace)})
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
	return names
}

// checkDatapoint asserts that CloudWatch (moto) stored exactly one sample v.
func checkDatapoint(t *testing.T, ctx context.Context, cw *cloudwatch.Client, name string, dims []cwtypes.Dimension, now time.Time, v float64) {
	t.Helper()
	st, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
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

func serviceDims(cluster, service string) []cwtypes.Dimension {
	return []cwtypes.Dimension{
		{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String(cluster)},
		{Name: aws.String(sessionmodel.DimensionService), Value: aws.String(service)},
	}
}

// The handler, built with the production client builder, against moto:
// DynamoDB scan (paged by size, as DynamoDB pages), ECS ListTasks,
// CloudWatch PutMetricData (awsQuery), the conditional marker PutItem and
// DeleteItem; the results are read back from moto.
func TestIntegrationMoto(t *testing.T) {
	const table, cluster, service = "shiny-sessions", "shiny-cluster", "shiny-app"
	s, c, cfg := motoEnv(t, table, cluster, service)
	ctx := context.Background()
	if cfg.Namespace != sessionmodel.MetricNamespace || cfg.Limits != testLimits {
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
		// running[3] has no item yet: starting, 0 sessions, gets a marker.
	}
	dead := []sessionmodel.Item{
		sessionmodel.NewItem(stopped[0], 6, stale),
		sessionmodel.NewItem(other[0], 2, stale),
		sessionmodel.NewItem("arn:aws:ecs:us-east-1:123456789012:task/shiny-cluster/0123456789abcdef0123456789abcdef", 5, stale),
	}
	young := sessionmodel.NewItem(stopped[1], 1, fresh) // not listed, but written lately: kept
	for _, it := range live {
		putPadded(t, ctx, c.dynamo, table, it)
	}
	for _, it := range append(slices.Clone(dead), young) {
		putItem(t, ctx, c.dynamo, table, it)
	}
	// The table really takes more than one Scan page.
	if p, err := c.dynamo.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)}); err != nil || p.LastEvaluatedKey == nil {
		t.Fatalf("the table fits one Scan page (%v): the test would not exercise paging", err)
	}

	h := newHandler(cfg, c, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	out, err := h.Handle(ctx, events.EventBridgeEvent{})
	if err != nil {
		t.Fatalf("Handle: %v\nmoto log:\n%s", err, s.Log())
	}
	want := Output{ActiveSessions: 10, RunningTasks: 4, SessionsPerTask: 2.5, SessionsPublished: true, DeletedItems: 3, MarkedTasks: 1}
	if out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}

	dims := serviceDims(cluster, service)
	for name, v := range map[string]float64{
		sessionmodel.MetricSessionsPerTask:    2.5,
		sessionmodel.MetricActiveSessions:     10,
		sessionmodel.MetricRunningTasks:       4,
		sessionmodel.MetricSessionDataMissing: 0,
	} {
		checkDatapoint(t, ctx, c.cloudwatch, name, dims, now, v)
	}
	wantNames := []string{sessionmodel.MetricActiveSessions, sessionmodel.MetricRunningTasks, sessionmodel.MetricSessionDataMissing, sessionmodel.MetricSessionsPerTask}
	if names := metricNames(t, ctx, c.cloudwatch, dims); !slices.Equal(names, wantNames) {
		t.Errorf("metrics = %v, want %v", names, wantNames)
	}

	// Items of running tasks are kept, and so is the young one; old items of
	// dead tasks are gone; the new task has its marker.
	for _, it := range append(slices.Clone(live), young) {
		if !itemExists(t, ctx, c.dynamo, table, it.TaskARN) {
			t.Errorf("item of %s was deleted", it.TaskARN)
		}
	}
	for _, it := range dead {
		if itemExists(t, ctx, c.dynamo, table, it.TaskARN) {
			t.Errorf("item of dead task %s was not deleted", it.TaskARN)
		}
	}
	got, err := c.dynamo.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: running[3]}},
	})
	if err != nil {
		t.Fatalf("get marker: %v", err)
	}
	if rec, ok := decodeRecord(got.Item); !ok || rec != (record{TaskARN: running[3], FirstSeenAt: now.Unix()}) {
		t.Errorf("marker of the new task = %v, want first seen at %d", got.Item, now.Unix())
	}

	// One grace period later the new task's sidecar has still not written:
	// its sessions are unknown, and nothing about sessions is published.
	later := now.Add(StartupGrace + time.Minute)
	for _, it := range live {
		putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem(it.TaskARN, it.Sessions, later))
	}
	h.now = func() time.Time { return later }
	out, err = h.Handle(ctx, events.EventBridgeEvent{})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.SessionsPublished || out.SessionDataMissing != 1 || out.RunningTasks != 4 {
		t.Errorf("later output = %+v, want sessions withheld for the 1 task that never wrote", out)
	}
}

// The outage of issue 12 against moto: every running task's item is stale.
// CloudWatch gets RunningTasks and SessionDataMissing, never SessionsPerTask.
func TestIntegrationStaleDataPublishesNoSessions(t *testing.T) {
	const table, cluster, service = "stale-sessions", "stale-cluster", "stale-app"
	s, c, cfg := motoEnv(t, table, cluster, service)
	ctx := context.Background()
	createTable(t, ctx, c.dynamo, table)
	running := newMotoECS(t, ctx, s, c.ecs, cluster, service).runTasks(t, ctx, 3)
	now := time.Now().Truncate(time.Second)
	for i, arn := range running {
		putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem(arn, i+1, now.Add(-sessionmodel.StaleAfter-time.Second)))
	}

	h := newHandler(cfg, c, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	out, err := h.Handle(ctx, events.EventBridgeEvent{})
	if err != nil {
		t.Fatalf("Handle: %v\nmoto log:\n%s", err, s.Log())
	}
	if want := (Output{RunningTasks: 3, SessionDataMissing: 3}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	dims := serviceDims(cluster, service)
	checkDatapoint(t, ctx, c.cloudwatch, sessionmodel.MetricSessionDataMissing, dims, now, 3)
	checkDatapoint(t, ctx, c.cloudwatch, sessionmodel.MetricRunningTasks, dims, now, 3)
	if names := metricNames(t, ctx, c.cloudwatch, dims); !slices.Equal(names, []string{sessionmodel.MetricRunningTasks, sessionmodel.MetricSessionDataMissing}) {
		t.Errorf("metrics = %v, want only RunningTasks and SessionDataMissing", names)
	}
	for _, arn := range running {
		if !itemExists(t, ctx, c.dynamo, table, arn) {
			t.Errorf("stale item of running task %s was deleted", arn)
		}
	}
}

// The delete's condition, evaluated by moto's DynamoDB: an item rewritten
// after the scan (newer updated_at, or a sidecar item in place of a marker)
// survives without an error; an item unchanged since the scan is deleted; an
// item already gone is not counted. The marker's condition: it is written
// only where no item exists.
func TestIntegrationConditions(t *testing.T) {
	const table = "cond-sessions"
	_, c, cfg := motoEnv(t, table, "c", "s")
	ctx := context.Background()
	createTable(t, ctx, c.dynamo, table)
	now := time.Now().Truncate(time.Second)
	rewritten := sessionmodel.NewItem("task/rewritten", 2, now)
	unchanged := sessionmodel.NewItem("task/unchanged", 2, now.Add(-time.Hour))
	replacedMarker := sessionmodel.NewItem("task/replaced-marker", 1, now)
	putItem(t, ctx, c.dynamo, table, rewritten)
	putItem(t, ctx, c.dynamo, table, unchanged)
	putItem(t, ctx, c.dynamo, table, replacedMarker)

	h := newHandler(cfg, c, func() time.Time { return now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	scanned := []record{
		item("task/rewritten", 1, now.Add(-time.Hour).Unix()), // as the scan saw it
		item(unchanged.TaskARN, unchanged.Sessions, unchanged.UpdatedAt),
		item("task/already-gone", 1, now.Add(-time.Hour).Unix()),
		marker("task/replaced-marker", now.Add(-time.Hour).Unix()), // the sidecar wrote since
	}
	n, err := h.deleteDead(ctx, h.log, scanned)
	if err != nil {
		t.Fatalf("deleteDead: %v", err)
	}
	if n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	for _, arn := range []string{rewritten.TaskARN, replacedMarker.TaskARN} {
		if !itemExists(t, ctx, c.dynamo, table, arn) {
			t.Errorf("item %s rewritten after the scan was deleted", arn)
		}
	}
	if itemExists(t, ctx, c.dynamo, table, unchanged.TaskARN) {
		t.Error("item unchanged since the scan was not deleted")
	}

	// A marker never overwrites a sidecar's item.
	marked, err := h.mark(ctx, h.log, []string{rewritten.TaskARN, "task/brand-new"}, now)
	if err != nil || marked != 1 {
		t.Fatalf("mark = %d, %v; want 1 marker, no error", marked, err)
	}
	got, err := c.dynamo.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: rewritten.TaskARN}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := decodeRecord(got.Item); rec != item(rewritten.TaskARN, rewritten.Sessions, rewritten.UpdatedAt) {
		t.Errorf("sidecar item after mark = %+v, want it unchanged", rec)
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

// The path a caller outside Lambda takes (the rehearsal): New with an
// explicit aws.Config and getenv, nothing from the process environment,
// then Run.
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
	putItem(t, ctx, c.dynamo, table, sessionmodel.NewItem("task/gone", 9, now.Add(-sessionmodel.StaleAfter-time.Minute)))

	// Pointing the process environment elsewhere changes nothing.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_REGION", "eu-west-3")
	h, err := New(motoAWSConfig(s), env(map[string]string{
		sessionmodel.EnvTableName: table,
		sessionmodel.EnvCluster:   cluster,
		sessionmodel.EnvService:   service,
	}), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v\nmoto log:\n%s", err, s.Log())
	}
	if want := (Output{ActiveSessions: 5, RunningTasks: 2, SessionsPerTask: 2.5, SessionsPublished: true, DeletedItems: 1}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	if names := metricNames(t, ctx, c.cloudwatch, serviceDims(cluster, service)); len(names) != 4 {
		t.Errorf("metrics published: %v, want 4", names)
	}
}
