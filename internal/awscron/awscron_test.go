package awscron

import (
	"strings"
	"testing"
	"time"
)

func TestMatches(t *testing.T) {
	mon := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		expr string
		at   time.Time
		want bool
	}{
		{"0 8 ? * MON-FRI *", mon, true},
		{"0 8 ? * MON-FRI *", mon.Add(time.Minute), false},
		{"0 8 ? * MON-FRI *", mon.AddDate(0, 0, 5), false}, // Saturday
		{"0 8 ? * 2-6 *", mon, true},                       // 2 = Monday
		{"0 8 ? * 1 *", mon.AddDate(0, 0, 6), true},        // 1 = Sunday
		{"*/15 * * * ? *", mon.Add(45 * time.Minute), true},
		{"*/15 * * * ? *", mon.Add(44 * time.Minute), false},
		{"30 7,12 7 DEC ? 2026", mon.Add(-30 * time.Minute), true},
		{"30 7,12 7 DEC ? 2027", mon.Add(-30 * time.Minute), false},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		if got := e.Matches(tc.at); got != tc.want {
			t.Errorf("%q matches %s = %v, want %v", tc.expr, tc.at.Format(time.RFC1123), got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"0 8 * * MON-FRI", "six fields"},
		{"0 8 * * MON-FRI *", "exactly one"},
		{"0 8 ? * ? *", "exactly one"},
		{"60 8 ? * MON *", "minutes"},
		{"0 24 ? * MON *", "hours"},
		{"0 8 ? * FOO *", "day-of-week"},
		{"0 8 L * ? *", "L, W and #"},
		{"0 8 ? * 5-2 *", "backwards"},
		{"0/0 8 ? * MON *", "step"},
		{"? 8 1 * ? *", "only in day-of-month"},
	} {
		if _, err := Parse(tc.expr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error mentioning %q", tc.expr, err, tc.want)
		}
	}
}
