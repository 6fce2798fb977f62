package simulation

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Session is one user's websocket session, as offsets from the trace start.
type Session struct {
	Start, End time.Duration
}

// Trace is a set of sessions and the wall-clock time of offset 0 (for
// scheduled actions).
type Trace struct {
	Name     string
	Start    time.Time
	Sessions []Session
}

// Duration is when the last session ends.
func (t Trace) Duration() time.Duration {
	var d time.Duration
	for _, s := range t.Sessions {
		d = max(d, s.End)
	}
	return d
}

// DefaultStart is offset 0 of a trace whose times are seconds: a Monday at
// midnight UTC, so weekday schedules line up with the built-in scenarios.
var DefaultStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// ReadCSV reads a trace: a header "start,end", then one session per line,
// times as RFC 3339 or as seconds from the start of the trace (not mixed).
// Offset 0 is start (seconds) or the earliest start, truncated to the
// minute (RFC 3339).
func ReadCSV(name string, r io.Reader, start time.Time) (Trace, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return Trace{}, fmt.Errorf("%s: line 1: %w", name, err)
	}
	if len(header) != 2 || strings.TrimSpace(header[0]) != "start" || strings.TrimSpace(header[1]) != "end" {
		return Trace{}, fmt.Errorf("%s: line 1: header %q: must be \"start,end\"", name, strings.Join(header, ","))
	}
	var spans []span
	kind := ""
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return Trace{}, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) != 2 {
			return Trace{}, fmt.Errorf("%s: line %d: %d fields: must be start,end", name, line, len(rec))
		}
		var sp span
		for i, f := range rec {
			f = strings.TrimSpace(f)
			var t time.Time
			k := "rfc3339"
			if secs, err := strconv.ParseFloat(f, 64); err == nil {
				if secs < 0 {
					return Trace{}, fmt.Errorf("%s: line %d: %s = %q: must not be negative", name, line, header[i], f)
				}
				t, k = start.Add(time.Duration(secs*float64(time.Second))), "seconds"
			} else if t, err = time.Parse(time.RFC3339, f); err != nil {
				return Trace{}, fmt.Errorf("%s: line %d: %s = %q: must be RFC 3339 (2026-01-05T09:00:00Z) or seconds from the start of the trace", name, line, header[i], f)
			}
			if kind == "" {
				kind = k
			} else if k != kind {
				return Trace{}, fmt.Errorf("%s: line %d: %s = %q: mixes %s with the %s of earlier lines", name, line, header[i], f, k, kind)
			}
			if i == 0 {
				sp.start = t
			} else {
				sp.end = t
			}
		}
		if sp.end.Before(sp.start) {
			return Trace{}, fmt.Errorf("%s: line %d: end %s is before start %s", name, line, rec[1], rec[0])
		}
		spans = append(spans, sp)
	}
	if len(spans) == 0 {
		return Trace{}, fmt.Errorf("%s: no sessions after the header", name)
	}
	if kind == "rfc3339" {
		return fromSpans(name, spans, earliestMinute(spans)), nil
	}
	return fromSpans(name, spans, start), nil
}

// span is one session's start and end as a trace file gives them.
type span struct{ start, end time.Time }

// earliestMinute is the start of the minute of the earliest span.
func earliestMinute(spans []span) time.Time {
	t0 := spans[0].start
	for _, s := range spans {
		if s.start.Before(t0) {
			t0 = s.start
		}
	}
	return t0.Truncate(time.Minute)
}

// fromSpans is the trace of spans, timed from t0.
func fromSpans(name string, spans []span, t0 time.Time) Trace {
	tr := Trace{Name: name, Start: t0}
	for _, s := range spans {
		tr.Sessions = append(tr.Sessions, Session{Start: s.start.Sub(t0), End: s.end.Sub(t0)})
	}
	sortSessions(tr.Sessions)
	return tr
}

func sortSessions(ss []Session) {
	sort.Slice(ss, func(i, j int) bool { return ss[i].Start < ss[j].Start })
}

// ReadALBLog reads Application Load Balancer access log entries and keeps
// the websocket ones as sessions. "Access logs for your Application Load
// Balancer", section "Access log entries"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html):
// an entry is space-separated fields, some in double quotes; type (field 1)
// is ws or wss for WebSockets; time (field 2) is when the load balancer
// generated a response, which for WebSockets is when the connection closed;
// request_creation_time (field 22) is when the load balancer received the
// request. So a ws/wss entry is a session from request_creation_time to
// time. Other entries are skipped; gzip-compressed files (as ALB writes
// them) are read as such.
func ReadALBLog(name string, r io.Reader) (Trace, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Trace{}, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)

	var spans []span
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f, err := splitLogFields(text)
		if err != nil {
			return Trace{}, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		if f[0] != "ws" && f[0] != "wss" {
			continue
		}
		if len(f) < 22 {
			return Trace{}, fmt.Errorf("%s: line %d: %d fields: an ALB access log entry has at least 22 (request_creation_time is field 22)", name, line, len(f))
		}
		end, err := time.Parse(time.RFC3339Nano, f[1])
		if err != nil {
			return Trace{}, fmt.Errorf("%s: line %d: time = %q: must be ISO 8601", name, line, f[1])
		}
		start, err := time.Parse(time.RFC3339Nano, f[21])
		if err != nil {
			return Trace{}, fmt.Errorf("%s: line %d: request_creation_time = %q: must be ISO 8601", name, line, f[21])
		}
		if end.Before(start) {
			return Trace{}, fmt.Errorf("%s: line %d: time %s (connection closed) is before request_creation_time %s", name, line, f[1], f[21])
		}
		spans = append(spans, span{start, end})
	}
	if err := sc.Err(); err != nil {
		return Trace{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(spans) == 0 {
		return Trace{}, fmt.Errorf("%s: no ws or wss entries (websocket sessions) in the log", name)
	}
	return fromSpans(name, spans, earliestMinute(spans)), nil
}

// splitLogFields splits an access log entry on spaces, keeping quoted
// fields (which contain spaces) whole and without their quotes.
func splitLogFields(s string) ([]string, error) {
	var out []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.New("unterminated quoted field")
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
			continue
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out, nil
}

// Load reads a trace from a file: an ALB access log when its first
// non-empty line does not start with "start", a CSV otherwise. start is
// offset 0 of a CSV trace given in seconds.
func Load(path string, start time.Time) (Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return Trace{}, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(64)
	if strings.HasPrefix(strings.TrimSpace(string(head)), "start") {
		return ReadCSV(path, br, start)
	}
	return ReadALBLog(path, br)
}
