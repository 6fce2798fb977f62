package simulation

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Scenario is a built-in trace, generated from a fixed seed so every run
// replays the same sessions.
type Scenario struct {
	Name, Description string
	Generate          func() Trace
}

// Scenarios are the built-in traces, by name.
var Scenarios = map[string]Scenario{
	"classroom": {
		Name: "classroom",
		Description: "Monday to Friday, two 90-minute classes a day (09:00 and 14:00 UTC) of 40 students each. " +
			"Students open the app within the first 4 minutes of class (uniformly), 10% leave at a uniform time during class, " +
			"the rest within 3 minutes of its end; 2 other users an hour (30-minute sessions) from 08:00 to 18:00. Seed 1.",
		Generate: classroom,
	},
	"workday": {
		Name: "workday",
		Description: "Monday to Friday office hours: arrivals (Poisson) from 08:00 to 18:00 UTC at up to 1.2 a minute, " +
			"rising to 10:00, dipping at lunch (12:00-13:00), a second peak 14:00-16:00, tailing off to 18:00; " +
			"sessions last 45 minutes on average (exponential, 1 minute to 4 hours). Seed 2.",
		Generate: workday,
	},
	"spike": {
		Name: "spike",
		Description: "One day: 0.2 arrivals a minute (30-minute sessions on average) from 08:00 to 20:00 UTC, and at 11:00 " +
			"a link shared to many users: 80 sessions start within 5 minutes and last 15 to 45 minutes (uniformly). Seed 3.",
		Generate: spike,
	},
}

// ScenarioNames lists the built-in scenarios, sorted.
func ScenarioNames() []string {
	var out []string
	for n := range Scenarios {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ScenarioTrace returns the named scenario's trace.
func ScenarioTrace(name string) (Trace, error) {
	s, ok := Scenarios[name]
	if !ok {
		return Trace{}, fmt.Errorf("no built-in scenario %q: must be one of %s", name, strings.Join(ScenarioNames(), ", "))
	}
	return s.Generate(), nil
}

func minutes(f float64) time.Duration { return time.Duration(f * float64(time.Minute)) }

// uniform returns a duration uniformly in [a, b).
func uniform(r *rand.Rand, a, b time.Duration) time.Duration {
	return a + time.Duration(r.Float64()*float64(b-a))
}

// poisson adds sessions arriving at rate(t) per minute between from and to
// (thinning), each lasting length().
func poisson(r *rand.Rand, out []Session, from, to time.Duration, peak float64, rate func(time.Duration) float64, length func() time.Duration) []Session {
	for t := from; t < to; {
		t += minutes(r.ExpFloat64() / peak)
		if t < to && r.Float64() < rate(t)/peak {
			out = append(out, Session{Start: t, End: t + length()})
		}
	}
	return out
}

func finish(name string, ss []Session) Trace {
	sortSessions(ss)
	return Trace{Name: name, Start: DefaultStart, Sessions: ss}
}

func classroom() Trace {
	r := rand.New(rand.NewPCG(1, 1))
	var ss []Session
	for day := range 5 {
		d := time.Duration(day) * 24 * time.Hour
		for _, start := range []time.Duration{9 * time.Hour, 14 * time.Hour} {
			begin, end := d+start, d+start+90*time.Minute
			for range 40 {
				s := begin + uniform(r, 0, 4*time.Minute)
				e := end + uniform(r, -3*time.Minute, 3*time.Minute)
				if r.Float64() < 0.1 {
					e = uniform(r, s, end)
				}
				ss = append(ss, Session{s, e})
			}
		}
		ss = poisson(r, ss, d+8*time.Hour, d+18*time.Hour, 2.0/60, func(time.Duration) float64 { return 2.0 / 60 },
			func() time.Duration { return minutes(r.ExpFloat64() * 30) })
	}
	return finish("classroom", ss)
}

// officeRate is arrivals a minute at time of day tod.
func officeRate(tod time.Duration) float64 {
	h := tod.Hours()
	switch {
	case h < 8 || h >= 18:
		return 0
	case h < 10:
		return 1.2 * (h - 8) / 2
	case h < 12:
		return 1.2
	case h < 13:
		return 0.5
	case h < 14:
		return 0.9
	case h < 16:
		return 1.2
	default:
		return 1.2 * (18 - h) / 2
	}
}

func workday() Trace {
	r := rand.New(rand.NewPCG(2, 2))
	var ss []Session
	for day := range 5 {
		d := time.Duration(day) * 24 * time.Hour
		ss = poisson(r, ss, d+8*time.Hour, d+18*time.Hour, 1.2, func(t time.Duration) float64 { return officeRate(t - d) },
			func() time.Duration {
				return max(time.Minute, min(4*time.Hour, minutes(r.ExpFloat64()*45)))
			})
	}
	return finish("workday", ss)
}

func spike() Trace {
	r := rand.New(rand.NewPCG(3, 3))
	ss := poisson(r, nil, 8*time.Hour, 20*time.Hour, 0.2, func(time.Duration) float64 { return 0.2 },
		func() time.Duration { return max(time.Minute, minutes(r.ExpFloat64()*30)) })
	for range 80 {
		s := 11*time.Hour + uniform(r, 0, 5*time.Minute)
		ss = append(ss, Session{s, s + uniform(r, 15*time.Minute, 45*time.Minute)})
	}
	return finish("spike", ss)
}

// Peak is the most sessions open at once.
func (t Trace) Peak() int {
	type ev struct {
		at time.Duration
		d  int
	}
	var evs []ev
	for _, s := range t.Sessions {
		evs = append(evs, ev{s.Start, 1}, ev{s.End, -1})
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].at < evs[j].at || evs[i].at == evs[j].at && evs[i].d < evs[j].d })
	n, peak := 0, 0
	for _, e := range evs {
		n += e.d
		peak = max(peak, n)
	}
	return peak
}
