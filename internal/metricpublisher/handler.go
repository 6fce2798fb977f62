package metricpublisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// sessionStore is the part of the DynamoDB client the handler uses.
type sessionStore interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// taskLister is the part of the ECS client the handler uses.
type taskLister interface {
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
}

// metricPublisher is the part of the CloudWatch client the handler uses.
type metricPublisher interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

var (
	_ sessionStore    = (*dynamodb.Client)(nil)
	_ taskLister      = (*ecs.Client)(nil)
	_ metricPublisher = (*cloudwatch.Client)(nil)
)

// Handler computes and publishes the session metrics once per invocation.
// Build it once with [New] and call [Handler.Run] (in process) or
// [Handler.Handle] (the Lambda entry point) per invocation. The zero value is
// not usable.
type Handler struct {
	cfg     settings
	store   sessionStore
	tasks   taskLister
	metrics metricPublisher
	now     func() time.Time
	log     *slog.Logger
}

// Output is what an invocation returns (visible when invoked by hand).
type Output struct {
	// ActiveSessions is the published ActiveSessions datapoint; 0 when
	// SessionsPublished is false.
	ActiveSessions int `json:"activeSessions"`
	// RunningTasks is the published RunningTasks datapoint.
	RunningTasks int `json:"runningTasks"`
	// SessionsPerTask is the published SessionsPerTask datapoint; 0 when
	// SessionsPublished is false.
	SessionsPerTask float64 `json:"sessionsPerTask"`
	// SessionsPublished tells whether SessionsPerTask and ActiveSessions were
	// published: false while SessionDataMissing is above 0.
	SessionsPublished bool `json:"sessionsPublished"`
	// SessionDataMissing is the published SessionDataMissing datapoint: the
	// number of running tasks whose session count is unknown.
	SessionDataMissing int `json:"sessionDataMissing"`
	// DeletedItems is the number of items of stopped tasks deleted.
	DeletedItems int `json:"deletedItems"`
	// MarkedTasks is the number of markers written for running tasks seen
	// for the first time without an item (see sessionmodel.AttrFirstSeenAt).
	MarkedTasks int `json:"markedTasks"`
}

// Handle is the Lambda entry point, run by the EventBridge schedule; the
// event carries nothing the handler uses. It is [Handler.Run].
func (h *Handler) Handle(ctx context.Context, _ events.EventBridgeEvent) (Output, error) {
	return h.Run(ctx)
}

// Run performs one invocation: scan the session table, list the service's
// running tasks, decide (compute), publish the metrics, then write the
// markers of newly seen tasks and delete the items of stopped tasks.
// Any AWS error fails the invocation: an error before publishing returns a
// zero Output and publishes nothing; a marker or delete error is returned
// after the metrics were published, with the Output filled in. The table is
// read before the task list: a task that starts in between has no item yet,
// whereas reading the task list first would make the item of a task that
// started in between look dead. Inside Lambda the request ID from ctx is
// logged.
func (h *Handler) Run(ctx context.Context) (Output, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	now := h.now()

	records, err := h.scanRecords(ctx)
	if err != nil {
		log.Error("scan session table failed", "table", h.cfg.Table, "err", err)
		return Output{}, fmt.Errorf("scan session table %s: %w", h.cfg.Table, err)
	}
	running, err := h.runningTasks(ctx)
	if err != nil {
		log.Error("list running tasks failed", "cluster", h.cfg.Cluster, "service", h.cfg.Service, "err", err)
		return Output{}, fmt.Errorf("list running tasks of %s/%s: %w", h.cfg.Cluster, h.cfg.Service, err)
	}

	r := compute(records, running, now, h.cfg.Limits)
	if !r.Trusted() {
		log.Warn("session data missing: "+sessionmodel.MetricSessionsPerTask+" and "+
			sessionmodel.MetricActiveSessions+" not published, scaling on sessions holds still",
			"missing_tasks", r.Missing, "running_tasks", r.RunningTasks,
			"stale_after", h.cfg.Limits.StaleAfter.String(), "startup_grace", h.cfg.Limits.StartupGrace.String())
	}

	if err := h.publish(ctx, r, now); err != nil {
		log.Error("put metric data failed", "namespace", h.cfg.Namespace, "err", err)
		return Output{}, fmt.Errorf("publish metrics to %s: %w", h.cfg.Namespace, err)
	}
	out := Output{RunningTasks: r.RunningTasks, SessionDataMissing: len(r.Missing), SessionsPublished: r.Trusted()}
	if r.Trusted() {
		out.ActiveSessions, out.SessionsPerTask = r.ActiveSessions, r.SessionsPerTask
	}
	log.Info("published session metrics",
		"namespace", h.cfg.Namespace,
		"cluster", h.cfg.Cluster,
		"service", h.cfg.Service,
		"sessions_published", out.SessionsPublished,
		"sessions_per_task", out.SessionsPerTask,
		"active_sessions", out.ActiveSessions,
		"running_tasks", out.RunningTasks,
		"session_data_missing", out.SessionDataMissing,
		"items_scanned", len(records),
		"items_counted", r.Counted,
		"tasks_starting", len(r.Starting),
		"items_dead", len(r.Dead),
		"items_kept", len(r.Kept),
	)

	marked, markErr := h.mark(ctx, log, r.Mark, now)
	deleted, deleteErr := h.deleteDead(ctx, log, r.Dead)
	out.MarkedTasks, out.DeletedItems = marked, deleted
	if markErr != nil {
		markErr = fmt.Errorf("write markers of new tasks to %s: %w", h.cfg.Table, markErr)
	}
	if deleteErr != nil {
		deleteErr = fmt.Errorf("delete items of stopped tasks from %s: %w", h.cfg.Table, deleteErr)
	}
	return out, errors.Join(markErr, deleteErr)
}

// scanRecords reads the whole session table, page by page (DynamoDB returns
// at most 1 MB per Scan page). An item that cannot be decoded is kept as an
// undecodable record: its task's sessions are unknown, never zero.
func (h *Handler) scanRecords(ctx context.Context) ([]record, error) {
	var recs []record
	p := dynamodb.NewScanPaginator(h.store, &dynamodb.ScanInput{TableName: aws.String(h.cfg.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, av := range page.Items {
			if rec, ok := decodeRecord(av); ok {
				recs = append(recs, rec)
			}
		}
	}
	return recs, nil
}

// decodeRecord turns a scanned item into a record; ok is false only for an
// item without a string task ARN, which the table's key schema rules out.
func decodeRecord(av map[string]ddbtypes.AttributeValue) (rec record, ok bool) {
	key, isS := av[sessionmodel.KeyTaskARN].(*ddbtypes.AttributeValueMemberS)
	if !isS || key.Value == "" {
		return record{}, false
	}
	rec.TaskARN = key.Value
	_, hasUpdated := av[sessionmodel.AttrUpdatedAt]
	_, hasSessions := av[sessionmodel.AttrSessions]
	if seen, isMarker := av[sessionmodel.AttrFirstSeenAt]; isMarker && !hasUpdated && !hasSessions {
		if n, ok := number(seen); ok && n > 0 {
			rec.FirstSeenAt = n
			return rec, true
		}
		rec.Undecodable = true
		return rec, true
	}
	var it sessionmodel.Item
	// A missing attribute would decode as 0: never read it as 0 sessions.
	if err := attributevalue.UnmarshalMap(av, &it); err != nil || !hasUpdated || !hasSessions {
		rec.Undecodable = true
		rec.UpdatedAt, rec.HasUpdatedAt = number(av[sessionmodel.AttrUpdatedAt])
		return rec, true
	}
	rec.Sessions, rec.UpdatedAt, rec.HasUpdatedAt = it.Sessions, it.UpdatedAt, true
	return rec, true
}

// number reads an N attribute holding an integer.
func number(v ddbtypes.AttributeValue) (int64, bool) {
	n, isN := v.(*ddbtypes.AttributeValueMemberN)
	if !isN {
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	return i, err == nil
}

// runningTasks returns the ARNs of the service's tasks whose desired status
// is RUNNING (ECS lists at most 100 per page).
func (h *Handler) runningTasks(ctx context.Context) ([]string, error) {
	p := ecs.NewListTasksPaginator(h.tasks, &ecs.ListTasksInput{
		Cluster:       aws.String(h.cfg.Cluster),
		ServiceName:   aws.String(h.cfg.Service),
		DesiredStatus: ecstypes.DesiredStatusRunning,
	})
	var arns []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		arns = append(arns, page.TaskArns...)
	}
	return arns, nil
}

// metricData builds the datapoints of one invocation: RunningTasks and
// SessionDataMissing always, SessionsPerTask and ActiveSessions only when
// every running task's sessions are known.
func (h *Handler) metricData(r result, now time.Time) []cwtypes.MetricDatum {
	dims := []cwtypes.Dimension{
		{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String(h.cfg.Cluster)},
		{Name: aws.String(sessionmodel.DimensionService), Value: aws.String(h.cfg.Service)},
	}
	datum := func(name string, v float64) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{
			MetricName: aws.String(name),
			Dimensions: dims,
			Value:      aws.Float64(v),
			Unit:       cwtypes.StandardUnitCount,
			Timestamp:  aws.Time(now),
		}
	}
	data := []cwtypes.MetricDatum{
		datum(sessionmodel.MetricRunningTasks, float64(r.RunningTasks)),
		datum(sessionmodel.MetricSessionDataMissing, float64(len(r.Missing))),
	}
	if r.Trusted() {
		data = append(data,
			datum(sessionmodel.MetricSessionsPerTask, r.SessionsPerTask),
			datum(sessionmodel.MetricActiveSessions, float64(r.ActiveSessions)))
	}
	return data
}

func (h *Handler) publish(ctx context.Context, r result, now time.Time) error {
	_, err := h.metrics.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(h.cfg.Namespace),
		MetricData: h.metricData(r, now),
	})
	return err
}

// mark writes a marker {task_arn, first_seen_at} for each running task seen
// without any item, unless an item appeared since the scan (the condition;
// a ConditionalCheckFailed is not an error). Every marker is tried; the
// errors are returned together.
func (h *Handler) mark(ctx context.Context, log *slog.Logger, arns []string, now time.Time) (int, error) {
	var errs []error
	marked := 0
	for _, arn := range arns {
		_, err := h.store.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(h.cfg.Table),
			Item: map[string]ddbtypes.AttributeValue{
				sessionmodel.KeyTaskARN:      &ddbtypes.AttributeValueMemberS{Value: arn},
				sessionmodel.AttrFirstSeenAt: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			},
			ConditionExpression:      aws.String("attribute_not_exists(#arn)"),
			ExpressionAttributeNames: map[string]string{"#arn": sessionmodel.KeyTaskARN},
		})
		var ccf *ddbtypes.ConditionalCheckFailedException
		switch {
		case err == nil:
			marked++
			log.Info("new task without a session item; marked", "task_arn", arn)
		case errors.As(err, &ccf):
			log.Info("new task wrote its item since the scan", "task_arn", arn)
		default:
			log.Error("write marker of new task failed", "task_arn", arn, "err", err)
			errs = append(errs, fmt.Errorf("mark %s: %w", arn, err))
		}
	}
	return marked, errors.Join(errs...)
}

// deleteDead deletes the items of tasks that no longer run. The condition
// keeps an item that was rewritten (newer updated_at, or a sidecar item in
// place of a marker) since it was scanned and does not count an item that is
// already gone (TTL, an overlapping run); such a ConditionalCheckFailed is
// not an error. Every item is tried; the errors are returned together.
func (h *Handler) deleteDead(ctx context.Context, log *slog.Logger, dead []record) (int, error) {
	var errs []error
	deleted := 0
	for _, rec := range dead {
		in := &dynamodb.DeleteItemInput{
			TableName: aws.String(h.cfg.Table),
			Key: map[string]ddbtypes.AttributeValue{
				sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: rec.TaskARN},
			},
			ConditionExpression: aws.String("attribute_exists(#arn) AND attribute_not_exists(#updated)"),
			ExpressionAttributeNames: map[string]string{
				"#arn":     sessionmodel.KeyTaskARN,
				"#updated": sessionmodel.AttrUpdatedAt,
			},
			ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
		}
		if rec.HasUpdatedAt {
			in.ConditionExpression = aws.String("attribute_exists(#arn) AND (attribute_not_exists(#updated) OR #updated <= :seen)")
			in.ExpressionAttributeValues = map[string]ddbtypes.AttributeValue{
				":seen": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(rec.UpdatedAt, 10)},
			}
		}
		_, err := h.store.DeleteItem(ctx, in)
		var ccf *ddbtypes.ConditionalCheckFailedException
		switch {
		case err == nil:
			deleted++
			log.Info("deleted item of stopped task", "task_arn", rec.TaskARN, "sessions", rec.Sessions, "updated_at", rec.UpdatedAt)
		case errors.As(err, &ccf) && len(ccf.Item) > 0:
			log.Info("item of stopped task was rewritten since the scan; kept", "task_arn", rec.TaskARN)
		case errors.As(err, &ccf):
			log.Info("item of stopped task was already gone", "task_arn", rec.TaskARN)
		default:
			log.Error("delete item of stopped task failed", "task_arn", rec.TaskARN, "err", err)
			errs = append(errs, fmt.Errorf("delete %s: %w", rec.TaskARN, err))
		}
	}
	return deleted, errors.Join(errs...)
}
