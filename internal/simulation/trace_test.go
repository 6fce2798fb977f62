package simulation

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"
)

func TestReadCSVSeconds(t *testing.T) {
	tr, err := ReadCSV("t.csv", strings.NewReader("start,end\n60,120\n0,30.5\n"), DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	want := []Session{{0, 30500 * time.Millisecond}, {time.Minute, 2 * time.Minute}}
	if len(tr.Sessions) != 2 || tr.Sessions[0] != want[0] || tr.Sessions[1] != want[1] || !tr.Start.Equal(DefaultStart) {
		t.Fatalf("got %+v", tr)
	}
}

func TestReadCSVRFC3339(t *testing.T) {
	tr, err := ReadCSV("t.csv", strings.NewReader("start,end\n2026-03-02T09:00:30Z,2026-03-02T10:00:00Z\n2026-03-02T09:01:00+01:00,2026-03-02T09:30:00+01:00\n"), DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Start.Equal(time.Date(2026, 3, 2, 8, 1, 0, 0, time.UTC)) || tr.Sessions[0].Start != 0 || tr.Sessions[1].Start != 59*time.Minute+30*time.Second {
		t.Fatalf("got %+v", tr)
	}
}

func TestReadCSVErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"begin,end\n1,2\n", `line 1: header "begin,end": must be "start,end"`},
		{"start,end\n1,2\n5,4\n", "line 3: end 4 is before start 5"},
		{"start,end\n1,2\nnoon,3\n", `line 3: start = "noon": must be RFC 3339`},
		{"start,end\n1,2,3\n", "line 2: 3 fields"},
		{"start,end\n1,2\n2026-03-02T09:00:00Z,2026-03-02T09:10:00Z\n", "line 3: start = \"2026-03-02T09:00:00Z\": mixes rfc3339 with the seconds"},
		{"start,end\n-1,2\n", "line 2: start = \"-1\": must not be negative"},
		{"start,end\n", "no sessions"},
	} {
		if _, err := ReadCSV("t.csv", strings.NewReader(tc.in), DefaultStart); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// Entries in the format of "Access log entries" (ALB user guide): a
// websocket entry's time is when the connection closed and its
// request_creation_time when the request arrived; other types are skipped.
const albLog = `wss 2026-03-02T09:30:00.000000Z app/my-lb/50dc6c495c0c9188 192.0.2.1:4433 10.0.0.1:8080 0.001 0.002 0.000 101 101 218 587 "GET https://shiny.example.com:443/websocket/ HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shiny/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "shiny.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-03-02T09:00:00.000000Z "authenticate,forward" "-" "-" "10.0.0.1:8080" "101" "-" "-" TID_1
https 2026-03-02T09:00:01.000000Z app/my-lb/50dc6c495c0c9188 192.0.2.1:4433 10.0.0.1:8080 0.001 0.002 0.000 200 200 218 587 "GET https://shiny.example.com:443/ HTTP/1.1" "curl/8" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shiny/73e2d6bc24d8a067 "Root=1-2" "shiny.example.com" "-" 1 2026-03-02T09:00:00.900000Z "forward" "-" "-" "10.0.0.1:8080" "200" "-" "-" TID_2
ws 2026-03-02T09:10:00.000000Z app/my-lb/50dc6c495c0c9188 192.0.2.2:4433 10.0.0.2:8080 0.001 0.002 0.000 101 101 218 587 "GET http://shiny.example.com:80/websocket/ HTTP/1.1" "Mozilla/5.0" - - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shiny/73e2d6bc24d8a067 "Root=1-3" "shiny.example.com" "-" 1 2026-03-02T09:05:30.000000Z "forward" "-" "-" "10.0.0.2:8080" "101" "-" "-" TID_3
`

func TestReadALBLog(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(albLog))
	zw.Close()
	for name, in := range map[string][]byte{"plain": []byte(albLog), "gzip": gz.Bytes()} {
		tr, err := ReadALBLog(name, bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := []Session{{0, 30 * time.Minute}, {5*time.Minute + 30*time.Second, 10 * time.Minute}}
		if len(tr.Sessions) != 2 || tr.Sessions[0] != want[0] || tr.Sessions[1] != want[1] {
			t.Errorf("%s: sessions %+v, want %+v", name, tr.Sessions, want)
		}
	}
}

func TestReadALBLogErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https 2026-03-02T09:00:01Z x\n", "no ws or wss entries"},
		{"ws 2026-03-02T09:00:01Z \"unterminated\n", "line 1: unterminated quoted field"},
		{"ws 2026-03-02T09:00:01Z a b\n", "line 1: 4 fields"},
		{strings.Replace(strings.SplitN(albLog, "\n", 2)[0], "2026-03-02T09:30:00.000000Z", "2026-03-02T08:00:00Z", 1) + "\n", "line 1: time 2026-03-02T08:00:00Z (connection closed) is before request_creation_time"},
	} {
		if _, err := ReadALBLog("log", strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// Built-in scenarios are seeded: the same sessions every time.
func TestScenariosReproducible(t *testing.T) {
	for _, name := range ScenarioNames() {
		a, _ := ScenarioTrace(name)
		b, _ := ScenarioTrace(name)
		if len(a.Sessions) == 0 || len(a.Sessions) != len(b.Sessions) || a.Sessions[len(a.Sessions)-1] != b.Sessions[len(b.Sessions)-1] {
			t.Errorf("%s: not reproducible", name)
		}
	}
	if _, err := ScenarioTrace("lunch"); err == nil || !strings.Contains(err.Error(), "classroom, spike, workday") {
		t.Errorf("unknown scenario: %v", err)
	}
}
