package sessionscaling

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Policy is the scaling policy a Props deploys, as plain data: the
// alarms, step adjustments, cooldowns, capacity bounds, target tracking and
// scheduled actions. NewSessionScaling renders its resources from it, and
// the simulator (go run ./simulate) replays traffic through it, so the two
// can never disagree about a threshold, a period or a cooldown.
type Policy struct {
	// Mode is the Props' mode (ModeSessions, ModeTarget or ModeCPU).
	Mode string
	// MinCapacity and MaxCapacity bound the service's desired count.
	MinCapacity, MaxCapacity int
	// ScaleOut and ScaleIn are the step scaling rules (ModeSessions); nil otherwise.
	ScaleOut, ScaleIn *StepRule
	// TargetTracking is the target tracking policy (ModeTarget, ModeCPU); nil otherwise.
	TargetTracking *TargetTracking
	// Schedule changes MinCapacity at given times (any mode). Empty: no scheduled actions.
	Schedule []ScheduledAction
	// ScheduleTimeZone is the IANA time zone of Schedule's cron expressions.
	ScheduleTimeZone string
}

// StepRule is a CloudWatch alarm whose action is a step scaling policy.
type StepRule struct {
	Alarm  Alarm
	Policy StepPolicy
}

// Metric names a CloudWatch metric.
type Metric struct {
	Namespace, Name string
	// Dimensions of the metric; values may be Terraform tokens.
	Dimensions map[string]string
	// Statistic the alarm or policy applies, e.g. "Average".
	Statistic string
}

// Alarm is a CloudWatch metric alarm.
type Alarm struct {
	// ID is the construct id; Name the alarm's name.
	ID, Name, Description string
	Metric                Metric
	Period                time.Duration
	// EvaluationPeriods is N and DatapointsToAlarm M of "M out of N".
	EvaluationPeriods, DatapointsToAlarm int
	// Comparison is a CloudWatch ComparisonOperator, e.g. "GreaterThanThreshold".
	Comparison string
	Threshold  float64
	// TreatMissingData is "missing", "ignore", "breaching" or "notBreaching".
	TreatMissingData string
}

// StepPolicy is an Application Auto Scaling step scaling policy.
type StepPolicy struct {
	// ID is the construct id; Name the policy's name.
	ID, Name string
	// AdjustmentType is "ChangeInCapacity" (the only type used here).
	AdjustmentType string
	Cooldown       time.Duration
	// MetricAggregationType is how the alarm's datapoints are aggregated, e.g. "Average".
	MetricAggregationType string
	Steps                 []Step
}

// Step is one step adjustment. Bounds are relative to the alarm threshold;
// nil is unbounded (negative or positive infinity).
type Step struct {
	Lower, Upper *float64
	Adjustment   int
}

// TargetTracking is an Application Auto Scaling target tracking policy.
// Application Auto Scaling creates and manages its alarms.
type TargetTracking struct {
	// ID is the construct id; Name the policy's name.
	ID, Name string
	// PredefinedMetric is set for ModeCPU ("ECSServiceAverageCPUUtilization");
	// otherwise Metric is the customized metric.
	PredefinedMetric string
	Metric           *Metric
	TargetValue      float64
	ScaleOutCooldown time.Duration
	ScaleInCooldown  time.Duration
}

// ScheduledAction sets the service's minimum task count from a time on.
type ScheduledAction struct {
	// Name is unique among the schedule's actions.
	Name string `json:"name"`
	// Cron is Application Auto Scaling's six-field cron expression without
	// "cron(...)": minutes hours day-of-month month day-of-week year, e.g.
	// "0 8 ? * MON-FRI *".
	Cron string `json:"cron"`
	// MinTasks is the minimum task count from then on.
	MinTasks int `json:"minTasks"`
}

// Expression is the action's schedule as Application Auto Scaling takes it.
func (a ScheduledAction) Expression() string { return "cron(" + a.Cron + ")" }

// minutes is n alarm periods in words ("1 minute", "10 minutes").
func minutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

func bound(v float64) *float64 { return &v }

// formatBound renders a step bound as the provider takes it ("0", "15").
func formatBound(v *float64) *string {
	if v == nil {
		return nil
	}
	s := strconv.FormatFloat(*v, 'f', -1, 64)
	return &s
}

// Policy returns the scaling policy p deploys (defaults applied).
func (p Props) Policy() Policy {
	p = p.WithDefaults()
	pol := Policy{
		Mode:             p.Mode,
		MinCapacity:      p.MinTasks,
		MaxCapacity:      p.MaxTasks,
		Schedule:         append([]ScheduledAction(nil), p.Schedule...),
		ScheduleTimeZone: p.ScheduleTimeZone,
	}
	sessions := Metric{
		Namespace: sessionmodel.MetricNamespace,
		Name:      sessionmodel.MetricSessionsPerTask,
		Dimensions: map[string]string{
			sessionmodel.DimensionCluster: p.ClusterName,
			sessionmodel.DimensionService: p.serviceName,
		},
		Statistic: "Average",
	}
	switch p.Mode {
	case ModeCPU:
		pol.TargetTracking = &TargetTracking{
			ID: "CPUTrackingPolicy", Name: p.NamePrefix + "-cpu-target",
			PredefinedMetric: "ECSServiceAverageCPUUtilization",
			TargetValue:      float64(p.CPUTargetPercent),
			ScaleOutCooldown: p.ScaleOutCooldown, ScaleInCooldown: p.ScaleInCooldown,
		}
	case ModeTarget:
		m := sessions
		pol.TargetTracking = &TargetTracking{
			ID: "SessionsTrackingPolicy", Name: p.NamePrefix + "-sessions-target",
			Metric:           &m,
			TargetValue:      float64(p.TargetSessionsPerTask),
			ScaleOutCooldown: p.ScaleOutCooldown, ScaleInCooldown: p.ScaleInCooldown,
		}
	default:
		// Bounds are relative to the alarm threshold: up to one more threshold
		// above it adds one task, further above adds two.
		out := float64(p.ScaleOutAbove)
		pol.ScaleOut = &StepRule{
			Alarm: Alarm{
				ID: "ScaleOutAlarm", Name: p.NamePrefix + "-sessions-high",
				Description:       fmt.Sprintf("More than %d sessions per task for %s: add tasks", p.ScaleOutAbove, minutes(ScaleOutPeriods)),
				Metric:            sessions,
				Period:            Period,
				EvaluationPeriods: ScaleOutPeriods, DatapointsToAlarm: ScaleOutPeriods,
				Comparison: "GreaterThanThreshold", Threshold: out,
				TreatMissingData: TreatMissingData,
			},
			Policy: StepPolicy{
				ID: "ScaleOutPolicy", Name: p.NamePrefix + "-scale-out",
				AdjustmentType: "ChangeInCapacity", Cooldown: p.ScaleOutCooldown, MetricAggregationType: "Average",
				Steps: []Step{
					{Lower: bound(0), Upper: bound(out), Adjustment: 1},
					{Lower: bound(out), Adjustment: 2},
				},
			},
		}
		pol.ScaleIn = &StepRule{
			Alarm: Alarm{
				ID: "ScaleInAlarm", Name: p.NamePrefix + "-sessions-low",
				Description:       fmt.Sprintf("Fewer than %d sessions per task for %s: remove a task", p.ScaleInBelow, minutes(ScaleInPeriods)),
				Metric:            sessions,
				Period:            Period,
				EvaluationPeriods: ScaleInPeriods, DatapointsToAlarm: ScaleInPeriods,
				Comparison: "LessThanThreshold", Threshold: float64(p.ScaleInBelow),
				TreatMissingData: TreatMissingData,
			},
			Policy: StepPolicy{
				ID: "ScaleInPolicy", Name: p.NamePrefix + "-scale-in",
				AdjustmentType: "ChangeInCapacity", Cooldown: p.ScaleInCooldown, MetricAggregationType: "Average",
				Steps: []Step{{Upper: bound(0), Adjustment: -1}},
			},
		}
	}
	return pol
}
