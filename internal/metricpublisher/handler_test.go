package metricpublisher

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	scans     []*dynamodb.ScanInput
	deletes   []*dynamodb.DeleteItemInput
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
// Scan): a=4 and b=3 fresh, c stale, dead1 and dead2 of stopped tasks.
// Expected: ActiveSessions 7, RunningTasks 3, SessionsPerTask 7/3.
type fixture struct {
	calls   []string
	store   *fakeStore
	lister  *fakeLister
	pub     *fakePublisher
	h       *Handler
	deadARN []string
}

func newFixture() *fixture {
	f := &fixture{}
	fresh := testNow.Add(-20 * time.Second)
	stale := testNow.Add(-sessionmodel.StaleAfter - time.Minute)
	f.store = &fakeStore{calls: &f.calls, pages: [][]map[string]ddbtypes.AttributeValue{
		{av(sessionmodel.NewItem("task/a", 4, fresh)), av(sessionmodel.NewItem("task/dead1", 8, fresh)), av(sessionmodel.NewItem("task/c", 11, stale))},
		{av(sessionmodel.NewItem("task/b", 3, fresh)), av(sessionmodel.NewItem("task/dead2", 1, stale))},
	}}
	f.lister = &fakeLister{calls: &f.calls, pages: [][]string{{"task/a", "task/b"}, {"task/c"}}}
	f.pub = &fakePublisher{calls: &f.calls}
	f.deadARN = []string{"task/dead1", "task/dead2"}
	f.h = &Handler{
		cfg:     settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: "Test/Sessions", StaleAfter: sessionmodel.StaleAfter},
		store:   f.store,
		tasks:   f.lister,
		metrics: f.pub,
		now:     func() time.Time { return testNow },
		log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
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
	if want := (Output{ActiveSessions: 7, RunningTasks: 3, SessionsPerTask: 7.0 / 3.0, DeletedItems: 2}); out != want {
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
	if want := fmt.Sprint(testNow.Add(-20 * time.Second).Unix()); seen != want {
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
		sessionmodel.MetricSessionsPerTask: 7.0 / 3.0,
		sessionmodel.MetricActiveSessions:  7,
		sessionmodel.MetricRunningTasks:    3,
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
	if out.RunningTasks != 0 || out.SessionsPerTask != 0 || out.ActiveSessions != 0 {
		t.Errorf("output = %+v, want zeros", out)
	}
	if out.DeletedItems != 5 {
		t.Errorf("deleted %d items, want all 5 (no task runs)", out.DeletedItems)
	}
	if len(f.pub.ins) != 1 {
		t.Fatalf("zero must still be published")
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

func TestHandleSkipsUndecodableItem(t *testing.T) {
	f := newFixture()
	f.store.pages[1] = append(f.store.pages[1], map[string]ddbtypes.AttributeValue{
		sessionmodel.KeyTaskARN:   &ddbtypes.AttributeValueMemberS{Value: "task/b2"},
		sessionmodel.AttrSessions: &ddbtypes.AttributeValueMemberS{Value: "lots"},
	})
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.ActiveSessions != 7 {
		t.Errorf("ActiveSessions = %d, want 7", out.ActiveSessions)
	}
}

func TestHandleUsesClockAndStaleAfter(t *testing.T) {
	f := newFixture()
	// With 10s staleness the items written 20s ago no longer count.
	f.h.cfg.StaleAfter = 10 * time.Second
	out, err := f.handle(t)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if out.ActiveSessions != 0 || out.RunningTasks != 3 {
		t.Errorf("output = %+v, want 0 sessions over 3 tasks", out)
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
	want := settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: sessionmodel.MetricNamespace, StaleAfter: sessionmodel.StaleAfter}
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
	if c.Namespace != "Other/NS" || c.StaleAfter != 150*time.Second {
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
	wantConfigError(t, e, sessionmodel.EnvTableName)
}

func TestLoadConfigMissingCluster(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvCluster] = "  "
	wantConfigError(t, e, sessionmodel.EnvCluster)
}

func TestLoadConfigMissingService(t *testing.T) {
	e := validEnv()
	delete(e, sessionmodel.EnvService)
	wantConfigError(t, e, sessionmodel.EnvService)
}

func TestLoadConfigBadStaleAfter(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "90"
	wantConfigError(t, e, sessionmodel.EnvStaleAfter, `"90"`)
}

func TestLoadConfigNonPositiveStaleAfter(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "-1m"
	wantConfigError(t, e, sessionmodel.EnvStaleAfter, `"-1m"`)
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	wantConfigError(t, map[string]string{sessionmodel.EnvStaleAfter: "soon"},
		sessionmodel.EnvTableName, sessionmodel.EnvCluster, sessionmodel.EnvService, sessionmodel.EnvStaleAfter, `"soon"`)
}

// newClients switches CloudWatch to awsQuery only when the endpoint is
// overridden; against AWS proper the SDK's default protocol stays.
func TestNewClientsCloudWatchProtocol(t *testing.T) {
	for _, tc := range []struct {
		name, global, cloudwatch, want string
	}{
		{"aws", "", "", "rpcv2Cbor"},
		{"global endpoint", "http://127.0.0.1:1", "", "awsQuery"},
		{"cloudwatch endpoint", "", "http://127.0.0.1:1", "awsQuery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_ACCESS_KEY_ID", "testing")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_ENDPOINT_URL", tc.global)
			t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", tc.cloudwatch)
			c, err := newClients(context.Background(), func(k string) string {
				return map[string]string{"AWS_ENDPOINT_URL": tc.global, "AWS_ENDPOINT_URL_CLOUDWATCH": tc.cloudwatch}[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.cloudwatch.Options().Protocol.ID().Name; got != tc.want {
				t.Errorf("CloudWatch protocol = %s, want %s", got, tc.want)
			}
		})
	}
}
