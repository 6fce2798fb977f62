package simulation

import (
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

func sessions(n int, start, length time.Duration) []Session {
	out := make([]Session, n)
	for i := range out {
		out[i] = Session{Start: start, End: start + length}
	}
	return out
}

func trace(ss ...[]Session) Trace {
	var all []Session
	for _, s := range ss {
		all = append(all, s...)
	}
	sortSessions(all)
	return Trace{Name: "test", Start: DefaultStart, Sessions: all}
}

var ref = Reference{Threshold: 15, MinTasks: 1, MaxTasks: 10}

func run(t *testing.T, tr Trace, p sessionscaling.Props, m Model) Result {
	t.Helper()
	r, err := Run("test", tr, p.Policy(), m, Reference{Threshold: p.WithDefaults().ScaleOutAbove, MinTasks: ref.MinTasks, MaxTasks: ref.MaxTasks})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An alarm that stays in ALARM invokes its scaling policy again every
// minute ("Using Amazon CloudWatch alarms": Auto Scaling actions are invoked
// once per minute while the alarm remains in the new state), so with a short
// cooldown the service keeps growing without the alarm ever leaving ALARM.
// And sessions are sticky: all 100 stay on the first task.
func TestAlarmInAlarmKeepsInvoking(t *testing.T) {
	tr := trace(sessions(100, 10*time.Second, 30*time.Minute))
	r := run(t, tr, sessionscaling.Props{Settings: sessionscaling.Settings{MaxTasks: 10}, ScaleOutCooldown: time.Second}, Model{})
	if r.ScaleOuts < 3 {
		t.Errorf("scale-outs = %d, want at least 3 from one sustained ALARM", r.ScaleOuts)
	}
	if r.PeakSessionsPerTask != 100 {
		t.Errorf("peak sessions per task = %d, want 100: sessions never move to new tasks", r.PeakSessionsPerTask)
	}
	if r.ArrivedOverloaded != 100-16 {
		t.Errorf("arrived overloaded = %d, want %d (every arrival after the 16th found the only task above 15)", r.ArrivedOverloaded, 100-16)
	}
}

// A new task serves only after the start delay: it is billed and counted
// as a task before the ALB routes to it.
func TestStartDelay(t *testing.T) {
	tr := trace(sessions(40, 10*time.Second, 20*time.Minute))
	r := run(t, tr, sessionscaling.Props{}, Model{StartDelay: 3 * time.Minute})
	starting := false
	for _, s := range r.Series {
		if s.Tasks > s.Serving {
			starting = true
		}
	}
	if !starting {
		t.Error("no minute had a task launched but not yet serving")
	}
}

// Scale-in stops only unprotected tasks; the sidecar protects a task while
// it has sessions, so no session is cut. Without protection, the same
// traffic cuts sessions.
func TestProtectionPreventsCuts(t *testing.T) {
	// 60 sessions spread over 20 minutes scale the service out; when they
	// have ended, 3 long sessions arrive, which least outstanding requests
	// sends to three different idle tasks, before the service scales in.
	var ss []Session
	for i := range 60 {
		start := time.Duration(i) * 20 * time.Second
		ss = append(ss, Session{start, start + 25*time.Minute})
	}
	for i := range 3 {
		start := 46*time.Minute + time.Duration(i)*10*time.Second
		ss = append(ss, Session{start, start + 3*time.Hour})
	}
	tr := trace(ss)
	p := sessionscaling.Props{Settings: sessionscaling.Settings{MaxTasks: 10}, ScaleInCooldown: time.Minute}
	if r := run(t, tr, p, Model{Algorithm: LeastOutstandingRequests}); r.SessionsCut != 0 || r.ScaleIns == 0 {
		t.Errorf("with protection: %d sessions cut, %d scale-ins; want 0 cut after some scale-in", r.SessionsCut, r.ScaleIns)
	}
	if r := run(t, tr, p, Model{Algorithm: LeastOutstandingRequests, NoProtection: true}); r.SessionsCut == 0 {
		t.Error("without protection no session was cut; the test does not exercise scale-in of busy tasks")
	}
}

// The notes' pipeline publishes only on change, with missing data
// treated as missing: once traffic is static the alarms have no data, so a
// service that scaled out never scales in. The Lambda's every-minute metric
// does not have that gap.
func TestNotesMetricNeverScalesIn(t *testing.T) {
	var ss []Session
	for i := range 40 { // one arrival every 10 s, so several minutes have data
		ss = append(ss, Session{time.Duration(i) * 10 * time.Second, 20 * time.Minute})
	}
	tr := trace(ss, sessions(1, 30*time.Second, 3*time.Hour))
	env := sessionscaling.Props{}
	notes, err := NewVariant(PolicyNotes, env, tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	deployed, _ := NewVariant(PolicyDeployed, env, tr, 0)
	rn, _ := Run("notes", tr, notes.Policy, Model{Metric: notes.Metric}, ref)
	rd, _ := Run("deployed", tr, deployed.Policy, Model{Metric: deployed.Metric}, ref)
	if rn.ScaleOuts == 0 || rn.ScaleIns != 0 {
		t.Errorf("notes: %d scale-outs, %d scale-ins; want some out and none in", rn.ScaleOuts, rn.ScaleIns)
	}
	if rd.ScaleIns == 0 {
		t.Errorf("deployed: no scale-in")
	}
}

// Round robin sends a new session to the next serving task whatever its
// load; least outstanding requests to the task with the fewest open
// sessions (assuming an open websocket counts as an outstanding request).
func TestRouting(t *testing.T) {
	for _, tc := range []struct {
		algo string
		want int // sessions on task 2 after 4 arrivals
	}{{RoundRobin, 2}, {LeastOutstandingRequests, 4}} {
		s := &state{m: Model{Algorithm: tc.algo}.withDefaults(), threshold: 15}
		s.launch(-time.Hour)
		s.launch(-time.Hour)
		s.tasks[0].sessions = 10
		for range 4 {
			s.route(0)
		}
		if got := s.tasks[1].sessions; got != tc.want {
			t.Errorf("%s: task 2 has %d sessions, want %d", tc.algo, got, tc.want)
		}
	}
}

// A scheduled action raises the minimum before the class, so the tasks are
// serving when the students arrive and none is overloaded.
func TestScheduledMinimum(t *testing.T) {
	tr := trace(sessions(40, 9*time.Hour, time.Hour))
	p := sessionscaling.Props{Settings: sessionscaling.Settings{Schedule: []sessionscaling.ScheduledAction{{Name: "class", Cron: "50 8 ? * MON *", MinTasks: 3}}}}
	r := run(t, tr, p, Model{Algorithm: LeastOutstandingRequests})
	if r.PeakSessionsPerTask > 15 || r.OverloadedSessionMinutes != 0 {
		t.Errorf("peak %d, overloaded %v session-minutes; want at most 15 and none", r.PeakSessionsPerTask, r.OverloadedSessionMinutes)
	}
	d, _ := Run("deployed", tr, sessionscaling.Props{}.Policy(), Model{}, ref)
	if d.PeakSessionsPerTask != 40 {
		t.Errorf("without the schedule, peak = %d, want 40 (every student on the one task)", d.PeakSessionsPerTask)
	}
}

func TestRunRefusesCPUMode(t *testing.T) {
	_, err := Run("cpu", trace(sessions(1, 0, time.Minute)), sessionscaling.Props{Settings: sessionscaling.Settings{Mode: sessionscaling.ModeCPU}}.Policy(), Model{}, ref)
	if err == nil || !strings.Contains(err.Error(), "CPU") {
		t.Fatalf("error = %v, want one saying a session trace has no CPU", err)
	}
}

// The oracle runs exactly ceil(active / threshold) tasks, within bounds.
func TestOracle(t *testing.T) {
	tr := trace(sessions(31, 0, 10*time.Minute)) // 3 tasks for 10 minutes, then 1
	r := run(t, tr, sessionscaling.Props{}, Model{})
	end := tr.Duration() + 30*time.Minute
	want := 3*10 + (end.Minutes() - 10) + 1.0/60 // ticks are inclusive of the end
	if diff := r.OracleTaskMinutes - want; diff < -0.1 || diff > 0.1 {
		t.Errorf("oracle = %.2f task-minutes, want %.2f", r.OracleTaskMinutes, want)
	}
}

// The scheduled policy uses the environment's schedule when it has one, and
// otherwise derives one from the trace: before the hour that needs more tasks.
func TestScheduledVariant(t *testing.T) {
	tr := trace(sessions(40, 9*time.Hour, time.Hour)) // Monday 09:00-10:00
	v, err := NewVariant(PolicyScheduled, sessionscaling.Props{}, tr, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []sessionscaling.ScheduledAction{
		{Name: "mon-0855", Cron: "55 8 ? * MON *", MinTasks: 3},
		{Name: "mon-0955", Cron: "55 9 ? * MON *", MinTasks: 1}, // the class ends at 10:00
	}
	if got := v.Policy.Schedule; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("derived schedule = %+v, want %+v", got, want)
	}
	own := []sessionscaling.ScheduledAction{{Name: "class", Cron: "45 8 ? * MON-FRI *", MinTasks: 4}}
	v, _ = NewVariant(PolicyScheduled, sessionscaling.Props{Settings: sessionscaling.Settings{Schedule: own, ScheduleTimeZone: "Europe/Paris"}}, tr, 5*time.Minute)
	if len(v.Policy.Schedule) != 1 || v.Policy.Schedule[0] != own[0] || v.Policy.ScheduleTimeZone != "Europe/Paris" {
		t.Errorf("with the environment's schedule: %+v in %s", v.Policy.Schedule, v.Policy.ScheduleTimeZone)
	}
}

// For ECS the capacity Application Auto Scaling changes is the desired
// count. After scale-in lowered it below the running tasks (they were
// protected), a scale-out raises it from there: no task starts until the
// desired count passes the tasks still running.
func TestScaleOutAfterProtectedScaleIn(t *testing.T) {
	s := &state{m: Model{}.withDefaults(), threshold: 15, cap: Capacity{Desired: 3, Min: 1, Max: 10}}
	for range 3 {
		s.launch(-time.Hour)
	}
	for _, tk := range s.tasks {
		tk.sessions, tk.everUsed = 1, true // protected
	}
	s.cap.ScaleIn(2, 0, 0)
	s.reconcile(0)
	if s.cap.Desired != 1 || len(s.tasks) != 3 {
		t.Fatalf("desired %d, running %d; want 1 and 3 (protected tasks stay)", s.cap.Desired, len(s.tasks))
	}
	s.cap.ScaleOut(1, time.Minute, 0)
	s.reconcile(time.Minute)
	if s.cap.Desired != 2 || len(s.tasks) != 3 {
		t.Errorf("after +1: desired %d, running %d; want 2 and 3 (no new task)", s.cap.Desired, len(s.tasks))
	}
}
