package main

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"

	"github.com/shinyfargate/shiny-cdktf/internal/httpsec"
)

const (
	// maxExpiredShards caps how many Set-Cookie headers one /logout response
	// carries, whatever the request sends. The ALB splits its session into at
	// most 4 shards of 4 KiB, so 16 leaves room while keeping responses small.
	maxExpiredShards = 16
	// maxShardIndex is the largest shard suffix recognised; only canonical
	// decimal numbers 0..maxShardIndex (no sign, no leading zeros) count.
	maxShardIndex = 99
	// alwaysExpired shards are expired even when the request does not carry
	// them (a browser may hold cookies it did not send, e.g. after a partial
	// update); they are the ones the ALB always uses first.
	alwaysExpired = 2
)

// strictTransportSecurity is sent on every response: users reach this server
// only through the ALB's HTTPS listener, so browsers should never try plain
// HTTP for the app's host again (the ALB's port 80 only redirects). One year,
// as recommended for HSTS; no includeSubDomains, because DOMAIN may be an
// apex whose other subdomains are not this project's to force onto HTTPS.
// Browsers ignore the header on plain-HTTP responses (the target group's
// health checks), so sending it there is harmless.
const strictTransportSecurity = httpsec.StrictTransportSecurity

// Security headers on the pages this server writes itself.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var loggedOutPage = template.Must(template.New("logged-out").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed out</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
a { color: #0b5cad; }
</style>
</head>
<body>
<h1>You are signed out</h1>
<p>You have been signed out of the application.</p>
<p><a href="{{.SignInURL}}">Sign in again</a></p>
</body>
</html>
`))

// newHandler returns the logout server's routes, wrapped in request logging:
//
//	GET /logout      expire the ALB session cookies, redirect to Cognito logout
//	GET /logged-out  "you are signed out" page with a link to sign in again
//	GET /healthz     200 ok, for the ALB target group health check
//
// GET routes also answer HEAD. Unknown paths get 404; other methods on these
// paths get 405 with an Allow header (both from http.ServeMux).
func newHandler(cfg logoutconfig.Config, logger *slog.Logger) http.Handler {
	var page bytes.Buffer
	if err := loggedOutPage.Execute(&page, struct{ SignInURL string }{cfg.SignInURL}); err != nil {
		// The template and its data are fixed; this cannot fail at run time.
		panic("render logged-out page: " + err.Error())
	}
	l := &logoutHandler{
		cookieName: cfg.AuthCookieName,
		logoutURL:  cfg.CognitoLogoutURL(),
	}

	mux := http.NewServeMux()
	mux.Handle("GET /logout", l)
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Length", strconv.Itoa(page.Len()))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(page.Bytes())
		}
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("ok"))
		}
	})
	return logRequests(logger, withHSTS(mux))
}

// withHSTS sets Strict-Transport-Security on every response, including the
// 404 and 405 answers of http.ServeMux.
func withHSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", strictTransportSecurity)
		next.ServeHTTP(w, r)
	})
}

type logoutHandler struct {
	cookieName string // ALB session cookie name without the -N suffix
	logoutURL  string // Cognito logout URL, fixed by configuration
}

// ServeHTTP expires the ALB session cookie shards and redirects to the
// configured Cognito logout URL. Nothing from the request other than cookie
// names influences the response: the query string is ignored on purpose, so
// /logout cannot be used as an open redirect.
func (l *logoutHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, idx := range l.shardsToExpire(r.Header.Values("Cookie")) {
		c := &http.Cookie{
			Name:     l.cookieName + "-" + strconv.Itoa(idx),
			Value:    "",
			Path:     "/",
			Expires:  time.Unix(0, 0),
			MaxAge:   -1, // rendered as Max-Age=0
			Secure:   true,
			HttpOnly: true,
		}
		h.Add("Set-Cookie", c.String())
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Location", l.logoutURL)
	w.WriteHeader(http.StatusFound)
}

// shardsToExpire returns, in increasing order, the shard indices to expire:
// 0 and 1 always, plus every NAME-<index> cookie in the Cookie headers, keeping
// the lowest maxExpiredShards indices. Only cookie names are looked at; the
// Cookie header is split by hand rather than with (*http.Request).Cookies so
// that a shard whose value Go considers malformed is still expired.
func (l *logoutHandler) shardsToExpire(cookieHeaders []string) []int {
	var seen [maxShardIndex + 1]bool
	for i := range alwaysExpired {
		seen[i] = true
	}
	prefix := l.cookieName + "-"
	for _, line := range cookieHeaders {
		for part := range strings.SplitSeq(line, ";") {
			name, _, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			suffix, ok := strings.CutPrefix(strings.Trim(name, " \t"), prefix)
			if !ok {
				continue
			}
			if idx, ok := parseShardIndex(suffix); ok {
				seen[idx] = true
			}
		}
	}
	shards := make([]int, 0, maxExpiredShards)
	for idx, ok := range seen {
		if ok {
			shards = append(shards, idx)
			if len(shards) == maxExpiredShards {
				break
			}
		}
	}
	return slices.Clip(shards)
}

// parseShardIndex accepts canonical decimal numbers 0..maxShardIndex: digits
// only, no leading zeros.
func parseShardIndex(s string) (int, bool) { return logoutconfig.ParseDecimal(s, maxShardIndex) }

// logRequests logs one JSON line per request: method, path, status, duration.
// Headers (and so cookies) and the query string are never logged.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
