// Package edge plays the Application Load Balancer in `make local`: it routes
// with the listener rules the app stack synthesizes
// (cognitoauthalb.ListenerRules and Match), signs users in through the
// Cognito stand-in the way the authenticate-cognito action does, forwards to
// the tasks' sidecars with ALB-cookie stickiness, and adds the x-amzn-oidc-*
// headers. The decisions are the pure functions in this file; edge.go is the
// loop around them.
//
// Sources: "Authenticate users using an Application Load Balancer"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html),
// "Sticky sessions for your Application Load Balancer"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/sticky-sessions.html),
// "Listener rules for your Application Load Balancer" (redirect actions) and
// Cognito's "Logout endpoint"
// (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html).
package edge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// CallbackPath is where the IdP returns the browser to the ALB after sign-in
// (https://DNS/oauth2/idpresponse in the ALB guide).
const CallbackPath = "/oauth2/idpresponse"

// ActionKind is what the listener does with a request.
type ActionKind int

const (
	// Authenticate: the default action (sign in, then forward to the app).
	Authenticate ActionKind = iota
	// Forward to the logout target group without sign-in.
	ForwardLogout
	// Redirect (301) to Location.
	Redirect
	// Fixed answers Status with Body (text/plain).
	Fixed
)

// Action is the listener's decision for one request.
type Action struct {
	Kind     ActionKind
	Location string // for Redirect
	Status   int    // for Fixed
	Body     string // for Fixed
}

// Route applies the listener rules to a request for host and u, arriving on
// the listener's port (443 on AWS; the edge's port locally). A redirect rule
// answers 301 to https://HOST:PORT/#{path}?#{query}, as the rule the app stack
// synthesizes does (with the listener port in place of 443).
func Route(rules []cognitoauthalb.Rule, host string, u *url.URL, port int) Action {
	r := cognitoauthalb.Match(rules, host, u.Path)
	switch {
	case r.FixedStatus != 0:
		return Action{Kind: Fixed, Status: r.FixedStatus, Body: r.FixedBody}
	case r.RedirectHost != "":
		to := url.URL{Scheme: "https", Host: r.RedirectHost + ":" + strconv.Itoa(port), Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
		return Action{Kind: Redirect, Location: to.String()}
	case r.Forward == cognitoauthalb.TargetLogout:
		return Action{Kind: ForwardLogout}
	default:
		return Action{Kind: Authenticate}
	}
}

// MaxShardBytes bounds name=value of each session cookie shard. The ALB guide
// ("Authentication session cookie"): the load balancer splits a session cookie
// larger than 4K into multiple cookies, NAME-0, NAME-1, ...; browsers keep a
// cookie only when its name and value fit in 4096 bytes.
const MaxShardBytes = 4000

// ShardCookie splits value into cookies NAME-0, NAME-1, ... each with
// len(name)+len(value) <= MaxShardBytes. attrs supplies the attributes.
func ShardCookie(name, value string, attrs http.Cookie) []*http.Cookie {
	var out []*http.Cookie
	for i := 0; len(value) > 0 || i == 0; i++ {
		n := name + "-" + strconv.Itoa(i)
		room := MaxShardBytes - len(n)
		part := value[:min(room, len(value))]
		value = value[len(part):]
		c := attrs
		c.Name, c.Value = n, part
		out = append(out, &c)
	}
	return out
}

// JoinShards reassembles the session cookie from NAME-0, NAME-1, ... in a
// request, stopping at the first missing index. ok is false without NAME-0.
func JoinShards(cookies []*http.Cookie, name string) (value string, ok bool) {
	byName := map[string]string{}
	for _, c := range cookies {
		if _, seen := byName[c.Name]; !seen { // the first of duplicates wins
			byName[c.Name] = c.Value
		}
	}
	var b strings.Builder
	for i := 0; ; i++ {
		v, found := byName[name+"-"+strconv.Itoa(i)]
		if !found {
			return b.String(), i > 0
		}
		b.WriteString(v)
	}
}

// StickyCookie is the ALB's duration-based stickiness cookie name ("for
// duration-based cookies, AWSALB is the only name used"); StickyCORSCookie is
// its copy with SameSite=None for cross-origin requests.
const (
	StickyCookie     = "AWSALB"
	StickyCORSCookie = "AWSALBCORS"
	// StickyCookieLifetime is the cookie's own expiry. The ALB sets 7 days and
	// encodes the configured stickiness duration in the (encrypted) value.
	StickyCookieLifetime = 7 * 24 * time.Hour
)

// Target is a registered target's state as the load balancer sees it.
type Target struct {
	Healthy bool
	// Outstanding is how many requests the target is serving now (an open
	// websocket counts until it closes: an assumption, the ALB guide does not
	// say how upgraded connections count).
	Outstanding int
}

// PickTarget chooses the target of a request to the app target group with
// duration-based stickiness and the least outstanding requests algorithm the
// stack deploys (stacks.ShinyRoutingAlgorithm). A valid, unexpired cookie
// naming a healthy target keeps the request there. Otherwise the target with
// the fewest outstanding requests is chosen among the healthy ones, or among
// all when none is healthy (the ALB "fails open": with no healthy target it
// routes to all targets); ties go to the first in round-robin order from
// next. It
// returns the chosen index, the cookie value to set, which names the target
// and when stickiness ends (now + duration: the ALB resets the expiry after
// every request), and whether the cookie decided (sticky). The value is authenticated with key, as the ALB's is
// encrypted: a client cannot pick a target by editing it.
func PickTarget(cookie string, targets []Target, next int, now time.Time, duration time.Duration, key []byte) (idx int, value string, sticky bool) {
	if idx, until, ok := readSticky(cookie, key); ok && idx < len(targets) && targets[idx].Healthy && now.Before(until) {
		return idx, writeSticky(idx, now.Add(duration), key), true
	}
	var candidates []int
	for i, t := range targets {
		if t.Healthy {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		for i := range targets {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return -1, "", false
	}
	start := ((next % len(targets)) + len(targets)) % len(targets)
	// Candidates in round-robin order from start.
	slices.SortStableFunc(candidates, func(a, b int) int {
		return (a-start+len(targets))%len(targets) - (b-start+len(targets))%len(targets)
	})
	idx = candidates[0]
	for _, c := range candidates[1:] {
		if targets[c].Outstanding < targets[idx].Outstanding {
			idx = c
		}
	}
	return idx, writeSticky(idx, now.Add(duration), key), false
}

func writeSticky(idx int, until time.Time, key []byte) string {
	msg := binary.BigEndian.AppendUint32(nil, uint32(idx))
	msg = binary.BigEndian.AppendUint64(msg, uint64(until.Unix()))
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return base64.RawURLEncoding.EncodeToString(append(msg, m.Sum(nil)...))
}

func readSticky(v string, key []byte) (idx int, until time.Time, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != 12+sha256.Size {
		return 0, time.Time{}, false
	}
	m := hmac.New(sha256.New, key)
	m.Write(raw[:12])
	if !hmac.Equal(m.Sum(nil), raw[12:]) {
		return 0, time.Time{}, false
	}
	return int(binary.BigEndian.Uint32(raw[:4])), time.Unix(int64(binary.BigEndian.Uint64(raw[4:12])), 0), true
}

// LocalCognitoLocation rewrites a redirect to the user pool's hosted domain
// (https://PREFIX.auth.REGION.amazoncognito.com/..., which the logout server
// sends the browser to) into the same path and query on the local stand-in at
// standIn (scheme and host). Any other Location is returned unchanged. This is
// the one place the edge does what the ALB does not: a browser cannot reach
// Cognito for a user pool that exists only on this machine.
func LocalCognitoLocation(location, hostedDomain string, standIn *url.URL) string {
	u, err := url.Parse(location)
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, hostedDomain) {
		return location
	}
	u.Scheme, u.Host = standIn.Scheme, standIn.Host
	return u.String()
}

// oidcHeaders are the request headers the ALB sets after authentication; it
// replaces any a client sends.
var oidcHeaders = []string{sessionmodel.HeaderOIDCData, sessionmodel.HeaderOIDCIdentity, sessionmodel.HeaderOIDCAccessToken}

// IsOIDCHeader tells whether a header name is one the ALB sets itself.
func IsOIDCHeader(name string) bool {
	return slices.Contains(oidcHeaders, http.CanonicalHeaderKey(name))
}
