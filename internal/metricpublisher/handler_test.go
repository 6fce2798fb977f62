package metricpublisher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// fakeStore serves Scan from pages (chained by LastEvaluatedKey) and records
// every call in the shared call log.
type fakeStore struct {
	calls     *[]string
	pages     [][]map[string]ddbtypes.AttributeValue
	scanErrAt int // page index (1-based) whose Scan fails; 0: none
	scanErr   error
	deleteErr map[string]error // by task ARN
	putErr    map[string]error // by task ARN
	scans     []*dynamodb.ScanInput
	deletes   []*dynamodb.DeleteItemInput
	puts      []*dynamodb.PutItemInput
}

func (f *fakeStore) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	f.scans = append(f.scans, in)
	page := 0
	if k, ok := in.ExclusiveStartKey["page"]; ok {
		fmt.Sscan(k.(*ddbtypes.AttributeValueMemberN).Value, &page)
	}
	*f.calls = append(*f.calls, fmt.Sprintf("Scan#%d", page+1))
	if f.scanErrAt == page+1 {
		return nil, f.scanErr
	}
	out := &dynamodb.ScanOutput{}
	if page < len(f.pages) {
		out.Items = f.pages[page]
	}
	if page+1 < len(f.pages) {
		out.LastEvaluatedKey = map[string]ddbtypes.AttributeValue{"page": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(page + 1)}}
	}
	return out, nil
}

func (f *fakeStore) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	arn := in.Key[sessionmodel.KeyTaskARN].(*ddbtypes.AttributeValueMemberS).Value
	*f.calls = append(*f.calls, "DeleteItem "+arn)
	f.deletes = append(f.deletes, in)
	return &dynamodb.DeleteItemOutput{}, f.deleteErr[arn]
}

func (f *fakeStore) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	arn := in.Item[sessionmodel.KeyTaskARN].(*ddbtypes.AttributeValueMemberS).Value
	*f.calls = append(*f.calls, "PutItem "+arn)
	f.puts = append(f.puts, in)
	return &dynamodb.PutItemOutput{}, f.putErr[arn]
}

// fakeLister serves ListTasks from pages chained by NextToken.
type fakeLister struct {
	calls *[]string
	pages [][]string
	err   error
	ins   []*ecs.ListTasksInput
}

func (f *fakeLister) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.ins = append(f.ins, in)
	page := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &page)
	}
	*f.calls = append(*f.calls, fmt.Sprintf("ListTasks#%d", page+1))
	if f.err != nil {
		return nil, f.err
	}
	out := &ecs.ListTasksOutput{}
	if page < len(f.pages) {
		out.TaskArns = f.pages[page]
	}
	if page+1 < len(f.pages) {
		out.NextToken = aws.String(fmt.Sprint(page + 1))
	}
	return out, nil
}

type fakePublisher struct {
	calls *[]string
	err   error
	ins   []*cloudwatch.PutMetricDataInput
}

func (f *fakePublisher) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	*f.calls = append(*f.calls, "PutMetricData")
	f.ins = append(f.ins, in)
	if f.err != nil {
		return nil, f.err
	}
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func av(it sessionmodel.Item) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		sessionmodel.KeyTaskARN:    &ddbtypes.AttributeValueMemberS{Value: it.TaskARN},
		sessionmodel.AttrSessions:  &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(it.Sessions)},
		sessionmodel.AttrUpdatedAt: &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(it.UpdatedAt)},
		sessionmodel.AttrExpiresAt: &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(it.ExpiresAt)},
	}
}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture: 3 running tasks (two pages of ListTasks), 5 items (two pages of
// Scan): a=4, b=3 and c=2 fresh, dead1 and dead2 of stopped tasks, both
// older than the freshness window. Expected: ActiveSessions 9, RunningTasks
// 3, SessionsPerTask 3, SessionDataMissing 0, 2 items deleted.
type fixture struct {
	calls  []string
	store  *fakeStore
	lister *fakeLister
	pub    *fakePublisher
	h      *Handler
	logs   *bytes.Buffer
}

func newFixture() *fixture {
	f := &fixture{}
	fresh := testNow.Add(-20 * time.Second)
	stale := testNow.Add(-sessionmodel.StaleAfter - time.Minute)
	f.store = &fakeStore{calls: &f.calls, pages: [][]map[string]ddbtypes.AttributeValue{
		{av(sessionmodel.NewItem("task/a", 4, fresh)), av(sessionmodel.NewItem("task/dead1", 8, stale)), av(sessionmodel.NewItem("task/c", 2, fresh))},
		{av(sessionmodel.NewItem("task/b", 3, fresh)), av(sessionmodel.NewItem("task/dead2", 1, stale))},
	}}
	f.lister = &fakeLister{calls: &f.calls, pages: [][]string{{"task/a", "task/b"}, {"task/c"}}}
	f.pub = &fakePublisher{calls: &f.calls}
	f.logs = &bytes.Buffer{}
	f.h = &Handler{
		cfg:     settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: "Test/Sessions", Limits: testLimits},
		store:   f.store,
		tasks:   f.lister,
		metrics: f.pub,
		now:     func() time.Time { return testNow },
		log:     slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	return f
}

func (f *fixture) handle(t *testing.T) (Output, error) {
	t.Helper()
	return f.h.Handle(context.Background(), events.EventBridgeEvent{})
}

func TestHandlePublishesThenDeletes(t *testing.T) {
	f := newFixture()
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	wantCalls := []string{"Scan#1", "Scan#2", "ListTasks#1", "ListTasks#2", "PutMetricData", "DeleteItem task/dead1", "DeleteItem task/dead2"}
	if !reflect.DeepEqual(f.calls, wantCalls) {
		t.Fatalf("calls = %v, want %v", f.calls, wantCalls)
	}
	if want := (Output{ActiveSessions: 9, RunningTasks: 3, SessionsPerTask: 3, SessionsPublished: true, DeletedItems: 2}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}

	if got := aws.ToString(f.store.scans[0].TableName); got != "sessions" {
		t.Errorf("Scan table = %q", got)
	}
	for i, in := range f.lister.ins {
		if aws.ToString(in.Cluster) != "shiny-cluster" || aws.ToString(in.ServiceName) != "shiny-svc" || in.DesiredStatus != ecstypes.DesiredStatusRunning {
			t.Errorf("ListTasks call %d = cluster %q service %q status %q, want shiny-cluster shiny-svc RUNNING",
				i, aws.ToString(in.Cluster), aws.ToString(in.ServiceName), in.DesiredStatus)
		}
	}

	for i, in := range f.store.deletes {
		if aws.ToString(in.TableName) != "sessions" {
			t.Errorf("delete %d table = %q", i, aws.ToString(in.TableName))
		}
		if in.ConditionExpression == nil || in.ExpressionAttributeNames["#updated"] != sessionmodel.AttrUpdatedAt {
			t.Errorf("delete %d is not conditioned on %s: %v %v", i, sessionmodel.AttrUpdatedAt, aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames)
		}
	}
	// The condition carries the updated_at seen by the scan.
	seen := f.store.deletes[0].ExpressionAttributeValues[":seen"].(*ddbtypes.AttributeValueMemberN).Value
	if want := fmt.Sprint(testNow.Add(-sessionmodel.StaleAfter - time.Minute).Unix()); seen != want {
		t.Errorf("dead1 delete conditioned on updated_at <= %s, want %s", seen, want)
	}
}

func TestHandleMetricData(t *testing.T) {
	f := newFixture()
	if _, err := f.handle(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(f.pub.ins) != 1 {
		t.Fatalf("PutMetricData called %d times, want exactly 1", len(f.pub.ins))
	}
	in := f.pub.ins[0]
	if got := aws.ToString(in.Namespace); got != "Test/Sessions" {
		t.Errorf("namespace = %q, want Test/Sessions", got)
	}
	wantDims := []cwtypes.Dimension{
		{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String("shiny-cluster")},
		{Name: aws.String(sessionmodel.DimensionService), Value: aws.String("shiny-svc")},
	}
	want := map[string]float64{
		sessionmodel.MetricSessionsPerTask:    3,
		sessionmodel.MetricActiveSessions:     9,
		sessionmodel.MetricRunningTasks:       3,
		sessionmodel.MetricSessionDataMissing: 0,
	}
	if len(in.MetricData) != len(want) {
		t.Fatalf("got %d datapoints, want %d", len(in.MetricData), len(want))
	}
	for _, d := range in.MetricData {
		name := aws.ToString(d.MetricName)
		v, ok := want[name]
		if !ok {
			t.Errorf("unexpected metric %q", name)
			continue
		}
		delete(want, name)
		if d.Value == nil || *d.Value != v {
			t.Errorf("%s = %v, want %v", name, aws.ToFloat64(d.Value), v)
		}
		if d.Unit != cwtypes.StandardUnitCount {
			t.Errorf("%s unit = %q, want Count", name, d.Unit)
		}
		if d.Timestamp == nil || !d.Timestamp.Equal(testNow) {
			t.Errorf("%s timestamp = %v, want %v", name, d.Timestamp, testNow)
		}
		if !reflect.DeepEqual(d.Dimensions, wantDims) {
			t.Errorf("%s dimensions = %v, want ClusterName=shiny-cluster ServiceName=shiny-svc", name, dimString(d.Dimensions))
		}
		if len(d.Values) != 0 || d.StatisticValues != nil {
			t.Errorf("%s must be a single value", name)
		}
	}
}

func dimString(ds []cwtypes.Dimension) string {
	var s []string
	for _, d := range ds {
		s = append(s, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
	}
	return strings.Join(s, ",")
}

func TestHandleNoRunningTasksPublishesZero(t *testing.T) {
	f := newFixture()
	f.lister.pages = nil
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if want := (Output{SessionsPublished: true, DeletedItems: 2}); out != want {
		t.Errorf("output = %+v, want zeros, published, and the 2 old items deleted (the 3 fresh ones are kept)", out)
	}
	if len(f.pub.ins) != 1 || len(f.pub.ins[0].MetricData) != 4 {
		t.Fatalf("zero must still be published, all four metrics: %v", f.pub.ins)
	}
	for _, d := range f.pub.ins[0].MetricData {
		if aws.ToFloat64(d.Value) != 0 {
			t.Errorf("%s = %v, want 0", aws.ToString(d.MetricName), aws.ToFloat64(d.Value))
		}
	}
}

func TestHandleScanErrorPublishesNothing(t *testing.T) {
	for _, page := range []int{1, 2} {
		t.Run(fmt.Sprintf("page %d", page), func(t *testing.T) {
			f := newFixture()
			boom := errors.New("ProvisionedThroughputExceeded")
			f.store.scanErrAt, f.store.scanErr = page, boom
			_, err := f.handle(t)
			if !errors.Is(err, boom) {
				t.Fatalf("error = %v, want it to wrap %v", err, boom)
			}
			if len(f.pub.ins) != 0 || len(f.store.deletes) != 0 {
				t.Errorf("after a scan error: %d publishes, %d deletes; want none (calls %v)", len(f.pub.ins), len(f.store.deletes), f.calls)
			}
		})
	}
}

func TestHandleListErrorPublishesNothing(t *testing.T) {
	f := newFixture()
	boom := errors.New("ClusterNotFoundException")
	f.lister.err = boom
	_, err := f.handle(t)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if len(f.pub.ins) != 0 || len(f.store.deletes) != 0 {
		t.Errorf("after a list error: %d publishes, %d deletes; want none (calls %v)", len(f.pub.ins), len(f.store.deletes), f.calls)
	}
}

func TestHandlePublishErrorDeletesNothing(t *testing.T) {
	f := newFixture()
	boom := errors.New("Throttling")
	f.pub.err = boom
	_, err := f.handle(t)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if len(f.store.deletes) != 0 {
		t.Errorf("deleted %d items after a failed publish, want none", len(f.store.deletes))
	}
}

func TestHandleDeleteErrorReturnedAfterPublishing(t *testing.T) {
	f := newFixture()
	boom := errors.New("InternalServerError")
	f.store.deleteErr = map[string]error{"task/dead1": boom}
	out, err := f.handle(t)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if !strings.Contains(err.Error(), "task/dead1") {
		t.Errorf("error %q does not name the item", err)
	}
	wantCalls := []string{"Scan#1", "Scan#2", "ListTasks#1", "ListTasks#2", "PutMetricData", "DeleteItem task/dead1", "DeleteItem task/dead2"}
	if !reflect.DeepEqual(f.calls, wantCalls) {
		t.Errorf("calls = %v, want %v (publish first, every delete tried)", f.calls, wantCalls)
	}
	if out.DeletedItems != 1 || out.RunningTasks != 3 {
		t.Errorf("output = %+v, want 1 deleted and the figures", out)
	}
}

func TestHandleConditionalCheckFailedIsFine(t *testing.T) {
	f := newFixture()
	f.store.deleteErr = map[string]error{"task/dead2": &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}}
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("ConditionalCheckFailed must not fail the invocation: %v", err)
	}
	if out.DeletedItems != 1 {
		t.Errorf("DeletedItems = %d, want 1 (the rewritten item is kept)", out.DeletedItems)
	}
}

func TestHandleUsesClockAndStaleAfter(t *testing.T) {
	f := newFixture()
	// With 10s staleness the items written 20s ago no longer count.
	f.h.cfg.Limits.StaleAfter = 10 * time.Second
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.SessionsPublished || out.SessionDataMissing != 3 || out.RunningTasks != 3 {
		t.Errorf("output = %+v, want 3 tasks whose sessions are unknown, nothing about sessions published", out)
	}
}

// The outage of issue 12: no sidecar can write, every running task's item is
// stale. Before, this published SessionsPerTask 0 over 3 tasks, which fired
// the scale-in alarm while users were connected.
func TestHandleStaleItemsPublishNoSessions(t *testing.T) {
	f := newFixture()
	f.h.now = func() time.Time { return testNow.Add(sessionmodel.StaleAfter) } // 20 s too late for a, b and c
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if want := (Output{RunningTasks: 3, SessionDataMissing: 3, DeletedItems: 2}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	got := map[string]float64{}
	for _, d := range f.pub.ins[0].MetricData {
		got[aws.ToString(d.MetricName)] = aws.ToFloat64(d.Value)
	}
	if want := map[string]float64{sessionmodel.MetricRunningTasks: 3, sessionmodel.MetricSessionDataMissing: 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("published %v, want only %v (no %s, no %s)", got, want, sessionmodel.MetricSessionsPerTask, sessionmodel.MetricActiveSessions)
	}
	line := logLine(t, f.logs.String(), "session data missing")
	if line["level"] != "WARN" {
		t.Errorf("level = %v, want WARN: %v", line["level"], line)
	}
	missing, _ := line["missing_tasks"].([]any)
	if len(missing) != 3 || fmt.Sprint(missing[0]) != "map[reason:"+reasonStale+" task_arn:task/a]" {
		t.Errorf("missing_tasks = %v, want task/a, task/b, task/c, stale", line["missing_tasks"])
	}
}

// An item of a running task that cannot be decoded leaves that task's
// sessions unknown; before, it was skipped and the task counted as 0.
func TestHandleUndecodableItemWithholdsSessions(t *testing.T) {
	f := newFixture()
	f.store.pages[0][2] = map[string]ddbtypes.AttributeValue{ // task/c
		sessionmodel.KeyTaskARN:    &ddbtypes.AttributeValueMemberS{Value: "task/c"},
		sessionmodel.AttrSessions:  &ddbtypes.AttributeValueMemberS{Value: "lots"},
		sessionmodel.AttrUpdatedAt: &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(testNow.Unix())},
	}
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if want := (Output{RunningTasks: 3, SessionDataMissing: 1, DeletedItems: 2}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	if n := len(f.pub.ins[0].MetricData); n != 2 {
		t.Errorf("published %d datapoints, want 2 (RunningTasks, SessionDataMissing)", n)
	}
	if !strings.Contains(f.logs.String(), reasonUndecodable) {
		t.Errorf("the log does not say why:\n%s", f.logs)
	}
}

// A running task without any item is starting: it counts as 0 sessions and
// gets a marker, written after publishing, so that a later run knows how long
// it has gone without its sidecar writing.
func TestHandleMarksNewTask(t *testing.T) {
	f := newFixture()
	f.lister.pages[1] = append(f.lister.pages[1], "task/new")
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	wantCalls := []string{"Scan#1", "Scan#2", "ListTasks#1", "ListTasks#2", "PutMetricData", "PutItem task/new", "DeleteItem task/dead1", "DeleteItem task/dead2"}
	if !reflect.DeepEqual(f.calls, wantCalls) {
		t.Fatalf("calls = %v, want %v", f.calls, wantCalls)
	}
	if want := (Output{ActiveSessions: 9, RunningTasks: 4, SessionsPerTask: 2.25, SessionsPublished: true, DeletedItems: 2, MarkedTasks: 1}); out != want {
		t.Errorf("output = %+v, want %+v", out, want)
	}
	put := f.store.puts[0]
	if aws.ToString(put.TableName) != "sessions" || aws.ToString(put.ConditionExpression) != "attribute_not_exists(#arn)" ||
		put.ExpressionAttributeNames["#arn"] != sessionmodel.KeyTaskARN {
		t.Errorf("marker put = table %q condition %q %v, want sessions, only if no item exists",
			aws.ToString(put.TableName), aws.ToString(put.ConditionExpression), put.ExpressionAttributeNames)
	}
	wantItem := map[string]ddbtypes.AttributeValue{
		sessionmodel.KeyTaskARN:      &ddbtypes.AttributeValueMemberS{Value: "task/new"},
		sessionmodel.AttrFirstSeenAt: &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(testNow.Unix())},
	}
	if !reflect.DeepEqual(put.Item, wantItem) {
		t.Errorf("marker = %v, want %v", put.Item, wantItem)
	}

	// A later run, within the startup grace, reads the marker back as a
	// starting task (0 sessions) and writes no second marker.
	later := testNow.Add(StartupGrace - time.Minute)
	g := newFixture()
	g.h.now = func() time.Time { return later }
	g.lister.pages[1] = append(g.lister.pages[1], "task/new")
	g.store.pages = [][]map[string]ddbtypes.AttributeValue{{
		av(sessionmodel.NewItem("task/a", 1, later)), av(sessionmodel.NewItem("task/b", 1, later)),
		av(sessionmodel.NewItem("task/c", 1, later)), put.Item,
	}}
	out, err = g.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if want := (Output{ActiveSessions: 3, RunningTasks: 4, SessionsPerTask: 0.75, SessionsPublished: true}); out != want || len(g.store.puts) != 0 {
		t.Errorf("second run: output %+v, %d markers; want %+v, no marker", out, len(g.store.puts), want)
	}
}

// A failed marker write is reported after publishing; the deletes still run.
func TestHandleMarkErrorReturnedAfterPublishing(t *testing.T) {
	f := newFixture()
	f.lister.pages[1] = append(f.lister.pages[1], "task/new1", "task/new2")
	boom := errors.New("AccessDeniedException")
	f.store.putErr = map[string]error{
		"task/new1": boom,
		"task/new2": &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")},
	}
	out, err := f.handle(t)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "task/new1") || strings.Contains(err.Error(), "task/new2") {
		t.Fatalf("error = %v, want only task/new1's failure", err)
	}
	if out.MarkedTasks != 0 || out.DeletedItems != 2 || len(f.pub.ins) != 1 {
		t.Errorf("output = %+v, %d publishes; want published, 0 marked, 2 deleted", out, len(f.pub.ins))
	}
}

// A marker of a task that stopped is deleted unless a sidecar item replaced
// it since the scan: the condition requires that no updated_at exists.
func TestHandleDeletesMarkerOfStoppedTask(t *testing.T) {
	f := newFixture()
	f.store.pages[1] = append(f.store.pages[1], map[string]ddbtypes.AttributeValue{
		sessionmodel.KeyTaskARN:      &ddbtypes.AttributeValueMemberS{Value: "task/gone"},
		sessionmodel.AttrFirstSeenAt: &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(testNow.Unix())},
	})
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.DeletedItems != 3 {
		t.Errorf("deleted %d, want 3", out.DeletedItems)
	}
	var del *dynamodb.DeleteItemInput
	for _, d := range f.store.deletes {
		if d.Key[sessionmodel.KeyTaskARN].(*ddbtypes.AttributeValueMemberS).Value == "task/gone" {
			del = d
		}
	}
	if del == nil || aws.ToString(del.ConditionExpression) != "attribute_exists(#arn) AND attribute_not_exists(#updated)" ||
		del.ExpressionAttributeValues != nil {
		t.Fatalf("marker delete = %+v, want it conditioned on no updated_at", del)
	}
}

func TestDecodeRecord(t *testing.T) {
	S := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	N := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: v} }
	const arn, upd, ses = sessionmodel.KeyTaskARN, sessionmodel.AttrUpdatedAt, sessionmodel.AttrSessions
	for _, tc := range []struct {
		name string
		in   map[string]ddbtypes.AttributeValue
		want record
		ok   bool
	}{
		{"sidecar item", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: N("4"), upd: N("100"), sessionmodel.AttrExpiresAt: N("900")},
			record{TaskARN: "t", Sessions: 4, UpdatedAt: 100, HasUpdatedAt: true}, true},
		{"unknown attributes are ignored", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: N("4"), upd: N("100"), "padding": S("x")},
			record{TaskARN: "t", Sessions: 4, UpdatedAt: 100, HasUpdatedAt: true}, true},
		{"marker", map[string]ddbtypes.AttributeValue{arn: S("t"), sessionmodel.AttrFirstSeenAt: N("100")},
			record{TaskARN: "t", FirstSeenAt: 100}, true},
		{"marker with a bad time", map[string]ddbtypes.AttributeValue{arn: S("t"), sessionmodel.AttrFirstSeenAt: S("soon")},
			record{TaskARN: "t", Undecodable: true}, true},
		{"sessions missing: not zero", map[string]ddbtypes.AttributeValue{arn: S("t"), upd: N("100")},
			record{TaskARN: "t", UpdatedAt: 100, HasUpdatedAt: true, Undecodable: true}, true},
		{"updated_at missing", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: N("1")},
			record{TaskARN: "t", Undecodable: true}, true},
		{"sessions not a number", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: S("lots"), upd: N("100")},
			record{TaskARN: "t", UpdatedAt: 100, HasUpdatedAt: true, Undecodable: true}, true},
		{"sessions fractional", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: N("1.5"), upd: N("100")},
			record{TaskARN: "t", UpdatedAt: 100, HasUpdatedAt: true, Undecodable: true}, true},
		{"updated_at not an integer", map[string]ddbtypes.AttributeValue{arn: S("t"), ses: N("1"), upd: N("1e3")},
			record{TaskARN: "t", Undecodable: true}, true},
		{"no task ARN", map[string]ddbtypes.AttributeValue{ses: N("1"), upd: N("100")}, record{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeRecord(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("decodeRecord = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// logLine returns the first JSON log line whose msg starts with prefix.
func logLine(t *testing.T, logs, prefix string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if msg, _ := e["msg"].(string); strings.HasPrefix(msg, prefix) {
			return e
		}
	}
	t.Fatalf("no log line %q in:\n%s", prefix, logs)
	return nil
}

// Errors are logged under the key "err", as in every program of the project.
func TestHandleLogsErrorsUnderErr(t *testing.T) {
	f := newFixture()
	f.lister.err = errors.New("ClusterNotFoundException")
	if _, err := f.handle(t); err == nil {
		t.Fatal("Handle: no error")
	}
	line := logLine(t, f.logs.String(), "list running tasks failed")
	if line["err"] != "ClusterNotFoundException" || line["error"] != nil {
		t.Errorf("log line %v, want the error under \"err\"", line)
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		sessionmodel.EnvTableName: "sessions",
		sessionmodel.EnvCluster:   "shiny-cluster",
		sessionmodel.EnvService:   "shiny-svc",
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: sessionmodel.MetricNamespace, Limits: testLimits}
	if c != want {
		t.Errorf("config = %+v, want %+v", c, want)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvNamespace] = "Other/NS"
	e[sessionmodel.EnvStaleAfter] = "2m30s"
	c, err := loadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if c.Namespace != "Other/NS" || c.Limits.StaleAfter != 150*time.Second {
		t.Errorf("config = %+v, want namespace Other/NS and 2m30s", c)
	}
}

func wantConfigError(t *testing.T, e map[string]string, fragments ...string) {
	t.Helper()
	_, err := loadConfig(env(e))
	if err == nil {
		t.Fatalf("loadConfig accepted %v", e)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

func TestLoadConfigMissingTable(t *testing.T) {
	e := validEnv()
	delete(e, sessionmodel.EnvTableName)
	wantConfigError(t, e, sessionmodel.EnvTableName+`="": must be set`)
}

func TestLoadConfigMissingCluster(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvCluster] = "  "
	wantConfigError(t, e, sessionmodel.EnvCluster+`="  ": must be set`)
}

func TestLoadConfigMissingService(t *testing.T) {
	e := validEnv()
	delete(e, sessionmodel.EnvService)
	wantConfigError(t, e, sessionmodel.EnvService+`="": must be set`)
}

func TestLoadConfigBadStaleAfter(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "90"
	wantConfigError(t, e, sessionmodel.EnvStaleAfter+`="90": must be a positive Go duration`)
}

func TestLoadConfigNonPositiveStaleAfter(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "-1m"
	wantConfigError(t, e, sessionmodel.EnvStaleAfter+`="-1m": must be a positive Go duration`)
}

// Every problem, in a fixed order.
func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := loadConfig(env(map[string]string{sessionmodel.EnvStaleAfter: "soon"}))
	want := "invalid configuration: " + sessionmodel.EnvTableName + `="": must be set to the session table's name` + "\n" +
		sessionmodel.EnvCluster + `="": must be set to the ECS cluster's name` + "\n" +
		sessionmodel.EnvService + `="": must be set to the Shiny service's name` + "\n" +
		sessionmodel.EnvStaleAfter + `="soon": must be a positive Go duration such as 90s or 2m (unset: 1m30s)`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// newClients switches CloudWatch to awsQuery only when the endpoint is
// overridden in the aws.Config it is given; against AWS proper the SDK's
// default protocol stays. The process environment plays no part.
func TestNewClientsCloudWatchProtocol(t *testing.T) {
	// Would switch the protocol if the clients read the process environment.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:1")
	for _, tc := range []struct {
		name, endpoint, want string
	}{
		{"aws", "", "rpcv2Cbor"},
		{"endpoint override", "http://127.0.0.1:1", "awsQuery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := aws.Config{Region: "us-east-1"}
			if tc.endpoint != "" {
				cfg.BaseEndpoint = aws.String(tc.endpoint)
			}
			c := newClients(cfg)
			if got := c.cloudwatch.Options().Protocol.ID().Name; got != tc.want {
				t.Errorf("CloudWatch protocol = %s, want %s", got, tc.want)
			}
		})
	}
}
