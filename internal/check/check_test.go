package check

import (
	"errors"
	"testing"
	"time"
)

func TestProblemsKeepOrderAndFormat(t *testing.T) {
	inner := New("")
	inner.Add("minTasks", 0, "must be at least 1")
	inner.Add("timeout", 90*time.Second, "must be at most 1m0s")

	p := New("scaling.")
	p.Add("mode", "fast", `must be "sessions" or "cpu"`)
	p.Include(inner.Err())
	p.Require("name", "")
	p.Add("cidrs", []string{"a", "b"}, "must be distinct")

	want := `scaling.mode = "fast": must be "sessions" or "cpu"
scaling.minTasks = 0: must be at least 1
scaling.timeout = 1m30s: must be at most 1m0s
scaling.name = "": is required
scaling.cidrs = ["a", "b"]: must be distinct`
	if got := p.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var pr Problem
	if !errors.As(p.Err(), &pr) || pr.Field != "scaling.mode" {
		t.Errorf("errors.As(Problem) = %+v", pr)
	}
}

func TestNoProblemsIsNil(t *testing.T) {
	p := New("x.")
	p.Include(nil)
	p.Require("name", "set")
	if err := p.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}
