package simulation

import (
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

// AlarmState is a CloudWatch alarm state.
type AlarmState int

// Alarm states.
const (
	InsufficientData AlarmState = iota
	OK
	InAlarm
)

func (s AlarmState) String() string {
	return [...]string{"INSUFFICIENT_DATA", "OK", "ALARM"}[s]
}

// Datapoint is one period's statistic; Present is false for a period
// without data.
type Datapoint struct {
	Value   float64
	Present bool
}

// breaches reports whether v breaches the alarm's threshold.
func breaches(a sessionscaling.Alarm, v float64) bool {
	switch a.Comparison {
	case "GreaterThanThreshold":
		return v > a.Threshold
	case "GreaterThanOrEqualToThreshold":
		return v >= a.Threshold
	case "LessThanThreshold":
		return v < a.Threshold
	case "LessThanOrEqualToThreshold":
		return v <= a.Threshold
	}
	return false
}

// Evaluate is one CloudWatch evaluation of alarm a over its evaluation
// range (window: the last EvaluationPeriods periods, oldest first), given
// its previous state.
//
// "Using Amazon CloudWatch alarms", section "Evaluating an alarm"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
// Period is the length of time to evaluate the metric to create each
// datapoint; Evaluation Periods is the number of the most recent periods
// (datapoints) to evaluate; Datapoints to Alarm is how many datapoints within
// them must be breaching to cause the ALARM state - "M out of N".
//
// "Configuring how CloudWatch alarms treat missing data"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
// notBreaching - missing datapoints are treated as good, within the
// threshold; breaching - as bad, breaching the threshold; ignore - the
// current alarm state is maintained; missing - if all datapoints in the
// evaluation range are missing, the alarm transitions to INSUFFICIENT_DATA.
// The default is missing.
//
// Where the page is not precise (missing or ignore with only some
// datapoints missing), this model goes to ALARM when at least M present
// datapoints breach, to OK when so many present datapoints do not breach
// that M can no longer be reached, and otherwise keeps its state.
func Evaluate(a sessionscaling.Alarm, window []Datapoint, prev AlarmState) AlarmState {
	m, n := a.DatapointsToAlarm, len(window)
	if m == 0 {
		m = a.EvaluationPeriods
	}
	breaching, good, missing := 0, 0, 0
	for _, d := range window {
		switch {
		case d.Present && breaches(a, d.Value):
			breaching++
		case d.Present:
			good++
		case a.TreatMissingData == "breaching":
			breaching++
		case a.TreatMissingData == "notBreaching":
			good++
		default:
			missing++
		}
	}
	switch {
	case missing == n && a.TreatMissingData == "ignore":
		return prev
	case missing == n:
		return InsufficientData
	case breaching >= m:
		return InAlarm
	case good > n-m:
		return OK
	}
	return prev
}
