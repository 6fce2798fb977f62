package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
)

const testCookie = "AWSELBAuthSessionCookie"

// wantLogoutURL is testConfig's Cognito logout URL, written out by hand.
const wantLogoutURL = "https://shiny-test.auth.eu-west-1.amazoncognito.com/logout" +
	"?client_id=1example23456789abcdefghij&logout_uri=https%3A%2F%2Fapp.example.com%2Flogged-out"

func testConfig() logoutconfig.Config {
	return logoutconfig.Config{
		Port:                logoutconfig.DefaultPort,
		AuthCookieName:      testCookie,
		CognitoDomainPrefix: "shiny-test",
		CognitoRegion:       "eu-west-1",
		CognitoClientID:     "1example23456789abcdefghij",
		LogoutRedirectURI:   "https://app.example.com/logged-out",
		SignInURL:           "https://app.example.com/?next=/a&b='c'",
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// serve sends req through a fresh handler and returns the response.
func serve(t testing.TB, cfg logoutconfig.Config, req *http.Request) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	newHandler(cfg, discardLogger()).ServeHTTP(rec, req)
	return rec.Result()
}

func logoutRequest(cookieHeader string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/logout", nil)
	if cookieHeader != "" {
		req.Header.Set("Cookie", cookieHeader)
	}
	return req
}

// expiredCookies parses every Set-Cookie header, checks that each one expires
// an ALB shard cookie correctly, and returns the names in header order.
func expiredCookies(t testing.TB, resp *http.Response) []string {
	t.Helper()
	var names []string
	for _, line := range resp.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("unparsable Set-Cookie %q: %v", line, err)
		}
		if c.Value != "" {
			t.Errorf("Set-Cookie %q: value %q, want empty", line, c.Value)
		}
		if c.Path != "/" {
			t.Errorf("Set-Cookie %q: Path %q, want /", line, c.Path)
		}
		if c.Domain != "" {
			t.Errorf("Set-Cookie %q: Domain %q, want none (the ALB sets host-only cookies)", line, c.Domain)
		}
		if !c.Secure || !c.HttpOnly {
			t.Errorf("Set-Cookie %q: Secure=%v HttpOnly=%v, want both", line, c.Secure, c.HttpOnly)
		}
		if c.MaxAge >= 0 || !strings.Contains(line, "Max-Age=0") {
			t.Errorf("Set-Cookie %q: MaxAge %d, want Max-Age=0", line, c.MaxAge)
		}
		if c.Expires.IsZero() || !c.Expires.Before(time.Now().Add(-24*time.Hour)) {
			t.Errorf("Set-Cookie %q: Expires %v, want a date in the past", line, c.Expires)
		}
		names = append(names, c.Name)
	}
	return names
}

func TestLogoutExpiresDefaultShardsAndRedirects(t *testing.T) {
	resp := serve(t, testConfig(), logoutRequest(""))

	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want 302", resp.StatusCode)
	}
	if got := resp.Header.Get("Location"); got != wantLogoutURL {
		t.Errorf("Location:\n got %s\nwant %s", got, wantLogoutURL)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	got := expiredCookies(t, resp)
	want := []string{testCookie + "-0", testCookie + "-1"}
	if !slices.Equal(got, want) {
		t.Errorf("expired cookies = %q, want %q", got, want)
	}
	// The exact rendering, as browsers will see it.
	wantLine := testCookie + "-0=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure"
	if first := resp.Header.Values("Set-Cookie")[0]; first != wantLine {
		t.Errorf("Set-Cookie:\n got %s\nwant %s", first, wantLine)
	}
}

func TestLogoutExpiresShardsTheRequestCarries(t *testing.T) {
	cookies := strings.Join([]string{
		"session=keep-me",
		testCookie + "-3=ccc",
		testCookie + "-0=aaa",
		testCookie + "-2=bbb",
		testCookie + "-x=not-a-shard",
		testCookie + "=no-suffix",
		testCookie + "-01=leading-zero",
		testCookie + "-+1=sign",
		testCookie + "-1.5=fraction",
		testCookie + "-100=too-large",
		"Other" + testCookie + "-4=other-prefix",
		"awselbauthsessioncookie-5=wrong-case",
		testCookie + "-6", // no '=': not a name=value pair
	}, "; ")
	resp := serve(t, testConfig(), logoutRequest(cookies))

	got := expiredCookies(t, resp)
	want := []string{testCookie + "-0", testCookie + "-1", testCookie + "-2", testCookie + "-3"}
	if !slices.Equal(got, want) {
		t.Errorf("expired cookies = %q, want %q", got, want)
	}
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantLogoutURL {
		t.Errorf("got %d Location %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), wantLogoutURL)
	}
	// No cookie value is ever echoed back.
	for _, v := range []string{"keep-me", "aaa", "bbb", "ccc"} {
		if strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), "\n"), v) {
			t.Errorf("Set-Cookie headers echo the cookie value %q", v)
		}
	}
}

func TestLogoutHandlesOddCookieSyntax(t *testing.T) {
	// Several Cookie headers (HTTP/2 sends one per cookie), stray spaces and
	// tabs, empty pairs and values Go's cookie parser would reject.
	req := logoutRequest("")
	req.Header.Add("Cookie", " "+testCookie+"-4 =x")
	req.Header.Add("Cookie", ";;\t"+testCookie+"-7=\"quoted\\bad\"; ;")
	req.Header.Add("Cookie", testCookie+"-9=a=b=c")
	resp := serve(t, testConfig(), req)

	got := expiredCookies(t, resp)
	want := []string{testCookie + "-0", testCookie + "-1", testCookie + "-4", testCookie + "-7", testCookie + "-9"}
	if !slices.Equal(got, want) {
		t.Errorf("expired cookies = %q, want %q", got, want)
	}
}

func TestLogoutUsesConfiguredCookieName(t *testing.T) {
	cfg := testConfig()
	cfg.AuthCookieName = "Custom.Name"
	resp := serve(t, cfg, logoutRequest(testCookie+"-2=a; Custom.Name-2=b; CustomXName-3=c"))
	got := expiredCookies(t, resp)
	want := []string{"Custom.Name-0", "Custom.Name-1", "Custom.Name-2"}
	if !slices.Equal(got, want) {
		t.Errorf("expired cookies = %q, want %q", got, want)
	}
}

func TestLogoutIgnoresQuery(t *testing.T) {
	for _, target := range []string{
		"/logout?logout_uri=https://evil.example",
		"/logout?logout_uri=https%3A%2F%2Fevil.example&client_id=evil&redirect_uri=https://evil.example",
		"/logout?next=//evil.example",
	} {
		resp := serve(t, testConfig(), httptest.NewRequest(http.MethodGet, target, nil))
		if resp.StatusCode != http.StatusFound {
			t.Errorf("GET %s: status %d, want 302", target, resp.StatusCode)
		}
		if got := resp.Header.Get("Location"); got != wantLogoutURL {
			t.Errorf("GET %s: Location\n got %s\nwant %s", target, got, wantLogoutURL)
		}
	}
}

func TestLogoutHostileCookieFlood(t *testing.T) {
	var parts []string
	for i := range 500 {
		parts = append(parts, fmt.Sprintf("%s-%d=%s", testCookie, 1000+i*7, strings.Repeat("v", 10)))
		parts = append(parts, fmt.Sprintf("unrelated%d=x", i))
	}
	// Every small index, in reverse, after the junk: only the lowest
	// maxExpiredShards may be expired.
	for i := maxShardIndex; i >= 0; i-- {
		parts = append(parts, fmt.Sprintf("%s-%d=y", testCookie, i))
	}
	resp := serve(t, testConfig(), logoutRequest(strings.Join(parts, "; ")))

	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != wantLogoutURL {
		t.Fatalf("got %d Location %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), wantLogoutURL)
	}
	got := expiredCookies(t, resp)
	if len(got) != maxExpiredShards {
		t.Fatalf("%d Set-Cookie headers, want the cap %d", len(got), maxExpiredShards)
	}
	for i, name := range got {
		if want := fmt.Sprintf("%s-%d", testCookie, i); name != want {
			t.Errorf("expired cookie %d = %s, want %s", i, name, want)
		}
	}

	// Only large indices: nothing beyond -0 and -1.
	parts = parts[:1000]
	resp = serve(t, testConfig(), logoutRequest(strings.Join(parts, "; ")))
	if got := expiredCookies(t, resp); len(got) != 2 {
		t.Errorf("expired %q, want only -0 and -1", got)
	}
}

func TestLoggedOutPage(t *testing.T) {
	resp := serve(t, testConfig(), httptest.NewRequest(http.MethodGet, "/logged-out", nil))
	body, _ := io.ReadAll(resp.Body)
	page := string(body)

	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(page, "signed out") {
		t.Errorf("page does not say the user is signed out:\n%s", page)
	}
	// html/template escapes & and ' in the attribute.
	wantLink := `<a href="https://app.example.com/?next=/a&amp;b=%27c%27">Sign in again</a>`
	if !strings.Contains(page, wantLink) {
		t.Errorf("page does not contain %s:\n%s", wantLink, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("logged-out page sets cookies: %q", resp.Header.Values("Set-Cookie"))
	}
}

func TestLoggedOutPageEscapesHostileURL(t *testing.T) {
	// Load rejects such URLs; the template must still be safe on its own.
	cfg := testConfig()
	cfg.SignInURL = `https://app.example.com/"><script>alert(1)</script>`
	resp := serve(t, cfg, httptest.NewRequest(http.MethodGet, "/logged-out", nil))
	body, _ := io.ReadAll(resp.Body)
	if bytes.Contains(body, []byte("<script>")) || bytes.Contains(body, []byte(`"><`)) {
		t.Errorf("sign-in URL not escaped:\n%s", body)
	}
	if !bytes.Contains(body, []byte(`href="https://app.example.com/%22%3e%3cscript%3ealert%281%29%3c/script%3e"`)) {
		t.Errorf("escaped link missing:\n%s", body)
	}

	cfg.SignInURL = "javascript:alert(1)"
	resp = serve(t, cfg, httptest.NewRequest(http.MethodGet, "/logged-out", nil))
	body, _ = io.ReadAll(resp.Body)
	if bytes.Contains(body, []byte("javascript:")) {
		t.Errorf("javascript: URL rendered:\n%s", body)
	}
}

func TestHealthz(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		resp := serve(t, testConfig(), httptest.NewRequest(method, "/healthz", nil))
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s /healthz: status %d, want 200", method, resp.StatusCode)
		}
		want := "ok"
		if method == http.MethodHead {
			want = ""
		}
		if string(body) != want {
			t.Errorf("%s /healthz: body %q, want %q", method, body, want)
		}
	}
}

func TestNotFound(t *testing.T) {
	for _, path := range []string{"/", "/logout/", "/logout/x", "/LOGOUT", "/logged-out/", "/healthz/", "/favicon.ico"} {
		resp := serve(t, testConfig(), httptest.NewRequest(http.MethodGet, path, nil))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
		if len(resp.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("GET %s: sets cookies", path)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	for _, path := range []string{"/logout", "/logged-out", "/healthz"} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Cookie", testCookie+"-0=a")
			resp := serve(t, testConfig(), req)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", method, path, resp.StatusCode)
			}
			if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", method, path, allow)
			}
			if len(resp.Header.Values("Set-Cookie")) != 0 || resp.Header.Get("Location") != "" {
				t.Errorf("%s %s: signed out anyway", method, path)
			}
		}
	}
}

func TestRequestLogging(t *testing.T) {
	var buf bytes.Buffer
	h := newHandler(testConfig(), slog.New(slog.NewJSONHandler(&buf, nil)))
	req := httptest.NewRequest(http.MethodGet, "/logout?token=query-secret", nil)
	req.Header.Set("Cookie", testCookie+"-0=cookie-secret-0; session=cookie-secret-s")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/healthz", nil))

	for _, secret := range []string{"cookie-secret", "query-secret"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, buf.String())
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), buf.String())
	}
	want := []struct {
		method, path string
		status       float64
	}{{"GET", "/logout", 302}, {"POST", "/healthz", 405}}
	for i, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if entry["method"] != want[i].method || entry["path"] != want[i].path || entry["status"] != want[i].status {
			t.Errorf("log line %d = %s, want method %s path %s status %v",
				i, line, want[i].method, want[i].path, want[i].status)
		}
		if _, ok := entry["duration_ms"].(float64); !ok {
			t.Errorf("log line %d has no numeric duration_ms: %s", i, line)
		}
	}
}

// Every response carries HSTS, the ServeMux's own 404 and 405 included.
func TestHSTSOnEveryResponse(t *testing.T) {
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/logout"}, {http.MethodGet, "/logged-out"}, {http.MethodGet, "/healthz"},
		{http.MethodHead, "/logout"}, {http.MethodGet, "/nope"}, {http.MethodPost, "/logout"},
	} {
		resp := serve(t, testConfig(), httptest.NewRequest(tc.method, tc.path, nil))
		if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != "max-age=31536000" {
			t.Errorf("%s %s (%d): Strict-Transport-Security %q, want exactly max-age=31536000",
				tc.method, tc.path, resp.StatusCode, got)
		}
	}
}

func TestParseShardIndex(t *testing.T) {
	valid := map[string]int{"0": 0, "1": 1, "9": 9, "10": 10, "99": 99}
	for s, want := range valid {
		if got, ok := parseShardIndex(s); !ok || got != want {
			t.Errorf("parseShardIndex(%q) = %d, %v; want %d, true", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "00", "01", "100", "999999999999999999999", "-1", "+1", "1 ", " 1", "1a", "٣", "x"} {
		if got, ok := parseShardIndex(s); ok {
			t.Errorf("parseShardIndex(%q) = %d, true; want false", s, got)
		}
	}
}

var shardNameRE = regexp.MustCompile(`^` + regexp.QuoteMeta(testCookie) + `-[0-9]+$`)
