package edge

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/local/cognito"
)

// Config configures an Edge. Every field is required unless it says otherwise.
type Config struct {
	// Domain is the apex host (e.g. shiny.localhost); www.Domain redirects to it.
	Domain string
	// Port is the listener port, in URLs the edge builds (the ALB's 443).
	Port int
	// Region and CognitoDomainPrefix name the hosted UI domain
	// PREFIX.auth.REGION.amazoncognito.com; the stand-in is served at
	// PREFIX.auth.REGION.localhost on the same port.
	Region, CognitoDomainPrefix string
	// Pool is the Cognito stand-in; its ClientID is the app client's.
	Pool *cognito.Pool
	// SessionTimeout is how long a sign-in lasts (authenticate-cognito's session_timeout).
	SessionTimeout time.Duration
	// StickinessDuration is the app target group's lb_cookie duration.
	StickinessDuration time.Duration
	// AppTargets are the app target group's targets (the tasks' sidecars).
	AppTargets []*url.URL
	// PrivatePaths are the path patterns the listener answers 404 on every
	// host (cognitoauthalb.Props.PrivatePaths). Default: none.
	PrivatePaths []string
	// LogoutTarget is the logout server.
	LogoutTarget *url.URL
	// HealthInterval is how often targets are checked. Default: 5s.
	HealthInterval time.Duration
	// Log receives the edge's logs. Default: slog.Default().
	Log *slog.Logger
}

// Edge is the local load balancer. It is an http.Handler; serve it over TLS
// (see SelfSignedCertificate).
type Edge struct {
	cfg       Config
	rules     []cognitoauthalb.Rule
	sealer    sealer
	signKey   *ecdsa.PrivateKey
	kid       string
	stickyKey []byte
	healthy   []atomic.Bool
	inflight  []atomic.Int64 // outstanding requests per app target
	next      atomic.Int64
	app       []*httputil.ReverseProxy
	logout    *httputil.ReverseProxy
	pool      http.Handler

	mu      sync.Mutex
	pending map[string]pendingAuth // state -> original request
}

type pendingAuth struct {
	returnTo string
	expires  time.Time
}

const (
	pendingLimit    = 10000
	pendingValidity = 15 * time.Minute
	// albARN is the "signer" in x-amzn-oidc-data: the load balancer's ARN.
	albARNFormat = "arn:aws:elasticloadbalancing:%s:000000000000:loadbalancer/app/local-preview/0000000000000000"
)

// New returns an Edge for cfg.
func New(cfg Config) (*Edge, error) {
	switch {
	case cfg.Domain == "" || cfg.Port < 1 || cfg.Port > 65535:
		return nil, fmt.Errorf("edge: Domain and Port are required (got %q, %d)", cfg.Domain, cfg.Port)
	case cfg.Pool == nil || cfg.LogoutTarget == nil || len(cfg.AppTargets) == 0:
		return nil, errors.New("edge: Pool, LogoutTarget and AppTargets are required")
	case cfg.SessionTimeout <= 0 || cfg.StickinessDuration <= 0:
		return nil, errors.New("edge: SessionTimeout and StickinessDuration must be positive")
	}
	if cfg.HealthInterval == 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	e := &Edge{cfg: cfg, rules: cognitoauthalb.ListenerRules(cfg.Domain, cfg.PrivatePaths...), pending: map[string]pendingAuth{}, pool: cfg.Pool.Handler()}
	var err error
	if e.sealer, err = newSealer(); err != nil {
		return nil, err
	}
	if e.signKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	e.kid = randomID(18)
	e.stickyKey = make([]byte, 32)
	if _, err := rand.Read(e.stickyKey); err != nil {
		return nil, err
	}
	e.healthy = make([]atomic.Bool, len(cfg.AppTargets))
	e.inflight = make([]atomic.Int64, len(cfg.AppTargets))
	for i, t := range cfg.AppTargets {
		e.healthy[i].Store(true) // the runner registers a target once it answers
		e.app = append(e.app, e.proxy(t, nil))
	}
	standIn := &url.URL{Scheme: "https", Host: e.CognitoHost() + ":" + strconv.Itoa(cfg.Port)}
	hosted := cfg.CognitoDomainPrefix + ".auth." + cfg.Region + ".amazoncognito.com"
	e.logout = e.proxy(cfg.LogoutTarget, func(resp *http.Response) error {
		if loc := resp.Header.Get("Location"); loc != "" {
			resp.Header.Set("Location", LocalCognitoLocation(loc, hosted, standIn))
		}
		return nil
	})
	return e, nil
}

// CognitoHost is the stand-in's host: PREFIX.auth.REGION.localhost.
func (e *Edge) CognitoHost() string {
	return e.cfg.CognitoDomainPrefix + ".auth." + e.cfg.Region + ".localhost"
}

// URL is the app's address: https://DOMAIN:PORT/.
func (e *Edge) URL() string { return "https://" + e.cfg.Domain + ":" + strconv.Itoa(e.cfg.Port) + "/" }

// Hosts are the names the edge answers for (for its certificate).
func (e *Edge) Hosts() []string {
	return []string{e.cfg.Domain, cognitoauthalb.WWWHost(e.cfg.Domain), e.CognitoHost()}
}

func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch host {
	case e.CognitoHost():
		e.pool.ServeHTTP(w, r)
		return
	case e.cfg.Domain, cognitoauthalb.WWWHost(e.cfg.Domain):
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusMisdirectedRequest)
		fmt.Fprintf(w, `<p>This local preview answers for <a href="%s">%s</a>.</p>`, html.EscapeString(e.URL()), html.EscapeString(e.URL()))
		return
	}
	act := Route(e.rules, r.Host, r.URL, e.cfg.Port)
	switch act.Kind {
	case Fixed:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(act.Status)
		_, _ = io.WriteString(w, act.Body)
	case Redirect:
		http.Redirect(w, r, act.Location, http.StatusMovedPermanently)
	case ForwardLogout:
		e.logout.ServeHTTP(w, r)
	default:
		if r.URL.Path == CallbackPath {
			e.callback(w, r)
			return
		}
		joined, ok := JoinShards(r.Cookies(), cognitoauthalb.SessionCookieName)
		if !ok {
			e.startAuth(w, r)
			return
		}
		s, err := e.sealer.open(joined, time.Now())
		if err != nil {
			e.startAuth(w, r)
			return
		}
		e.forwardApp(w, r, s)
	}
}

// startAuth sends the browser to the IdP's authorization endpoint with a
// state that remembers the original request, as the authenticate action does.
func (e *Edge) startAuth(w http.ResponseWriter, r *http.Request) {
	state := randomID(32)
	now := time.Now()
	e.mu.Lock()
	for s, p := range e.pending {
		if now.After(p.expires) {
			delete(e.pending, s)
		}
	}
	if len(e.pending) >= pendingLimit {
		e.mu.Unlock()
		http.Error(w, "too many sign-ins in progress", http.StatusServiceUnavailable)
		return
	}
	e.pending[state] = pendingAuth{returnTo: r.URL.RequestURI(), expires: now.Add(pendingValidity)}
	e.mu.Unlock()
	q := url.Values{
		"client_id": {e.cfg.Pool.ClientID}, "redirect_uri": {"https://" + r.Host + CallbackPath},
		"response_type": {"code"}, "scope": {"openid"}, "state": {state},
	}
	to := url.URL{Scheme: "https", Host: e.CognitoHost() + ":" + strconv.Itoa(e.cfg.Port), Path: "/oauth2/authorize", RawQuery: q.Encode()}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// callback redeems the code, sets the session cookie shards and returns the
// browser to where it was going.
func (e *Edge) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	p, ok := e.pending[q.Get("state")]
	delete(e.pending, q.Get("state"))
	e.mu.Unlock()
	if !ok || time.Now().After(p.expires) {
		http.Error(w, "401 Authorization Required: unknown or expired state", http.StatusUnauthorized)
		return
	}
	tok, err := e.cfg.Pool.Exchange(q.Get("code"), e.cfg.Pool.ClientID, "https://"+r.Host+CallbackPath)
	if err != nil {
		e.cfg.Log.Warn("sign-in callback refused", "err", err)
		http.Error(w, "401 Authorization Required", http.StatusUnauthorized)
		return
	}
	expires := time.Now().Add(e.cfg.SessionTimeout)
	sealed, err := e.sealer.seal(session{Claims: tok.UserInfo, AccessToken: tok.AccessToken, IDToken: tok.IDToken, RefreshToken: tok.RefreshToken, Expires: expires.Unix()})
	if err != nil {
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	shards := ShardCookie(cognitoauthalb.SessionCookieName, sealed, http.Cookie{Path: "/", Expires: expires, Secure: true, HttpOnly: true})
	for _, c := range shards {
		http.SetCookie(w, c)
	}
	// Shards of an earlier, longer session would be joined to the new one.
	for _, c := range r.Cookies() {
		if idx, ok := strings.CutPrefix(c.Name, cognitoauthalb.SessionCookieName+"-"); ok {
			if n, err := strconv.Atoi(idx); err == nil && n >= len(shards) {
				http.SetCookie(w, &http.Cookie{Name: c.Name, Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.returnTo, http.StatusFound)
}

func (e *Edge) forwardApp(w http.ResponseWriter, r *http.Request, s session) {
	targets := make([]Target, len(e.healthy))
	for i := range e.healthy {
		targets[i].Healthy = e.healthy[i].Load()
		targets[i].Outstanding = int(e.inflight[i].Load())
	}
	var cookie string
	if c, err := r.Cookie(StickyCookie); err == nil {
		cookie = c.Value
	}
	now := time.Now()
	idx, value, sticky := PickTarget(cookie, targets, int(e.next.Load()), now, e.cfg.StickinessDuration, e.stickyKey)
	if !sticky {
		e.next.Store(int64(idx + 1)) // a new choice moves round-robin on
	}
	exp := now.Add(StickyCookieLifetime)
	http.SetCookie(w, &http.Cookie{Name: StickyCookie, Value: value, Path: "/", Expires: exp})
	http.SetCookie(w, &http.Cookie{Name: StickyCORSCookie, Value: value, Path: "/", Expires: exp, Secure: true, SameSite: http.SameSiteNoneMode})

	for name := range r.Header {
		if IsOIDCHeader(name) {
			r.Header.Del(name)
		}
	}
	// The JWT's exp is the end of the authentication session (an assumption:
	// the guide only says to check it).
	data, err := oidcData(e.signKey, e.kid, fmt.Sprintf(albARNFormat, e.cfg.Region), e.cfg.Pool.Issuer, e.cfg.Pool.ClientID, s.Claims, time.Unix(s.Expires, 0))
	if err != nil {
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	sub, _ := s.Claims["sub"].(string)
	set := http.Header{}
	set.Set(sessionmodel.HeaderOIDCData, data)
	set.Set(sessionmodel.HeaderOIDCIdentity, sub)
	set.Set(sessionmodel.HeaderOIDCAccessToken, s.AccessToken)
	e.inflight[idx].Add(1)
	defer e.inflight[idx].Add(-1)
	e.app[idx].ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), oidcKey{}, set)))
}

// oidcKey carries the x-amzn-oidc-* headers of a request to the proxy's
// Rewrite, which sets them after hop-by-hop headers are removed, so a client's
// "Connection: x-amzn-oidc-data" cannot strip them.
type oidcKey struct{}

// proxy forwards to target as the ALB does: the Host header is kept, and
// X-Forwarded-For (client address appended), -Proto and -Port are set.
func (e *Edge) proxy(target *url.URL, modify func(*http.Response) error) *httputil.ReverseProxy {
	port := strconv.Itoa(e.cfg.Port)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			client, _, _ := net.SplitHostPort(pr.In.RemoteAddr)
			if prior := pr.In.Header.Get("X-Forwarded-For"); prior != "" {
				client = prior + ", " + client
			}
			pr.Out.Header.Set("X-Forwarded-For", client)
			pr.Out.Header.Set("X-Forwarded-Proto", "https")
			pr.Out.Header.Set("X-Forwarded-Port", port)
			if set, ok := pr.In.Context().Value(oidcKey{}).(http.Header); ok {
				for k, v := range set {
					pr.Out.Header[k] = v
				}
			}
		},
		ModifyResponse: modify,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			e.cfg.Log.Warn("target did not answer", "target", target.String(), "err", err)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"))
		},
		ErrorLog: slog.NewLogLogger(e.cfg.Log.Handler(), slog.LevelWarn),
	}
}

// WatchHealth checks each app target's health path (the target group's
// health check, sessionmodel.AgentHealthPath) every HealthInterval until ctx
// ends; a target that answers anything but 200 is unhealthy.
func (e *Edge) WatchHealth(ctx context.Context) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	t := time.NewTicker(e.cfg.HealthInterval)
	defer t.Stop()
	for {
		for i, target := range e.cfg.AppTargets {
			ok := false
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.JoinPath(sessionmodel.AgentHealthPath).String(), nil)
			if err == nil {
				if resp, err := client.Do(req); err == nil {
					ok = resp.StatusCode == http.StatusOK
					resp.Body.Close()
				}
			}
			if ctx.Err() != nil {
				return
			}
			if e.healthy[i].Swap(ok) != ok {
				e.cfg.Log.Info("target health changed", "target", target.String(), "healthy", ok)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
