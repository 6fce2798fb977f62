package simulation

import (
	"math"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

// StepFor returns the adjustment of the step that metric value v falls in,
// for an alarm with the given threshold, and false when no step matches.
//
// "Step scaling policies for Application Auto Scaling"
// (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html)
// and the StepAdjustment API reference
// (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepAdjustment.html):
// the bounds are relative to the alarm threshold; a missing lower bound is
// negative infinity and a missing upper bound positive infinity. If the
// metric is above the breach threshold, the lower bound is inclusive and the
// upper bound exclusive; if it is below, the lower bound is exclusive and the
// upper bound inclusive.
func StepFor(steps []sessionscaling.Step, threshold, v float64) (int, bool) {
	d := v - threshold
	for _, s := range steps {
		lo, hi := math.Inf(-1), math.Inf(1)
		if s.Lower != nil {
			lo = *s.Lower
		}
		if s.Upper != nil {
			hi = *s.Upper
		}
		if d >= 0 && d >= lo && d < hi || d < 0 && d > lo && d <= hi {
			return s.Adjustment, true
		}
	}
	return 0, false
}

// Capacity is Application Auto Scaling's view of an ECS service: the
// desired count it sets, its bounds, and the state of its cooldowns.
//
// Cooldowns, from the StepScalingPolicyConfiguration API reference
// (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html)
// and "Define cooldown periods" of "How target tracking scaling for
// Application Auto Scaling works":
//   - scale out: "While the cooldown period is in effect, capacity added by
//     the initiating scale-out activity is calculated as part of the desired
//     capacity for the next scale-out activity. For example, when an alarm
//     triggers a step scaling policy to increase the capacity by 2, the
//     scaling activity completes successfully, and a cooldown period starts.
//     If the alarm triggers again during the cooldown period but at a more
//     aggressive step adjustment of 3, the previous increase of 2 is
//     considered part of the current capacity. Therefore, only 1 is added."
//   - scale in: "scale-in activities are blocked until the cooldown period
//     has expired. However, if another alarm triggers a scale-out activity
//     during the cooldown period after a scale-in activity, Application Auto
//     Scaling scales out the target immediately. In this case, the cooldown
//     period for the scale-in activity stops and doesn't complete."
//
// For ECS the current capacity is the service's desired count, not the
// number of running tasks: a scale-in lowers the desired count even when
// every task is protected, and a later scale-out starts from that lowered
// count.
type Capacity struct {
	Desired, Min, Max int

	outAt, inAt     time.Duration
	outBase, outAdd int
	outOn, inOn     bool
	ScaleOuts       int
	ScaleIns        int
}

func (c *Capacity) clamp(n int) int { return max(c.Min, min(c.Max, n)) }

// ScaleOut applies a scale-out of add tasks at now under cooldown.
func (c *Capacity) ScaleOut(add int, now, cooldown time.Duration) {
	if add <= 0 {
		return
	}
	if c.outOn && now < c.outAt+cooldown {
		// In cooldown: the capacity the initiating activity added counts.
		if add <= c.outAdd {
			return
		}
		target := c.clamp(c.outBase + add)
		if target > c.Desired {
			c.Desired = target
			c.outAt, c.outAdd = now, add
			c.ScaleOuts++
			c.inOn = false
		}
		return
	}
	target := c.clamp(c.Desired + add)
	if target <= c.Desired {
		return
	}
	c.outOn, c.outAt, c.outBase, c.outAdd = true, now, c.Desired, target-c.Desired
	c.Desired = target
	c.ScaleOuts++
	c.inOn = false // a scale-out ends a scale-in cooldown
}

// ScaleIn applies a scale-in of remove tasks at now under cooldown.
func (c *Capacity) ScaleIn(remove int, now, cooldown time.Duration) {
	if remove <= 0 || c.inOn && now < c.inAt+cooldown {
		return
	}
	target := c.clamp(c.Desired - remove)
	if target >= c.Desired {
		return
	}
	c.Desired = target
	c.inOn, c.inAt = true, now
	c.ScaleIns++
}

// SetMin is a scheduled action's new minimum. "Scheduled scaling for
// Application Auto Scaling": if the current capacity is below the new
// minimum, Application Auto Scaling scales out to it
// (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html).
func (c *Capacity) SetMin(n int) {
	c.Min = n
	if c.Desired < n {
		c.Desired = n
		c.ScaleOuts++
	}
}

// TargetTrackingAlarms describes the two alarms Application Auto Scaling
// creates for a target tracking policy. "How target tracking scaling for
// Application Auto Scaling works"
// (https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html)
// says it "creates and manages the CloudWatch alarms that invoke the scaling
// policy" and scales out quickly and in gradually, but does not give the
// alarms' settings. The defaults below are those of alarms it created for
// ECS services, as exported from real accounts (TargetTracking-service/...
// AlarmHigh: above the target for 3 of 3 one-minute periods; AlarmLow:
// below 90% of the target for 15 one-minute periods, e.g. threshold 63 for a
// target of 70; both treat missing data as missing). They are parameters
// because AWS does not document them.
type TargetTrackingAlarms struct {
	HighPeriods, LowPeriods int
	LowRatio                float64
}

// DefaultTargetTrackingAlarms are the observed settings.
var DefaultTargetTrackingAlarms = TargetTrackingAlarms{HighPeriods: 3, LowPeriods: 15, LowRatio: 0.9}

// Alarms returns the high and low alarms for tt.
func (t TargetTrackingAlarms) Alarms(tt *sessionscaling.TargetTracking) (high, low sessionscaling.Alarm) {
	m := sessionscaling.Metric{}
	if tt.Metric != nil {
		m = *tt.Metric
	}
	high = sessionscaling.Alarm{ID: "AlarmHigh", Metric: m, Period: time.Minute, EvaluationPeriods: t.HighPeriods, DatapointsToAlarm: t.HighPeriods,
		Comparison: "GreaterThanThreshold", Threshold: tt.TargetValue, TreatMissingData: "missing"}
	low = sessionscaling.Alarm{ID: "AlarmLow", Metric: m, Period: time.Minute, EvaluationPeriods: t.LowPeriods, DatapointsToAlarm: t.LowPeriods,
		Comparison: "LessThanThreshold", Threshold: tt.TargetValue * t.LowRatio, TreatMissingData: "missing"}
	return high, low
}

// TrackingDesired is the capacity target tracking asks for: proportional
// to how far the metric is from the target (the pages say it "calculates
// the scaling adjustment based on the metric and the target value" and that
// the metric must change in proportion to capacity, as sessions per task
// does). Rounded up, so it never asks for less than the metric needs.
func TrackingDesired(current int, metric, target float64) int {
	return int(math.Ceil(float64(current)*metric/target - 1e-9))
}
