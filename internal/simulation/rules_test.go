package simulation

import (
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

func dp(vs ...float64) []Datapoint {
	var out []Datapoint
	for _, v := range vs {
		if v < 0 {
			out = append(out, Datapoint{})
		} else {
			out = append(out, Datapoint{Value: v, Present: true})
		}
	}
	return out
}

const M = -1 // a missing datapoint in dp()

// "Evaluating an alarm": with Evaluation Periods 5 and Datapoints to Alarm
// 3 ("3 out of 5"), any 3 breaching datapoints of the last 5 put the alarm
// in ALARM, consecutive or not; 2 do not.
func TestAlarmMOutOfN(t *testing.T) {
	a := sessionscaling.Alarm{EvaluationPeriods: 5, DatapointsToAlarm: 3, Comparison: "GreaterThanThreshold", Threshold: 10, TreatMissingData: "missing"}
	for _, tc := range []struct {
		window []Datapoint
		want   AlarmState
	}{
		{dp(11, 0, 11, 0, 11), InAlarm},
		{dp(11, 11, 11, 0, 0), InAlarm},
		{dp(11, 0, 0, 0, 11), OK},
		{dp(10, 10, 10, 10, 10), OK}, // GreaterThanThreshold: equal is not breaching
	} {
		if got := Evaluate(a, tc.window, OK); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.window, got, tc.want)
		}
	}
}

// "Configuring how CloudWatch alarms treat missing data": notBreaching
// treats missing datapoints as within the threshold, breaching as breaching,
// ignore keeps the current state, missing goes to INSUFFICIENT_DATA when
// every datapoint of the evaluation range is missing.
func TestAlarmMissingData(t *testing.T) {
	base := sessionscaling.Alarm{EvaluationPeriods: 3, DatapointsToAlarm: 3, Comparison: "GreaterThanThreshold", Threshold: 10}
	for _, tc := range []struct {
		treat  string
		window []Datapoint
		prev   AlarmState
		want   AlarmState
	}{
		{"notBreaching", dp(M, M, M), InAlarm, OK},
		{"notBreaching", dp(11, M, 11), OK, OK},
		{"breaching", dp(M, M, M), OK, InAlarm},
		{"breaching", dp(11, M, 11), OK, InAlarm},
		{"ignore", dp(M, M, M), InAlarm, InAlarm},
		{"ignore", dp(M, M, M), OK, OK},
		{"missing", dp(M, M, M), InAlarm, InsufficientData},
		{"", dp(M, M, M), OK, InsufficientData}, // the default is missing
		{"missing", dp(5, M, M), InAlarm, OK},   // a good datapoint: 3 of 3 can no longer breach
	} {
		a := base
		a.TreatMissingData = tc.treat
		if got := Evaluate(a, tc.window, tc.prev); got != tc.want {
			t.Errorf("%q %v from %s: %s, want %s", tc.treat, tc.window, tc.prev, got, tc.want)
		}
	}
}

// StepAdjustment: bounds relative to the threshold; above it the lower
// bound is inclusive and the upper exclusive, below it the reverse. The
// deployed policy's steps: [0, 15) adds 1, [15, inf) adds 2, (-inf, 0] removes 1.
func TestStepFor(t *testing.T) {
	pol := sessionscaling.Props{}.Policy()
	out, in := pol.ScaleOut, pol.ScaleIn
	for _, tc := range []struct {
		rule *sessionscaling.StepRule
		v    float64
		want int
		ok   bool
	}{
		{out, 15, 1, true}, // at the threshold: lower bound 0 inclusive
		{out, 29.9, 1, true},
		{out, 30, 2, true}, // upper bound 15 exclusive, next step's lower inclusive
		{out, 100, 2, true},
		{out, 14, 0, false},  // below the threshold: no scale-out step
		{in, 2.99, -1, true}, // below: upper bound 0 inclusive
		{in, 0, -1, true},
		{in, 3.5, 0, false},
	} {
		got, ok := StepFor(tc.rule.Policy.Steps, tc.rule.Alarm.Threshold, tc.v)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s at %v: %d %v, want %d %v", tc.rule.Policy.ID, tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// The StepScalingPolicyConfiguration example: a scale-out by 2 starts a
// cooldown; the alarm triggers again during it with a step of 3; the 2
// already added count, so only 1 is added. A step of 2 or less adds nothing
// during the cooldown; after it, the full step applies again.
func TestScaleOutCooldown(t *testing.T) {
	c := Capacity{Desired: 2, Min: 1, Max: 20}
	cd := 5 * time.Minute
	c.ScaleOut(2, 0, cd)
	if c.Desired != 4 {
		t.Fatalf("after +2: %d, want 4", c.Desired)
	}
	c.ScaleOut(2, time.Minute, cd)
	if c.Desired != 4 {
		t.Fatalf("+2 again in cooldown: %d, want 4 (already added)", c.Desired)
	}
	c.ScaleOut(3, 2*time.Minute, cd)
	if c.Desired != 5 {
		t.Fatalf("+3 in cooldown: %d, want 5 (only 1 more)", c.Desired)
	}
	c.ScaleOut(1, 8*time.Minute, cd)
	if c.Desired != 6 {
		t.Fatalf("+1 after cooldown: %d, want 6", c.Desired)
	}
	if c.ScaleOuts != 3 {
		t.Errorf("scale-outs = %d, want 3", c.ScaleOuts)
	}
}

// Scale-in activities are blocked until the cooldown expires, unless a
// scale-out happens during it, which ends the scale-in cooldown.
func TestScaleInCooldown(t *testing.T) {
	cd := 5 * time.Minute
	c := Capacity{Desired: 5, Min: 1, Max: 10}
	c.ScaleIn(1, 0, cd)
	c.ScaleIn(1, time.Minute, cd)
	if c.Desired != 4 {
		t.Fatalf("second scale-in in cooldown: %d, want 4", c.Desired)
	}
	c.ScaleIn(1, 5*time.Minute, cd)
	if c.Desired != 3 {
		t.Fatalf("scale-in after cooldown: %d, want 3", c.Desired)
	}
	c.ScaleOut(1, 6*time.Minute, cd)
	c.ScaleIn(1, 7*time.Minute, cd)
	if c.Desired != 3 {
		t.Fatalf("scale-out then scale-in: %d, want 3 (the scale-out ended the cooldown)", c.Desired)
	}
}

// Application Auto Scaling never sets a desired count outside min and max.
func TestCapacityBounds(t *testing.T) {
	c := Capacity{Desired: 4, Min: 2, Max: 5}
	c.ScaleOut(3, 0, 0)
	c.ScaleIn(9, 0, 0)
	if c.Desired != 2 || c.ScaleOuts != 1 || c.ScaleIns != 1 {
		t.Fatalf("%+v, want desired 2 after one scale-out to 5 and one scale-in to 2", c)
	}
	c.ScaleIn(1, time.Hour, 0)
	if c.ScaleIns != 1 {
		t.Errorf("a scale-in at the minimum changed nothing but was counted")
	}
	c.SetMin(4) // a scheduled action above the current capacity scales out to it
	if c.Desired != 4 {
		t.Errorf("after SetMin(4): %d", c.Desired)
	}
}

func TestTrackingDesired(t *testing.T) {
	for _, tc := range []struct {
		cur         int
		metric, tgt float64
		want        int
	}{
		{1, 30, 10, 3}, {2, 15, 10, 3}, {3, 10, 10, 3}, {4, 2, 10, 1}, {3, 8.5, 10, 3},
	} {
		if got := TrackingDesired(tc.cur, tc.metric, tc.tgt); got != tc.want {
			t.Errorf("TrackingDesired(%d, %v, %v) = %d, want %d", tc.cur, tc.metric, tc.tgt, got, tc.want)
		}
	}
}
