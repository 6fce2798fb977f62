package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzLogout feeds arbitrary Cookie headers and query strings to /logout and
// checks the invariants that make it safe:
//
//   - always a 302 to exactly the configured Cognito logout URL;
//   - every Set-Cookie expires a NAME-<digits> cookie (empty value, Path=/,
//     Secure, HttpOnly, Max-Age=0, Expires in the past), without duplicates;
//   - NAME-0 and NAME-1 always, at most maxExpiredShards in all;
//   - any other expired shard was named in the request.
//
// Run it with:
//
//	go test ./logout -run '^$' -fuzz FuzzLogout -fuzztime 20s
func FuzzLogout(f *testing.F) {
	seeds := []struct{ cookie, query string }{
		{"", ""},
		{testCookie + "-0=abc; " + testCookie + "-1=def", ""},
		{testCookie + "-0=a; " + testCookie + "-2=b; " + testCookie + "-3=c; session=x", "logout_uri=https://evil.example"},
		{testCookie + "-x=1; " + testCookie + "=2; " + testCookie + "-01=3; " + testCookie + "-100=4", ""},
		{" ;;\t" + testCookie + "-5 = v ;" + testCookie + "-6", "a=%zz&&;"},
		{testCookie + "-7=\"q\\\"; " + testCookie + "-8=a=b", "client_id=evil&redirect_uri=//evil.example"},
		{testCookie + "-99999999999999999999=x; " + testCookie + "--1=y; " + testCookie + "-+2=z", "%00%0d%0a"},
		{strings.Repeat(testCookie+"-15=a; "+testCookie+"-42=b; ", 50), ""},
		{"x=\xff\xfe; " + testCookie + "-3\x00=y; \u00e9=1", "\xff"},
	}
	for _, s := range seeds {
		f.Add(s.cookie, s.query)
	}

	h := newHandler(testConfig(), discardLogger())
	f.Fuzz(func(t *testing.T, cookie, query string) {
		req := httptest.NewRequest(http.MethodGet, "/logout", nil)
		req.URL.RawQuery = query
		req.Header["Cookie"] = []string{cookie}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()

		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302", resp.StatusCode)
		}
		if loc := resp.Header.Values("Location"); len(loc) != 1 || loc[0] != wantLogoutURL {
			t.Fatalf("Location %q, want exactly %s", loc, wantLogoutURL)
		}
		lines := resp.Header.Values("Set-Cookie")
		if len(lines) < 2 || len(lines) > maxExpiredShards {
			t.Fatalf("%d Set-Cookie headers, want 2..%d", len(lines), maxExpiredShards)
		}
		seen := map[string]bool{}
		for _, line := range lines {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("unparsable Set-Cookie %q: %v", line, err)
			}
			if !shardNameRE.MatchString(c.Name) {
				t.Fatalf("Set-Cookie for %q, want only %s-<digits>", c.Name, testCookie)
			}
			if seen[c.Name] {
				t.Fatalf("cookie %s expired twice", c.Name)
			}
			seen[c.Name] = true
			if c.Value != "" || c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly ||
				c.MaxAge >= 0 || !c.Expires.Before(time.Now()) {
				t.Fatalf("Set-Cookie %q does not expire the cookie as required", line)
			}
			if !strings.Contains(line, "Max-Age=0") {
				t.Fatalf("Set-Cookie %q lacks Max-Age=0", line)
			}
			if c.Name != testCookie+"-0" && c.Name != testCookie+"-1" && !strings.Contains(cookie, c.Name) {
				t.Fatalf("expired %s, which the request did not name (Cookie %q)", c.Name, cookie)
			}
		}
		if !seen[testCookie+"-0"] || !seen[testCookie+"-1"] {
			t.Fatalf("expired %q, want -0 and -1 among them", lines)
		}
	})
}
