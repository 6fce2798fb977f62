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

	// scanLimit, when > 0, caps the items per Scan page. Production leaves it
	// at 0 (DynamoDB's 1 MB pages); tests set it to exercise pagination.
	scanLimit int32
}

// Output is what an invocation returns (visible when invoked by hand): the
// three figures published to CloudWatch and the number of items of stopped
// tasks deleted from the session table.
type Output struct {
	// ActiveSessions is the published ActiveSessions datapoint.
	ActiveSessions int `json:"activeSessions"`
	// RunningTasks is the published RunningTasks datapoint.
	RunningTasks int `json:"runningTasks"`
	// SessionsPerTask is the published SessionsPerTask datapoint.
	SessionsPerTask float64 `json:"sessionsPerTask"`
	// DeletedItems is the number of items of stopped tasks deleted.
	DeletedItems int `json:"deletedItems"`
}

// Handle is the Lambda entry point, run by the EventBridge schedule; the
// event carries nothing the handler uses. It is [Handler.Run].
func (h *Handler) Handle(ctx context.Context, _ events.EventBridgeEvent) (Output, error) {
	return h.Run(ctx)
}

// Run performs one invocation: scan the session table, list the service's
// running tasks, publish the metrics, then delete the items of stopped tasks.
// Any AWS error fails the invocation: an error before publishing returns a
// zero Output and publishes nothing; a delete error is returned after the
// metrics were published, with the Output filled in. The table is read before
// the task list: a task that starts in between has no item yet, whereas
// reading the task list first would make the item of a task that started in
// between look dead. Inside Lambda the request ID from ctx is logged.
func (h *Handler) Run(ctx context.Context) (Output, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	now := h.now()

	items, err := h.scanItems(ctx, log)
	if err != nil {
		log.Error("scan session table failed", "table", h.cfg.Table, "error", err)
		return Output{}, fmt.Errorf("scan session table %s: %w", h.cfg.Table, err)
	}
	running, err := h.runningTasks(ctx)
	if err != nil {
		log.Error("list running tasks failed", "cluster", h.cfg.Cluster, "service", h.cfg.Service, "error", err)
		return Output{}, fmt.Errorf("list running tasks of %s/%s: %w", h.cfg.Cluster, h.cfg.Service, err)
	}

	r := compute(items, running, now, h.cfg.StaleAfter)
	if len(r.Invalid) > 0 {
		log.Warn("items with negative session counts counted as 0", "taskArns", r.Invalid)
	}
	if len(r.Stale) > 0 {
		log.Warn("stale items of running tasks not counted", "taskArns", r.Stale, "staleAfter", h.cfg.StaleAfter.String())
	}

	if err := h.publish(ctx, r, now); err != nil {
		log.Error("put metric data failed", "namespace", h.cfg.Namespace, "error", err)
		return Output{}, fmt.Errorf("publish metrics to %s: %w", h.cfg.Namespace, err)
	}
	log.Info("published session metrics",
		"namespace", h.cfg.Namespace,
		"cluster", h.cfg.Cluster,
		"service", h.cfg.Service,
		sessionmodel.MetricSessionsPerTask, r.SessionsPerTask,
		sessionmodel.MetricActiveSessions, r.ActiveSessions,
		sessionmodel.MetricRunningTasks, r.RunningTasks,
		"itemsScanned", len(items),
		"itemsCounted", r.Counted,
		"itemsStale", len(r.Stale),
		"itemsDead", len(r.Dead),
	)

	out := Output{ActiveSessions: r.ActiveSessions, RunningTasks: r.RunningTasks, SessionsPerTask: r.SessionsPerTask}
	deleted, err := h.deleteDead(ctx, log, r.Dead)
	out.DeletedItems = deleted
	if err != nil {
		return out, fmt.Errorf("delete items of stopped tasks from %s: %w", h.cfg.Table, err)
	}
	return out, nil
}

// scanItems reads the whole session table. An item that cannot be decoded
// is logged and skipped rather than failing every invocation from then on.
func (h *Handler) scanItems(ctx context.Context, log *slog.Logger) ([]sessionmodel.Item, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(h.cfg.Table)}
	if h.scanLimit > 0 {
		in.Limit = aws.Int32(h.scanLimit)
	}
	var items []sessionmodel.Item
	p := dynamodb.NewScanPaginator(h.store, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, av := range page.Items {
			var it sessionmodel.Item
			if err := attributevalue.UnmarshalMap(av, &it); err != nil || it.TaskARN == "" {
				log.Warn("skipping undecodable session item", "item", fmt.Sprint(av), "error", err)
				continue
			}
			items = append(items, it)
		}
	}
	return items, nil
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

// metricData builds the three datapoints of one invocation.
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
	return []cwtypes.MetricDatum{
		datum(sessionmodel.MetricSessionsPerTask, r.SessionsPerTask),
		datum(sessionmodel.MetricActiveSessions, float64(r.ActiveSessions)),
		datum(sessionmodel.MetricRunningTasks, float64(r.RunningTasks)),
	}
}

func (h *Handler) publish(ctx context.Context, r result, now time.Time) error {
	_, err := h.metrics.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(h.cfg.Namespace),
		MetricData: h.metricData(r, now),
	})
	return err
}

// deleteDead deletes the items of tasks that no longer run. The condition
// keeps an item that was rewritten (newer updated_at) since it was scanned
// and does not count an item that is already gone (TTL, an overlapping
// run); such a ConditionalCheckFailed is not an error. Every item is tried; the
// errors are returned together.
func (h *Handler) deleteDead(ctx context.Context, log *slog.Logger, dead []sessionmodel.Item) (int, error) {
	var errs []error
	deleted := 0
	for _, it := range dead {
		_, err := h.store.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(h.cfg.Table),
			Key: map[string]ddbtypes.AttributeValue{
				sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: it.TaskARN},
			},
			ConditionExpression: aws.String("attribute_exists(#arn) AND (attribute_not_exists(#updated) OR #updated <= :seen)"),
			ExpressionAttributeNames: map[string]string{
				"#arn":     sessionmodel.KeyTaskARN,
				"#updated": sessionmodel.AttrUpdatedAt,
			},
			ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
				":seen": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.UpdatedAt, 10)},
			},
		})
		var ccf *ddbtypes.ConditionalCheckFailedException
		switch {
		case err == nil:
			deleted++
			log.Info("deleted item of stopped task", "taskArn", it.TaskARN, "sessions", it.Sessions, "updatedAt", it.UpdatedAt)
		case errors.As(err, &ccf) && len(ccf.Item) > 0:
			log.Info("item of stopped task was rewritten since the scan; kept", "taskArn", it.TaskARN)
		case errors.As(err, &ccf):
			log.Info("item of stopped task was already gone", "taskArn", it.TaskARN)
		default:
			log.Error("delete item of stopped task failed", "taskArn", it.TaskARN, "error", err)
			errs = append(errs, fmt.Errorf("delete %s: %w", it.TaskARN, err))
		}
	}
	return deleted, errors.Join(errs...)
}
