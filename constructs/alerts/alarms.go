package alerts

import (
	"fmt"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Alarm is one CloudWatch alarm that notifies the topic, as plain data:
// NewAlerts renders it, the tests read it, and its Description is the
// runbook sentence the notification carries (and the README repeats).
type Alarm struct {
	// ID is the construct id; Name the alarm's name.
	ID, Name string
	// Description says what happened and what to do first.
	Description string
	// Queries are the metrics (and at most one expression, the one returned).
	Queries []Query
	Period  time.Duration
	// EvaluationPeriods is N and DatapointsToAlarm M of "M out of N".
	EvaluationPeriods, DatapointsToAlarm int
	// Comparison is a CloudWatch ComparisonOperator.
	Comparison string
	Threshold  float64
	// TreatMissingData is "missing", "ignore", "breaching" or "notBreaching".
	TreatMissingData string
}

// Query is a metric of an alarm, or (Expression set) metric math over the others.
type Query struct {
	ID         string
	Namespace  string
	Metric     string
	Dimensions map[string]string
	Stat       string
	// Expression is CloudWatch metric math over the other queries' ids; the
	// alarm evaluates it (the metrics are its inputs only).
	Expression string
	Label      string
}

// Alarm ids.
const (
	IDALB5xx          = "ALB5xxAlarm"
	IDUnhealthyHosts  = "UnhealthyHostsAlarm"
	IDNoHealthyHosts  = "NoHealthyHostsAlarm"
	IDFunctionErrors  = "FunctionErrorsAlarm"
	IDSessionsMissing = "SessionsMissingAlarm"
	IDAtCapacity      = "AtCapacityAlarm"
)

const minute = 60 * time.Second

// Alarms are the alarms p deploys, in a fixed order.
func (p Props) Alarms() []Alarm {
	lb := func(metric, stat string, withTG bool) Query {
		d := map[string]string{"LoadBalancer": p.LoadBalancerARNSuffix}
		if withTG {
			d["TargetGroup"] = p.TargetGroupARNSuffix
		}
		return Query{Namespace: "AWS/ApplicationELB", Metric: metric, Dimensions: d, Stat: stat}
	}
	sessions := func(id, metric, stat string) Query {
		return Query{ID: id, Namespace: sessionmodel.MetricNamespace, Metric: metric, Stat: stat, Dimensions: map[string]string{
			sessionmodel.DimensionCluster: p.ClusterName, sessionmodel.DimensionService: p.ServiceName,
		}}
	}
	elb5xx, target5xx := lb("HTTPCode_ELB_5XX_Count", "Sum", false), lb("HTTPCode_Target_5XX_Count", "Sum", true)
	elb5xx.ID, target5xx.ID = "elb", "target"
	unhealthy, healthy := lb("UnHealthyHostCount", "Maximum", true), lb("HealthyHostCount", "Minimum", true)
	running := sessions("tasks", sessionmodel.MetricRunningTasks, "Minimum")
	load, above := p.capacityLoad()
	name := func(s string) string { return p.NamePrefix + "-" + s }
	return []Alarm{
		{
			ID: IDALB5xx, Name: name("alb-5xx"),
			Description: fmt.Sprintf("More than %d 5xx responses in 5 minutes from the ALB or the Shiny tasks. Check the Shiny service's events and its log group for crashed or restarting tasks (502/503: no task answered; 504: R was busy longer than the ALB idle timeout); the ALB access logs name the failing paths.", p.ALB5xxPer5Minutes),
			Queries:     []Query{elb5xx, target5xx, {ID: "errors", Expression: "FILL(elb, 0) + FILL(target, 0)", Label: "5xx responses"}},
			Period:      5 * minute, EvaluationPeriods: 1, DatapointsToAlarm: 1,
			Comparison: "GreaterThanThreshold", Threshold: float64(p.ALB5xxPer5Minutes), TreatMissingData: "notBreaching",
		},
		{
			ID: IDUnhealthyHosts, Name: name("unhealthy-tasks"),
			Description: "A Shiny task failed the target group's health check for 5 minutes. ECS replaces such tasks; when it keeps happening, read the task's stopped reason in the service's events and the session-agent and shiny containers' logs (R out of memory, a package failing to load).",
			Queries:     []Query{unhealthy},
			Period:      minute, EvaluationPeriods: 5, DatapointsToAlarm: 5,
			Comparison: "GreaterThanThreshold", Threshold: 0, TreatMissingData: "notBreaching",
		},
		{
			ID: IDNoHealthyHosts, Name: name("no-healthy-tasks"),
			Description: "No healthy Shiny task for 3 minutes: users get 503. Check the Shiny service's events (image pull, task start, health check failures) and its running count; a deployment that never becomes healthy is rolled back by the ECS circuit breaker.",
			Queries:     []Query{healthy},
			Period:      minute, EvaluationPeriods: 3, DatapointsToAlarm: 3,
			// No datapoint means the target group has no registered targets at all.
			Comparison: "LessThanThreshold", Threshold: 1, TreatMissingData: "breaching",
		},
		{
			ID: IDFunctionErrors, Name: name("sessionmetric-errors"),
			Description: "The sessionmetric Lambda failed in 3 of the last 5 minutes, so SessionsPerTask is stale and session scaling holds still. Read the Lambda's log group (the \"err\" key) for the failing call: DynamoDB, ECS ListTasks or PutMetricData.",
			Queries:     []Query{{Namespace: "AWS/Lambda", Metric: "Errors", Stat: "Sum", Dimensions: map[string]string{"FunctionName": p.FunctionName}}},
			Period:      minute, EvaluationPeriods: 5, DatapointsToAlarm: 3,
			Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, TreatMissingData: "notBreaching",
		},
		{
			ID: IDSessionsMissing, Name: name("sessions-per-task-missing"),
			Description: "No SessionsPerTask datapoint for 10 minutes: the metric pipeline is broken and session scaling holds still. Check that the sessionmetric schedule is enabled and the Lambda runs (its log group), and the session-data-missing alarm for tasks whose sidecar cannot write to the session table.",
			Queries:     []Query{sessions("", sessionmodel.MetricSessionsPerTask, "SampleCount")},
			Period:      minute, EvaluationPeriods: 10, DatapointsToAlarm: 10,
			Comparison: "LessThanThreshold", Threshold: 1, TreatMissingData: "breaching",
		},
		{
			ID: IDAtCapacity, Name: name("at-max-tasks"),
			Description: fmt.Sprintf("The Shiny service has run at scaling.maxTasks (%d) for 10 minutes with %s, so new sessions crowd onto busy tasks. Raise scaling.maxTasks (or the task size) and deploy, or check for a runaway user.", p.Scaling.MaxTasks, above),
			Queries: []Query{running, load, {
				ID: "atcapacity",
				// A product of two IFs: 1 only when both hold.
				Expression: fmt.Sprintf("IF(tasks >= %d, 1, 0) * IF(load > %s, 1, 0)", p.Scaling.MaxTasks, formatNumber(p.capacityThreshold())),
				Label:      "At maxTasks and above the scale-out threshold",
			}},
			Period: minute, EvaluationPeriods: 10, DatapointsToAlarm: 10,
			Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, TreatMissingData: "notBreaching",
		},
	}
}

// capacityLoad is the metric that scales the service out in its scaling
// mode, and the words for "above the threshold".
func (p Props) capacityLoad() (Query, string) {
	s := p.Scaling
	switch s.Mode {
	case sessionscaling.ModeCPU:
		return Query{ID: "load", Namespace: "AWS/ECS", Metric: "CPUUtilization", Stat: "Average", Dimensions: map[string]string{
			"ClusterName": p.ClusterName, "ServiceName": p.ServiceName,
		}}, fmt.Sprintf("CPU above scaling.cpuTargetPercent (%d%%)", s.CPUTargetPercent)
	case sessionscaling.ModeTarget:
		return Query{ID: "load", Namespace: sessionmodel.MetricNamespace, Metric: sessionmodel.MetricSessionsPerTask, Stat: "Average", Dimensions: map[string]string{
			sessionmodel.DimensionCluster: p.ClusterName, sessionmodel.DimensionService: p.ServiceName,
		}}, fmt.Sprintf("sessions per task above scaling.targetSessionsPerTask (%d)", s.TargetSessionsPerTask)
	default:
		return Query{ID: "load", Namespace: sessionmodel.MetricNamespace, Metric: sessionmodel.MetricSessionsPerTask, Stat: "Average", Dimensions: map[string]string{
			sessionmodel.DimensionCluster: p.ClusterName, sessionmodel.DimensionService: p.ServiceName,
		}}, fmt.Sprintf("sessions per task above scaling.scaleOutAbove (%d)", s.ScaleOutAbove)
	}
}

// capacityThreshold is the value of capacityLoad that scales out.
func (p Props) capacityThreshold() float64 {
	switch p.Scaling.Mode {
	case sessionscaling.ModeCPU:
		return float64(p.Scaling.CPUTargetPercent)
	case sessionscaling.ModeTarget:
		return float64(p.Scaling.TargetSessionsPerTask)
	default:
		return float64(p.Scaling.ScaleOutAbove)
	}
}

func formatNumber(v float64) string { return fmt.Sprint(v) }
