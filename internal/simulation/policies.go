package simulation

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

// Policy names.
const (
	PolicyDeployed       = "deployed"
	PolicyNotes          = "notes"
	PolicyTargetTracking = "target-tracking"
	PolicyScheduled      = "scheduled"
)

// PolicyNames are the policies compared, in order.
var PolicyNames = []string{PolicyDeployed, PolicyNotes, PolicyTargetTracking, PolicyScheduled}

// Variant is a named policy and the metric pipeline it runs with.
type Variant struct {
	Name   string
	Policy sessionscaling.Policy
	Metric string
}

// NewVariant builds a named policy from the environment's props (as the
// stack maps them, stacks.ScalingProps), every one through
// sessionscaling.Props.Policy, so no threshold or cooldown is copied here:
//   - deployed: the environment's own policy;
//   - notes: the notes' step policy (scale out above 15, in below 3
//     sessions per task, 1 to 5 tasks, one task per step) with the metric
//     published only when a session starts or ends and CloudWatch's default
//     missing-data treatment ("missing"), as the notes ran it; alarm
//     periods and cooldowns are this project's, as the notes give none;
//   - target-tracking: the environment's props in ModeTarget;
//   - scheduled: the environment's policy with its schedule or, when it has
//     none, with scheduled actions that raise the minimum task count before
//     each hour of the week to what that hour needed in the trace (the
//     timetable or last week's traffic a team would schedule by), lead
//     before the hour.
func NewVariant(name string, env sessionscaling.Props, tr Trace, lead time.Duration) (Variant, error) {
	env = env.WithDefaults()
	switch name {
	case PolicyDeployed:
		return Variant{Name: name, Policy: env.Policy(), Metric: MetricEveryMinute}, nil
	case PolicyNotes:
		notes := env
		notes.Mode, notes.Schedule = sessionscaling.ModeSessions, nil
		notes.MinTasks, notes.MaxTasks, notes.ScaleOutAbove, notes.ScaleInBelow = 1, 5, 15, 3
		pol := notes.Policy()
		pol.ScaleOut.Policy.Steps = []sessionscaling.Step{{Lower: ptr(0), Adjustment: 1}}
		pol.ScaleOut.Alarm.TreatMissingData = "missing"
		pol.ScaleIn.Alarm.TreatMissingData = "missing"
		return Variant{Name: name, Policy: pol, Metric: MetricOnChange}, nil
	case PolicyTargetTracking:
		tt := env
		tt.Mode = sessionscaling.ModeTarget
		return Variant{Name: name, Policy: tt.Policy(), Metric: MetricEveryMinute}, nil
	case PolicyScheduled:
		sch := env
		if sch.Mode == sessionscaling.ModeCPU {
			sch.Mode = sessionscaling.ModeSessions
		}
		if len(sch.Schedule) == 0 { // the environment's own schedule, else one from the trace
			sch.Schedule = DeriveSchedule(tr, sch.ScaleOutAbove, sch.MinTasks, sch.MaxTasks, lead)
			sch.ScheduleTimeZone = "UTC"
		}
		return Variant{Name: name, Policy: sch.Policy(), Metric: MetricEveryMinute}, nil
	}
	return Variant{}, fmt.Errorf("policy %q: must be one of %s", name, strings.Join(PolicyNames, ", "))
}

func ptr(v float64) *float64 { return &v }

// DeriveSchedule returns scheduled actions (UTC) that set the minimum task
// count for each hour of the week to ceil(peak sessions in that hour /
// threshold), within min and max, lead before the hour; an action only where
// the minimum changes.
func DeriveSchedule(tr Trace, threshold, minTasks, maxTasks int, lead time.Duration) []sessionscaling.ScheduledAction {
	const week = 7 * 24
	need := make([]int, week)
	for i := range need {
		need[i] = minTasks
	}
	// The peak of each hour of the week: sweep the session starts and ends.
	type ev struct {
		at time.Time
		d  int
	}
	var evs []ev
	for _, s := range tr.Sessions {
		evs = append(evs, ev{tr.Start.Add(s.Start).UTC(), 1}, ev{tr.Start.Add(s.End).UTC(), -1})
	}
	// Hour boundaries, so an hour with sessions carried over but no event counts them.
	for t := tr.Start.Truncate(time.Hour); t.Before(tr.Start.Add(tr.Duration())); t = t.Add(time.Hour) {
		evs = append(evs, ev{t.UTC(), 0})
	}
	sort.Slice(evs, func(i, j int) bool {
		return evs[i].at.Before(evs[j].at) || evs[i].at.Equal(evs[j].at) && evs[i].d < evs[j].d
	})
	open := 0
	for _, e := range evs {
		open += e.d
		if e.d < 0 {
			continue // an end never sets a new peak
		}
		h := int(e.at.Weekday())*24 + e.at.Hour()
		n := max(minTasks, min(maxTasks, int(math.Ceil(float64(open)/float64(threshold)))))
		need[h] = max(need[h], n)
	}
	days := []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	var out []sessionscaling.ScheduledAction
	for h := range week {
		if need[h] == need[(h+week-1)%week] {
			continue
		}
		at := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC).Add(time.Duration(h)*time.Hour - lead) // 2026-01-04 is a Sunday
		out = append(out, sessionscaling.ScheduledAction{
			Name:     fmt.Sprintf("%s-%02d%02d", strings.ToLower(days[at.Weekday()]), at.Hour(), at.Minute()),
			Cron:     fmt.Sprintf("%d %d ? * %s *", at.Minute(), at.Hour(), days[at.Weekday()]),
			MinTasks: need[h],
		})
	}
	return out
}
