// Package awscron parses the six-field cron expressions of Application Auto
// Scaling scheduled actions ("cron(Minutes Hours Day-of-month Month
// Day-of-week Year)") and tells whether a minute matches one. The
// sessionscaling construct validates its schedule with it and the simulator
// replays the same schedule, so both read an expression the same way.
//
// Format, from "Scheduled scaling for Application Auto Scaling" and the
// EventBridge "cron expressions" reference it links to
// (https://docs.aws.amazon.com/autoscaling/application/userguide/scheduled-scaling-using-cron-expressions.html):
// minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
// day-of-week 1-7 (1 = Sunday) or SUN-SAT, year 1970-2199; wildcards
// `,` `-` `*` `/` and `?`; one of day-of-month and day-of-week must be `?`.
// The wildcards L, W and # are refused here (not needed for office hours or
// timetables, and simpler to get right).
package awscron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed expression.
type Expr struct {
	src                                     string
	minutes, hours, dom, months, dow, years set
	domAny, dowAny                          bool
}

type set map[int]bool

type field struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}

var fields = []field{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	{name: "year", min: 1970, max: 2199},
}

// Parse reads "M H DOM MON DOW Y" (without "cron(...)").
func Parse(s string) (Expr, error) {
	parts := strings.Fields(s)
	if len(parts) != 6 {
		return Expr{}, fmt.Errorf("must have six fields (minutes hours day-of-month month day-of-week year), e.g. \"0 8 ? * MON-FRI *\"; got %d", len(parts))
	}
	e := Expr{src: s}
	sets := make([]set, 6)
	for i, f := range fields {
		if parts[i] == "?" {
			if i != 2 && i != 4 {
				return Expr{}, fmt.Errorf("%s: ? is allowed only in day-of-month and day-of-week", f.name)
			}
			sets[i] = nil
			continue
		}
		st, err := parseField(parts[i], f)
		if err != nil {
			return Expr{}, err
		}
		sets[i] = st
	}
	e.minutes, e.hours, e.dom, e.months, e.dow, e.years = sets[0], sets[1], sets[2], sets[3], sets[4], sets[5]
	e.domAny, e.dowAny = parts[2] == "?", parts[4] == "?"
	if e.domAny == e.dowAny {
		return Expr{}, fmt.Errorf("exactly one of day-of-month (%q) and day-of-week (%q) must be ?", parts[2], parts[4])
	}
	return e, nil
}

func parseField(s string, f field) (set, error) {
	out := set{}
	for _, item := range strings.Split(s, ",") {
		step := 1
		if base, st, ok := strings.Cut(item, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: step %q must be a positive number", f.name, st)
			}
			item, step = base, n
		}
		lo, hi := f.min, f.max
		switch {
		case item == "*":
		case strings.Contains(item, "-"):
			a, b, _ := strings.Cut(item, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return nil, err
			}
			if hi, err = value(b, f); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, fmt.Errorf("%s: range %q runs backwards", f.name, item)
			}
		default:
			v, err := value(item, f)
			if err != nil {
				return nil, err
			}
			lo = v
			if step == 1 {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func value(s string, f field) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		allowed := fmt.Sprintf("%d-%d", f.min, f.max)
		if f.names != nil {
			allowed += " or " + f.names[0] + "-" + f.names[len(f.names)-1]
		}
		return 0, fmt.Errorf("%s: %q must be %s (L, W and # are not supported)", f.name, s, allowed)
	}
	return v, nil
}

// Matches reports whether the minute of t (in t's location) is one the
// expression fires at.
func (e Expr) Matches(t time.Time) bool {
	if !e.minutes[t.Minute()] || !e.hours[t.Hour()] || !e.months[int(t.Month())] || !e.years[t.Year()] {
		return false
	}
	if e.domAny {
		return e.dow[int(t.Weekday())+1]
	}
	return e.dom[t.Day()]
}

// String is the expression as parsed.
func (e Expr) String() string { return e.src }
