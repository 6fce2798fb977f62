// Package check is the one format of a validation problem, shared by every
// construct's Props.Validate and the stack configuration: each problem names
// the setting, the value received and what is allowed, and every problem is
// collected, in the order checked, before failing (as aws-solutions-constructs'
// input-validation does).
package check

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Problem is one invalid setting.
type Problem struct {
	// Field is the setting's name as the user wrote it, e.g. scaling.minTasks.
	Field string
	// Value is what was received.
	Value any
	// Allowed says what is allowed instead.
	Allowed string
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s = %s: %s", p.Field, format(p.Value), p.Allowed)
}

// format shows a value as the user would write it: strings quoted, durations
// as Go durations, lists as JSON-like lists.
func format(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprintf("%v", x)
	}
}

// Problems collects the problems of one validation.
type Problems struct {
	prefix string
	list   []error
}

// New starts a validation whose field names are prefixed with prefix (e.g.
// "scaling."; "" for none).
func New(prefix string) *Problems { return &Problems{prefix: prefix} }

// Add records that field has value, and what is allowed.
func (p *Problems) Add(field string, value any, allowed string) {
	p.list = append(p.list, Problem{Field: p.prefix + field, Value: value, Allowed: allowed})
}

// Require records field as missing when value is empty.
func (p *Problems) Require(field, value string) {
	if value == "" {
		p.Add(field, value, "is required")
	}
}

// Include adds the problems of a nested validation (its Err), prefixing the
// field names of its Problems with this validation's prefix.
func (p *Problems) Include(err error) {
	for _, e := range Unwrap(err) {
		var pr Problem
		if errors.As(e, &pr) {
			pr.Field = p.prefix + pr.Field
			e = pr
		}
		p.list = append(p.list, e)
	}
}

// Err is nil when nothing was recorded, else every problem joined in order.
func (p *Problems) Err() error { return errors.Join(p.list...) }

// Unwrap lists the problems of an error made by Err (or the error itself).
func Unwrap(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
