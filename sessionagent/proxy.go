package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"

	"github.com/shinyfargate/shiny-cdktf/internal/httpsec"
)

// HealthPath is answered by the sidecar itself and never proxied. The target
// group's health check points at it.
const HealthPath = sessionmodel.AgentHealthPath

// hsts is sent on every response: users reach the app over HTTPS only (the
// ALB redirects port 80).
const hsts = httpsec.StrictTransportSecurity

// limits are the proxy's protections against one client exhausting a task,
// and its timings. Production takes them from the configuration and
// defaultLimits; tests build smaller ones.
type limits struct {
	// MaxPerUser caps the open websocket sessions of one signed-in identity.
	MaxPerUser int
	// MaxUpstream caps the requests in flight to Shiny, websockets included,
	// and so the connections to it. Beyond it the sidecar answers 503.
	MaxUpstream int
	// BodyTimeout bounds how long receiving a plain request's body may take.
	BodyTimeout time.Duration
	// IdleTimeout closes a session without a user message for this long.
	IdleTimeout time.Duration
	// BusyGrace is how long Shiny may accept without answering and still
	// count as healthy.
	BusyGrace time.Duration
	// ProbeTimeout bounds each health probe's connect and answer.
	ProbeTimeout time.Duration
}

// Fixed limits (not settings): generous for Shiny, which serves everything
// from one R thread, and small enough that one client cannot hold a task.
const (
	maxUpstreamRequests = 1024
	bodyTimeout         = 2 * time.Minute
	probeTimeout        = 2 * time.Second
)

func limitsFrom(cfg config) limits {
	return limits{
		MaxPerUser:   cfg.MaxPerUser,
		MaxUpstream:  maxUpstreamRequests,
		BodyTimeout:  bodyTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		BusyGrace:    cfg.BusyGrace,
		ProbeTimeout: probeTimeout,
	}
}

// agent is the HTTP handler of the sidecar: its own endpoints, the reverse
// proxy and session accounting.
type agent struct {
	upstream  *url.URL
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	health    *healthChecker
	sessions  *sessionCounter
	reg       *registry
	slots     chan struct{} // one per request in flight to Shiny
	limits    limits
	log       *slog.Logger
}

func newAgent(upstream *url.URL, lim limits, sessions *sessionCounter, log *slog.Logger) *agent {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// The upstream is on loopback: never route it through HTTP_PROXY.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return noHalfClose{c}, nil
		},
		MaxConnsPerHost:     lim.MaxUpstream,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
		// Pass Accept-Encoding and compressed bodies through untouched.
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
	}
	a := &agent{
		upstream:  upstream,
		transport: tr,
		health:    &healthChecker{upstream: upstream, timeout: lim.ProbeTimeout, busyGrace: lim.BusyGrace},
		sessions:  sessions,
		reg:       newRegistry(sessions, lim.MaxPerUser),
		slots:     make(chan struct{}, lim.MaxUpstream),
		limits:    lim,
		log:       log,
	}
	a.proxy = &httputil.ReverseProxy{
		Rewrite:        a.rewrite,
		Transport:      tr,
		FlushInterval:  -1, // flush every write: streaming responses stay streaming
		BufferPool:     copyBuffers,
		ModifyResponse: addHSTS,
		ErrorHandler:   a.proxyError,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a
}

// run does the agent's background work (closing idle sessions) until ctx ends.
func (a *agent) run(ctx context.Context) {
	a.reg.reapIdle(ctx, a.limits.IdleTimeout, idleCheckInterval(a.limits.IdleTimeout), a.log)
}

// close releases idle upstream connections.
func (a *agent) close() { a.transport.CloseIdleConnections() }

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isAgentPath(r.URL.Path) {
		if r.URL.Path == HealthPath {
			a.serveHealth(w, r)
		} else {
			refuse(w, http.StatusNotFound, "Not found.")
		}
		return
	}
	up := upgradeType(r.Header)
	if up != "" && !strings.EqualFold(up, "websocket") {
		refuse(w, http.StatusBadRequest, "Only websocket upgrades are supported.")
		return
	}
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	default:
		a.log.Warn("upstream request limit reached", "limit", a.limits.MaxUpstream, "path", r.URL.Path)
		w.Header().Set("Retry-After", "5")
		refuse(w, http.StatusServiceUnavailable, "The app is at capacity. Please try again shortly.")
		return
	}
	if up == "" {
		a.servePlain(w, r)
		return
	}
	a.serveWebSocket(w, r)
}

// isAgentPath tells whether p is in the sidecar's own path space, also when
// written with dot segments.
func isAgentPath(p string) bool {
	prefix := strings.TrimSuffix(sessionmodel.AgentPathPrefix, "/")
	return p == prefix || strings.HasPrefix(p, prefix+"/") ||
		path.Clean("/"+p) == prefix || strings.HasPrefix(path.Clean("/"+p), prefix+"/")
}

// upgradeType is the protocol r asks to switch to, "" for none.
func upgradeType(h http.Header) string {
	if !headerHasToken(h["Connection"], "upgrade") {
		return ""
	}
	return strings.TrimSpace(h.Get("Upgrade"))
}

// servePlain proxies a request that is not an upgrade. Its body must arrive
// within BodyTimeout, so slow senders cannot hold upstream connections.
func (a *agent) servePlain(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(a.limits.BodyTimeout)); err == nil {
			b := &deadlineBody{ReadCloser: r.Body, clear: func() { _ = rc.SetReadDeadline(time.Time{}) }}
			r.Body = b
			// ReverseProxy hands its error handler its own copy of the
			// request; the context reaches it.
			r = r.WithContext(context.WithValue(r.Context(), deadlineBodyKey{}, b))
		}
	}
	a.proxy.ServeHTTP(w, r)
}

type deadlineBodyKey struct{}

// deadlineBody notes that reading the body ran into the read deadline, and
// clears the deadline once the body is complete (the connection's next read
// is the server's, and must not time out while the response is prepared).
type deadlineBody struct {
	io.ReadCloser
	clear    func()
	once     sync.Once
	timedOut atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		b.once.Do(b.clear)
	case err != nil && isTimeout(err):
		b.timedOut.Store(true)
	}
	return n, err
}

// serveWebSocket proxies a websocket upgrade and accounts for the session.
// ReverseProxy hijacks the browser's connection only after Shiny answered
// 101, then copies both ways, and returns from ServeHTTP only when the
// copying is over and both connections are closed (Go 1.26
// net/http/httputil handleUpgradeResponse). So a session starts at the
// hijack and ends when ServeHTTP returns.
func (a *agent) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	user := r.Header.Get(sessionmodel.HeaderOIDCIdentity)
	if !a.reg.reserve(user) {
		a.log.Warn("session limit per user reached", "user", user, "limit", a.limits.MaxPerUser)
		w.Header().Set("Retry-After", "60")
		refuse(w, http.StatusTooManyRequests, "Too many open sessions for this user (at most "+
			strconv.Itoa(a.limits.MaxPerUser)+"). Close another tab of this app, then reload.")
		return
	}
	defer a.reg.release(user)
	// The sidecar reads the browser's messages to tell activity from
	// keep-alive, so Shiny must not negotiate compression (permessage-deflate).
	r.Header.Del("Sec-Websocket-Extensions")
	sw := &sessionWriter{ResponseWriter: w, reg: a.reg, sess: &session{user: user}}
	defer func() {
		if sw.hijacked {
			a.reg.closed(sw.sess)
		}
	}()
	a.proxy.ServeHTTP(sw, r)
}

// rewrite sends the request to the Shiny server as received: same Host, same
// headers. ReverseProxy has removed the hop-by-hop headers, every header the
// client named in Connection, and the forwarding headers. Put back:
//   - the ALB's x-amzn-oidc-* headers: they are not hop-by-hop, whatever a
//     client's Connection header says, and the app relies on them;
//   - X-Forwarded-For, with the ALB's address appended as any proxy in a
//     chain does, and the ALB's X-Forwarded-Proto.
//
// X-Forwarded-Host and Forwarded stay dropped: the ALB sets neither, so
// any value would be the client's.
func (a *agent) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(a.upstream)
	pr.Out.Host = pr.In.Host
	for k, v := range pr.In.Header {
		if strings.HasPrefix(k, "X-Amzn-Oidc-") {
			pr.Out.Header[k] = v
		}
	}
	if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
		chain := ip
		if prior := pr.In.Header["X-Forwarded-For"]; len(prior) > 0 {
			chain = strings.Join(prior, ", ") + ", " + ip
		}
		pr.Out.Header.Set("X-Forwarded-For", chain)
	}
	if v, ok := pr.In.Header["X-Forwarded-Proto"]; ok {
		pr.Out.Header["X-Forwarded-Proto"] = v
	}
}

func addHSTS(resp *http.Response) error {
	if resp.Header.Get("Strict-Transport-Security") == "" {
		resp.Header.Set("Strict-Transport-Security", hsts)
	}
	return nil
}

func (a *agent) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if b, ok := r.Context().Value(deadlineBodyKey{}).(*deadlineBody); ok && b.timedOut.Load() {
		a.log.Info("request body not received in time", "method", r.Method, "path", r.URL.Path, "limit", a.limits.BodyTimeout.String())
		refuse(w, http.StatusRequestTimeout, "The request body did not arrive in time.")
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		a.log.Debug("client went away", "path", r.URL.Path, "err", err)
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	a.log.Warn("proxy error", "method", r.Method, "path", r.URL.Path, "err", err)
	h := w.Header()
	h.Set("Strict-Transport-Security", hsts)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", "5")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, unavailablePage)
}

// unavailablePage is the 502 answer while Shiny does not answer (starting,
// restarting): short, and it reloads itself.
const unavailablePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Starting</title></head>
<body><p>The app is starting or restarting. This page reloads in a few seconds.</p></body></html>
`

// refuse answers with a short plain-text message.
func refuse(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Strict-Transport-Security", hsts)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

// serveHealth answers whether the task can serve (see health.go): 200 when
// Shiny answers or has been busy for less than BusyGrace, else 503.
func (a *agent) serveHealth(w http.ResponseWriter, r *http.Request) {
	v, busyFor, detail := a.health.check(r.Context())
	h := w.Header()
	h.Set("Strict-Transport-Security", hsts)
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body := map[string]any{"status": v.Status, "upstream": detail, "sessions": a.sessions.load()}
	code := http.StatusOK
	if busyFor > 0 {
		body["busy_seconds"] = int(busyFor.Seconds())
	}
	switch {
	case !v.Healthy:
		code = http.StatusServiceUnavailable
		a.log.Warn("health check: unhealthy", "status", v.Status, "upstream", detail, "busy_for", busyFor.Round(time.Second).String())
	case v.Status == "busy":
		a.log.Info("health check: Shiny busy, still healthy", "upstream", detail, "busy_for", busyFor.Round(time.Second).String(),
			"grace", a.limits.BusyGrace.String())
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// sessionWriter opens a session when ReverseProxy hijacks the browser's
// connection, which it does only for a 101 answer to an upgrade request.
type sessionWriter struct {
	http.ResponseWriter
	reg      *registry
	sess     *session
	hijacked bool // set and read on the handler goroutine only
}

func (s *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	s.hijacked = true
	s.sess.conn = c
	s.sess.touch(time.Now())
	s.reg.opened(s.sess)
	return &clientConn{Conn: c, sess: s.sess}, brw, nil
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *sessionWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// bufferPool recycles the 32 KiB buffers ReverseProxy copies plain bodies with.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(x []byte) { b.p.Put(&x) }

var copyBuffers = &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
