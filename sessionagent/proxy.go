package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// HealthPath is answered by the sidecar itself and never proxied. The target
// group's health check points at it.
const HealthPath = sessionmodel.AgentHealthPath

// healthTimeout bounds the health probe of the Shiny server.
const healthTimeout = 2 * time.Second

// agent is the HTTP handler of the sidecar: health endpoint, reverse proxy
// and session counting.
type agent struct {
	upstream  *url.URL
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	health    *http.Client
	sessions  *sessionCounter
	log       *slog.Logger
}

func newAgent(upstream *url.URL, sessions *sessionCounter, log *slog.Logger) *agent {
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
		health:    &http.Client{Transport: tr, Timeout: healthTimeout},
		sessions:  sessions,
		log:       log,
	}
	a.proxy = &httputil.ReverseProxy{
		Rewrite:       a.rewrite,
		Transport:     tr,
		FlushInterval: -1, // flush every write: streaming responses stay streaming
		BufferPool:    copyBuffers,
		ErrorHandler:  a.proxyError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a
}

// rewrite sends the request to the Shiny server as received: same Host, same
// headers (ALB's x-amzn-oidc-* included). ReverseProxy strips the forwarding
// headers before Rewrite; the ALB's values are put back, and the ALB's
// address is appended to X-Forwarded-For as any proxy in a chain does. Only
// the ALB can reach the sidecar's port, so its headers are trusted.
func (a *agent) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(a.upstream)
	pr.Out.Host = pr.In.Host
	if v, ok := pr.In.Header["X-Forwarded-For"]; ok {
		pr.Out.Header["X-Forwarded-For"] = v
	}
	pr.SetXForwarded()
	for _, h := range []string{"X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

func (a *agent) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		a.log.Debug("client went away", "path", r.URL.Path, "err", err)
	} else {
		a.log.Warn("proxy error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.WriteHeader(http.StatusBadGateway)
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		a.serveHealth(w, r)
		return
	}
	if !isWebSocketUpgrade(r) {
		a.proxy.ServeHTTP(w, r)
		return
	}
	// For an upgrade, ReverseProxy hijacks the client connection only after
	// the upstream answered 101, then copies both ways and returns from
	// ServeHTTP only when the copying is over and both connections are
	// closed (Go 1.26 net/http/httputil handleUpgradeResponse). So a session
	// starts at the hijack and ends when ServeHTTP returns.
	sw := &sessionWriter{ResponseWriter: w, sessions: a.sessions}
	defer func() {
		if sw.hijacked {
			a.sessions.add(-1)
		}
	}()
	a.proxy.ServeHTTP(sw, r)
}

// serveHealth answers for the Shiny server: 200 when GET / (of the upstream
// base path) answers with a status below 500 within healthTimeout, else 503.
func (a *agent) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	status, err := a.probeUpstream(r.Context())
	body := map[string]any{"sessions": a.sessions.load()}
	code := http.StatusOK
	switch {
	case err != nil:
		code = http.StatusServiceUnavailable
		body["status"] = "upstream unreachable"
		body["error"] = err.Error()
		a.log.Warn("health check: upstream unreachable", "err", err)
	case status >= 500:
		code = http.StatusServiceUnavailable
		body["status"] = "upstream unhealthy"
		body["upstream_status"] = status
		a.log.Warn("health check: upstream unhealthy", "upstream_status", status)
	default:
		body["status"] = "ok"
		body["upstream_status"] = status
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (a *agent) probeUpstream(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.upstream.JoinPath("/").String(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "sessionagent-healthcheck")
	resp, err := a.health.Do(req)
	if err != nil {
		return 0, err
	}
	// Read a little so the connection can be reused, then drop the rest.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// close releases idle upstream connections.
func (a *agent) close() { a.transport.CloseIdleConnections() }

// isWebSocketUpgrade reports whether r asks to switch to the websocket protocol.
func isWebSocketUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header["Connection"], "upgrade") &&
		headerHasToken(r.Header["Upgrade"], "websocket")
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

// sessionWriter counts a session when ReverseProxy hijacks the client
// connection, which it does only for a 101 answer to an upgrade request.
type sessionWriter struct {
	http.ResponseWriter
	sessions *sessionCounter
	hijacked bool // set and read on the handler goroutine only
}

func (s *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	s.hijacked = true
	s.sessions.add(1)
	return noHalfClose{c}, brw, nil
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *sessionWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// bufferPool recycles the 32 KiB buffers ReverseProxy copies bodies with.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(x []byte) { b.p.Put(&x) }

var copyBuffers = &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

// noHalfClose hides CloseWrite of a TCP connection. ReverseProxy, when one
// side of an upgraded connection reaches EOF, half-closes the other side
// and keeps waiting for it if it can; a websocket has no use for half-open
// connections, and a peer that ignores the FIN would keep a dead session
// counted. Without CloseWrite, the proxy tears down both sides as soon as
// either ends.
type noHalfClose struct{ net.Conn }
