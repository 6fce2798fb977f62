// Package simulation replays a trace of Shiny sessions through a model of
// the whole scaling loop: the session sidecar's reports, the sessionmetric
// Lambda's computation (internal/metricpublisher.Compute), CloudWatch alarm
// evaluation, Application Auto Scaling step, target tracking and scheduled
// scaling, ECS task start-up, scale-in protection and scale-in, and the
// ALB's routing with stickiness. Each rule cites the AWS page it follows;
// where AWS does not document a behaviour, the assumption is a field of
// Model.
package simulation

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/awscron"
	"github.com/shinyfargate/shiny-cdktf/internal/metricpublisher"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Routing algorithms of an ALB target group.
const (
	RoundRobin               = shinyservice.AlgorithmRoundRobin
	LeastOutstandingRequests = shinyservice.AlgorithmLeastOutstandingRequests
)

// Metric sources.
const (
	// MetricEveryMinute is this project's pipeline: the sidecar writes its
	// task's item on every change and every heartbeat, and the sessionmetric
	// Lambda publishes SessionsPerTask every minute.
	MetricEveryMinute = "every-minute"
	// MetricOnChange is the notes' pipeline: the app publishes
	// SessionsPerTask only when a session starts or ends, so a quiet period
	// has no data.
	MetricOnChange = "on-change"
)

// Model holds the facts of the environment that are not in the scaling
// policy, and the assumptions where AWS's documentation is silent.
type Model struct {
	// StartDelay is how long a new task takes from launch until the ALB
	// routes to it: Fargate image pull, R and Shiny start, the target group's
	// health checks. Default: 90s.
	StartDelay time.Duration
	// Algorithm is the target group's routing algorithm. Default: RoundRobin
	// (the stack sets none, and round robin is the ALB's default).
	//
	// "Target groups for your Application Load Balancers", section "Routing
	// algorithm"
	// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html):
	// round robin is the default; least outstanding requests routes to the
	// target with the fewest in-progress requests; "If you enable sticky
	// sessions, this overrides the routing algorithm of the target group
	// after the initial target selection"; and "When you use least
	// outstanding requests with WebSockets, the target is selected using least
	// outstanding requests. The load balancer creates a connection to this
	// target and sends all messages over this connection." AWS does not say
	// whether an open websocket counts as an outstanding request of its
	// target afterwards. This model assumes it does, the best case for least
	// outstanding requests; if it does not, Shiny's short HTTP requests make
	// it behave much like round robin.
	Algorithm string
	// ProtectionGrace is how long the sidecar keeps its task's scale-in
	// protection after the last session ends. Default: 30s (the sidecar's
	// default SESSION_PROTECTION_GRACE).
	ProtectionGrace time.Duration
	// NoProtection turns scale-in protection off, to show what it prevents.
	NoProtection bool
	// Metric is MetricEveryMinute or MetricOnChange. Default: MetricEveryMinute.
	Metric string
	// TargetTracking are the alarms AWS creates for target tracking.
	// Default: DefaultTargetTrackingAlarms.
	TargetTracking TargetTrackingAlarms
	// Tick is the simulation step. Default: 1s.
	Tick time.Duration
}

func (m Model) withDefaults() Model {
	if m.StartDelay == 0 {
		m.StartDelay = 90 * time.Second
	}
	if m.Algorithm == "" {
		m.Algorithm = RoundRobin
	}
	if m.ProtectionGrace == 0 {
		m.ProtectionGrace = 30 * time.Second
	}
	if m.Metric == "" {
		m.Metric = MetricEveryMinute
	}
	if m.TargetTracking == (TargetTrackingAlarms{}) {
		m.TargetTracking = DefaultTargetTrackingAlarms
	}
	if m.Tick == 0 {
		m.Tick = time.Second
	}
	return m
}

// Result holds the measures of one policy on one trace.
type Result struct {
	Name string `json:"name"`
	// TaskMinutes is what the service ran (cost), from launch to stop.
	TaskMinutes float64 `json:"task_minutes"`
	// OracleTaskMinutes is what a service with exactly
	// ceil(active sessions / scale-out threshold) tasks (within min and max)
	// at every moment would run.
	OracleTaskMinutes float64 `json:"oracle_task_minutes"`
	// PeakSessionsPerTask is the most sessions one task ever held.
	PeakSessionsPerTask int `json:"peak_sessions_per_task"`
	// OverloadedSessionMinutes are session-minutes spent on a task holding
	// more sessions than the scale-out threshold.
	OverloadedSessionMinutes float64 `json:"overloaded_session_minutes"`
	// SessionsCut are sessions on tasks that scale-in stopped (must be 0).
	SessionsCut int `json:"sessions_cut"`
	// ScaleOuts and ScaleIns count the changes of the desired count.
	ScaleOuts int `json:"scale_outs"`
	ScaleIns  int `json:"scale_ins"`
	// ArrivedOverloaded are sessions that arrived while every serving task
	// already held more sessions than the scale-out threshold.
	ArrivedOverloaded int `json:"sessions_arrived_overloaded"`
	// Series is one sample a minute, for plots.
	Series []Sample `json:"-"`
}

// Sample is the state at the start of one minute.
type Sample struct {
	At          time.Duration
	Sessions    int // open sessions
	Tasks       int // tasks launched and not stopped
	Serving     int // tasks the ALB routes to
	Busiest     int // sessions on the busiest task
	OracleTasks int
}

type task struct {
	id                  int
	arn                 string
	launched, healthyAt time.Duration
	sessions            int
	emptySince          time.Duration // when sessions last fell to 0
	everUsed            bool
	item                sessionmodel.Item
	hasItem             bool
	nextHeartbeat       time.Duration
}

func (t *task) serving(now time.Duration) bool { return now >= t.healthyAt }

// protected: the sidecar holds task scale-in protection while the task has
// sessions and for a grace period after. "Protect your Amazon ECS tasks from
// being terminated by scale-in events"
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html):
// protected tasks are not terminated by scale-in events from service auto
// scaling or deployments. The desired count still goes down; ECS stops the
// surplus tasks as their protection ends.
func (t *task) protected(now time.Duration, m Model) bool {
	if m.NoProtection {
		return false
	}
	return t.sessions > 0 || t.everUsed && now < t.emptySince+m.ProtectionGrace
}

// Reference is what the measures compare against: the environment's
// scale-out threshold (sessions per task) and task bounds, the same for
// every policy compared.
type Reference struct {
	Threshold, MinTasks, MaxTasks int
}

// Run replays trace through pol under model m.
func Run(name string, tr Trace, pol sessionscaling.Policy, m Model, ref Reference) (Result, error) {
	m = m.withDefaults()
	if pol.Mode == sessionscaling.ModeCPU {
		return Result{}, fmt.Errorf("policy %q: mode %q scales on CPU, which a session trace does not carry; simulate %q or %q", name, pol.Mode, sessionscaling.ModeSessions, sessionscaling.ModeTarget)
	}
	if m.Algorithm != RoundRobin && m.Algorithm != LeastOutstandingRequests {
		return Result{}, fmt.Errorf("algorithm %q: must be %q or %q", m.Algorithm, RoundRobin, LeastOutstandingRequests)
	}
	loc, err := time.LoadLocation(pol.ScheduleTimeZone)
	if err != nil {
		return Result{}, fmt.Errorf("policy %q: time zone %q: %w", name, pol.ScheduleTimeZone, err)
	}
	var crons []awscron.Expr
	for _, a := range pol.Schedule {
		e, err := awscron.Parse(a.Cron)
		if err != nil {
			return Result{}, fmt.Errorf("policy %q: schedule %q: %w", name, a.Name, err)
		}
		crons = append(crons, e)
	}

	if ref.Threshold < 1 || ref.MinTasks < 1 || ref.MaxTasks < ref.MinTasks {
		return Result{}, fmt.Errorf("reference %+v: threshold and tasks must be positive, max at least min", ref)
	}
	s := &state{m: m, pol: pol, threshold: ref.Threshold, ref: ref, res: Result{Name: name},
		cap: Capacity{Desired: pol.MinCapacity, Min: pol.MinCapacity, Max: pol.MaxCapacity}}
	// The service starts at its minimum, serving.
	for range pol.MinCapacity {
		s.launch(-m.StartDelay)
	}
	type event struct {
		at    time.Duration
		start bool
		idx   int
	}
	events := make([]event, 0, 2*len(tr.Sessions))
	for i, se := range tr.Sessions {
		events = append(events, event{se.Start, true, i}, event{se.End, false, i})
	}
	// Ends before starts at the same instant, so a task's count never
	// exceeds what it really holds.
	sort.Slice(events, func(i, j int) bool {
		if events[i].at != events[j].at {
			return events[i].at < events[j].at
		}
		return !events[i].start && events[j].start
	})
	where := make([]*task, len(tr.Sessions))
	end := tr.Duration() + 30*time.Minute
	ev := 0
	var highState, lowState AlarmState
	var outState, inState AlarmState
	for now := time.Duration(0); now <= end; now += m.Tick {
		// Sessions that end or start in this tick.
		for ; ev < len(events) && events[ev].at <= now; ev++ {
			e := events[ev]
			if !e.start {
				if t := where[e.idx]; t != nil {
					s.leave(t, now)
				}
				continue
			}
			where[e.idx] = s.route(now)
		}
		// Sidecar heartbeats.
		for _, t := range s.tasks {
			if t.serving(now) && now >= t.nextHeartbeat {
				s.write(t, now)
			}
		}
		if now%time.Minute == 0 {
			minute := int(now / time.Minute)
			// CloudWatch evaluates over complete periods, so at minute m the
			// newest period is m-1.
			if minute > 0 {
				switch {
				case pol.ScaleOut != nil:
					outState = s.evalAndInvoke(pol.ScaleOut.Alarm, minute, outState, func(v float64) {
						if adj, ok := StepFor(pol.ScaleOut.Policy.Steps, pol.ScaleOut.Alarm.Threshold, v); ok {
							s.cap.ScaleOut(adj, now, pol.ScaleOut.Policy.Cooldown)
						}
					})
					inState = s.evalAndInvoke(pol.ScaleIn.Alarm, minute, inState, func(v float64) {
						if adj, ok := StepFor(pol.ScaleIn.Policy.Steps, pol.ScaleIn.Alarm.Threshold, v); ok {
							s.cap.ScaleIn(-adj, now, pol.ScaleIn.Policy.Cooldown)
						}
					})
				case pol.TargetTracking != nil:
					tt := pol.TargetTracking
					high, low := m.TargetTracking.Alarms(tt)
					highState = s.evalAndInvoke(high, minute, highState, func(v float64) {
						s.cap.ScaleOut(TrackingDesired(s.cap.Desired, v, tt.TargetValue)-s.cap.Desired, now, tt.ScaleOutCooldown)
					})
					lowState = s.evalAndInvoke(low, minute, lowState, func(v float64) {
						s.cap.ScaleIn(s.cap.Desired-max(1, TrackingDesired(s.cap.Desired, v, tt.TargetValue)), now, tt.ScaleInCooldown)
					})
				}
			}
			wall := tr.Start.Add(now).In(loc)
			for i, e := range crons {
				if e.Matches(wall) {
					s.cap.SetMin(pol.Schedule[i].MinTasks)
				}
			}
			if m.Metric == MetricEveryMinute {
				s.publish(now)
			}
			s.sample(now)
		}
		s.reconcile(now)
		s.account(now)
	}
	s.res.ScaleOuts, s.res.ScaleIns = s.cap.ScaleOuts, s.cap.ScaleIns
	s.res.TaskMinutes, s.res.OracleTaskMinutes, s.res.OverloadedSessionMinutes = s.minutes(s.taskTicks), s.minutes(s.oracleTicks), s.minutes(s.overTicks)
	return s.res, nil
}

type state struct {
	m         Model
	pol       sessionscaling.Policy
	threshold int
	ref       Reference
	cap       Capacity
	tasks     []*task // launched, not stopped, in launch order
	nextID    int
	rr        int
	// points[minute] are the datapoints published in that minute.
	points map[int][]float64
	res    Result
	// Measures accumulated in ticks, converted once at the end.
	taskTicks, oracleTicks, overTicks int64
}

func (s *state) launch(now time.Duration) {
	s.nextID++
	s.tasks = append(s.tasks, &task{
		id: s.nextID, arn: "arn:aws:ecs:sim:task/" + strconv.Itoa(s.nextID),
		launched: now, healthyAt: now + s.m.StartDelay, nextHeartbeat: now + s.m.StartDelay,
	})
}

// route picks the task for a new session. "Target groups for your
// Application Load Balancers", section "Sticky sessions": "WebSockets
// connections are inherently sticky. If the client requests a connection
// upgrade to WebSockets, the target that returns an HTTP 101 status code to
// accept the connection upgrade is the target used in the WebSockets
// connection." So a session never moves, and only new sessions see new
// tasks. Every session of a trace is taken as a new user without an AWSALB
// cookie; a returning user's cookie (the stack's lasts 24 hours) would send
// them back to their earlier task, which only adds to the imbalance shown.
func (s *state) route(now time.Duration) *task {
	var serving []*task
	all := true
	for _, t := range s.tasks {
		if t.serving(now) {
			serving = append(serving, t)
			if t.sessions <= s.threshold {
				all = false
			}
		}
	}
	if len(serving) == 0 {
		return nil // the ALB answers 503; the user retries (not modelled)
	}
	if all {
		s.res.ArrivedOverloaded++
	}
	var t *task
	switch s.m.Algorithm {
	case LeastOutstandingRequests:
		t = serving[0]
		for _, c := range serving[1:] {
			if c.sessions < t.sessions {
				t = c
			}
		}
	default:
		s.rr++
		t = serving[s.rr%len(serving)]
	}
	t.sessions++
	t.everUsed = true
	s.changed(t, now)
	return t
}

func (s *state) leave(t *task, now time.Duration) {
	if t.sessions == 0 {
		return // its task was stopped (a cut session)
	}
	t.sessions--
	if t.sessions == 0 {
		t.emptySince = now
	}
	s.changed(t, now)
}

// changed: the sidecar writes its item on every change; the notes' app
// publishes the metric on every change instead.
func (s *state) changed(t *task, now time.Duration) {
	s.write(t, now)
	if s.m.Metric == MetricOnChange {
		s.publish(now)
	}
}

func (s *state) write(t *task, now time.Duration) {
	t.item = sessionmodel.NewItem(t.arn, t.sessions, epoch.Add(now))
	t.hasItem = true
	t.nextHeartbeat = now + sessionmodel.Heartbeat
}

// epoch anchors simulated time for the items' Unix timestamps.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// publish computes the metric as the Lambda does and records the datapoint.
// ListTasks with desiredStatus RUNNING lists every task the service wants
// running, including those still starting, so they count as tasks.
func (s *state) publish(now time.Duration) {
	var items []sessionmodel.Item
	var running []string
	for _, t := range s.tasks {
		running = append(running, t.arn)
		if t.hasItem {
			items = append(items, t.item)
		}
	}
	f := metricpublisher.Compute(items, running, epoch.Add(now), sessionmodel.StaleAfter)
	if !f.SessionsPublished {
		return // the Lambda publishes no SessionsPerTask it cannot trust
	}
	if s.points == nil {
		s.points = map[int][]float64{}
	}
	minute := int(now / time.Minute)
	s.points[minute] = append(s.points[minute], f.SessionsPerTask)
}

// datapoint is the Average of the datapoints published in one minute.
func (s *state) datapoint(minute int) Datapoint {
	ps := s.points[minute]
	if len(ps) == 0 {
		return Datapoint{}
	}
	sum := 0.0
	for _, p := range ps {
		sum += p
	}
	return Datapoint{Value: sum / float64(len(ps)), Present: true}
}

// evalAndInvoke evaluates alarm a at minute (over the periods before it)
// and invokes its policy while it is in ALARM. "Using Amazon CloudWatch
// alarms": alarms invoke actions only when the state changes, except for
// Auto Scaling actions - for those the alarm "continues to invoke the
// action once per minute that the alarm remains in the new state". The
// policy gets the newest datapoint's value, aggregated by the policy's
// MetricAggregationType (Average, one datapoint a period here).
func (s *state) evalAndInvoke(a sessionscaling.Alarm, minute int, prev AlarmState, invoke func(v float64)) AlarmState {
	n := a.EvaluationPeriods
	window := make([]Datapoint, 0, n)
	for i := minute - n; i < minute; i++ {
		if i < 0 {
			window = append(window, Datapoint{})
			continue
		}
		window = append(window, s.datapoint(i))
	}
	st := Evaluate(a, window, prev)
	if st == InAlarm {
		for i := len(window) - 1; i >= 0; i-- {
			if window[i].Present {
				invoke(window[i].Value)
				break
			}
		}
	}
	return st
}

// reconcile is the ECS service scheduler: launch tasks up to the desired
// count; stop surplus tasks that are not protected, those still starting
// first, then idle ones. A task with no connections completes ALB
// deregistration at once ("Deregistration delay": if a deregistering
// target has no in-flight requests and no active connections, Elastic Load
// Balancing immediately completes the deregistration process).
func (s *state) reconcile(now time.Duration) {
	for len(s.tasks) < s.cap.Desired {
		s.launch(now)
	}
	for surplus := len(s.tasks) - s.cap.Desired; surplus > 0; surplus-- {
		victim := -1
		for i, t := range s.tasks {
			if t.protected(now, s.m) {
				continue
			}
			if victim < 0 || !t.serving(now) && s.tasks[victim].serving(now) ||
				t.serving(now) == s.tasks[victim].serving(now) && t.sessions < s.tasks[victim].sessions {
				victim = i
			}
		}
		if victim < 0 {
			return // every surplus task is protected; ECS retries later
		}
		s.res.SessionsCut += s.tasks[victim].sessions
		s.tasks[victim].sessions = 0
		s.tasks = append(s.tasks[:victim], s.tasks[victim+1:]...)
	}
}

// account adds one tick to the measures.
func (s *state) account(now time.Duration) {
	active := 0
	for _, t := range s.tasks {
		active += t.sessions
		if t.sessions > s.res.PeakSessionsPerTask {
			s.res.PeakSessionsPerTask = t.sessions
		}
		if t.sessions > s.threshold {
			s.overTicks += int64(t.sessions)
		}
	}
	s.taskTicks += int64(len(s.tasks))
	s.oracleTicks += int64(s.oracle(active))
}

// minutes converts a count of ticks to minutes, rounded to 0.01.
func (s *state) minutes(ticks int64) float64 {
	return math.Round(float64(ticks)*s.m.Tick.Minutes()*100) / 100
}

func (s *state) oracle(active int) int {
	n := int(math.Ceil(float64(active) / float64(s.threshold)))
	return max(s.ref.MinTasks, min(s.ref.MaxTasks, n))
}

func (s *state) sample(now time.Duration) {
	smp := Sample{At: now, Tasks: len(s.tasks)}
	for _, t := range s.tasks {
		smp.Sessions += t.sessions
		smp.Busiest = max(smp.Busiest, t.sessions)
		if t.serving(now) {
			smp.Serving++
		}
	}
	smp.OracleTasks = s.oracle(smp.Sessions)
	s.res.Series = append(s.res.Series, smp)
}
