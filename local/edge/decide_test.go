package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
)

func TestRoute(t *testing.T) {
	rules := cognitoauthalb.ListenerRules("shiny.localhost", "/__sessionagent", "/__sessionagent/*")
	tests := []struct {
		name, host, target string
		want               Action
	}{
		{"app root signs in", "shiny.localhost:8443", "/", Action{Kind: Authenticate}},
		{"app path signs in", "shiny.localhost:8443", "/session/abc/dataobj", Action{Kind: Authenticate}},
		{"callback is the authenticate action's", "shiny.localhost:8443", "/oauth2/idpresponse?code=x", Action{Kind: Authenticate}},
		{"logout without sign-in", "shiny.localhost:8443", "/logout", Action{Kind: ForwardLogout}},
		{"logged-out without sign-in", "shiny.localhost:8443", "/logged-out", Action{Kind: ForwardLogout}},
		{"host is case-insensitive", "Shiny.LOCALHOST:8443", "/logout", Action{Kind: ForwardLogout}},
		{"path is case-sensitive", "shiny.localhost:8443", "/Logout", Action{Kind: Authenticate}},
		{"logout subpath is the app's", "shiny.localhost:8443", "/logout/x", Action{Kind: Authenticate}},
		{"www redirects with path and query", "www.shiny.localhost:8443", "/a/b?x=1&y=2", Action{Kind: Redirect, Location: "https://shiny.localhost:8443/a/b?x=1&y=2"}},
		{"www logout goes to the apex first", "www.shiny.localhost:8443", "/logout", Action{Kind: Redirect, Location: "https://shiny.localhost:8443/logout"}},
		{"sidecar endpoints are private", "shiny.localhost:8443", "/__sessionagent/healthz", Action{Kind: Fixed, Status: 404, Body: "Not found"}},
		{"private on www too", "www.shiny.localhost:8443", "/__sessionagent", Action{Kind: Fixed, Status: 404, Body: "Not found"}},
		{"escaped path kept", "www.shiny.localhost:8443", "/a%2Fb", Action{Kind: Redirect, Location: "https://shiny.localhost:8443/a%2Fb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.ParseRequestURI(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got := Route(rules, tt.host, u, 8443); got != tt.want {
				t.Errorf("Route(%s%s) = %+v, want %+v", tt.host, tt.target, got, tt.want)
			}
		})
	}
}

func TestShardCookieAndJoinShards(t *testing.T) {
	name := cognitoauthalb.SessionCookieName
	for _, size := range []int{0, 1, MaxShardBytes - len(name) - 2, MaxShardBytes - len(name) - 1, 5000, 3*MaxShardBytes + 7} {
		value := strings.Repeat("v", size)
		shards := ShardCookie(name, value, http.Cookie{Path: "/", Secure: true, HttpOnly: true})
		wantShards := max(1, (size+MaxShardBytes-len(name)-3)/(MaxShardBytes-len(name)-2))
		if len(shards) != wantShards {
			t.Errorf("size %d: %d shards, want %d", size, len(shards), wantShards)
		}
		for i, c := range shards {
			if c.Name != name+"-"+string(rune('0'+i)) {
				t.Errorf("size %d: shard %d named %s", size, i, c.Name)
			}
			if n := len(c.Name) + len(c.Value); n > MaxShardBytes {
				t.Errorf("size %d: shard %s has %d bytes, more than %d", size, c.Name, n, MaxShardBytes)
			}
			if c.Path != "/" || !c.Secure || !c.HttpOnly {
				t.Errorf("size %d: shard %s lost its attributes: %+v", size, c.Name, c)
			}
		}
		got, ok := JoinShards(shards, name)
		if !ok || got != value {
			t.Errorf("size %d: JoinShards = %d bytes, ok %v; want the value back", size, len(got), ok)
		}
	}
}

func TestJoinShards(t *testing.T) {
	c := func(name, value string) *http.Cookie { return &http.Cookie{Name: name, Value: value} }
	tests := []struct {
		name    string
		cookies []*http.Cookie
		want    string
		ok      bool
	}{
		{"none", nil, "", false},
		{"only -1", []*http.Cookie{c("S-1", "b")}, "", false},
		{"in order", []*http.Cookie{c("S-0", "a"), c("S-1", "b")}, "ab", true},
		{"out of order", []*http.Cookie{c("S-1", "b"), c("S-0", "a")}, "ab", true},
		{"stops at a gap", []*http.Cookie{c("S-0", "a"), c("S-2", "c")}, "a", true},
		{"other cookies ignored", []*http.Cookie{c("AWSALB", "x"), c("S-0", "a"), c("S-x", "y"), c("SS-1", "z")}, "a", true},
		{"first duplicate wins", []*http.Cookie{c("S-0", "a"), c("S-0", "evil")}, "a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := JoinShards(tt.cookies, "S")
			if got != tt.want || ok != tt.ok {
				t.Errorf("JoinShards = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPickTarget(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	day := 24 * time.Hour
	up := func(h ...bool) []Target {
		ts := make([]Target, len(h))
		for i, v := range h {
			ts[i].Healthy = v
		}
		return ts
	}
	valid := func(idx int, until time.Time) string { return writeSticky(idx, until, key) }
	forged := func() string {
		v := writeSticky(0, now.Add(day), []byte("another key, not the edge's one"))
		return v
	}
	tests := []struct {
		name       string
		cookie     string
		targets    []Target
		next       int
		wantIdx    int
		wantSticky bool
	}{
		{"no cookie: round robin from next", "", up(true, true), 1, 1, false},
		{"no cookie: next wraps", "", up(true, true), 2, 0, false},
		{"cookie keeps the target", valid(1, now.Add(time.Hour)), up(true, true), 0, 1, true},
		{"expired stickiness: a new choice", valid(1, now.Add(-time.Second)), up(true, true), 0, 0, false},
		{"unhealthy sticky target: moved", valid(1, now.Add(time.Hour)), up(true, false), 1, 0, false},
		{"skips unhealthy targets", "", up(false, true, false), 0, 1, false},
		{"none healthy: fail open to all", "", up(false, false), 1, 1, false},
		{"least outstanding requests", "", []Target{{Healthy: true, Outstanding: 2}, {Healthy: true, Outstanding: 1}, {Healthy: true, Outstanding: 3}}, 0, 1, false},
		{"least outstanding, tie in round-robin order", "", []Target{{Healthy: true, Outstanding: 1}, {Healthy: true, Outstanding: 0}, {Healthy: true, Outstanding: 0}}, 2, 2, false},
		{"tie wraps round robin", "", []Target{{Healthy: true, Outstanding: 0}, {Healthy: true, Outstanding: 1}, {Healthy: true, Outstanding: 0}}, 1, 2, false},
		{"least outstanding among healthy only", "", []Target{{Healthy: false, Outstanding: 0}, {Healthy: true, Outstanding: 5}}, 0, 1, false},
		{"sticky beats least outstanding", valid(0, now.Add(time.Hour)), []Target{{Healthy: true, Outstanding: 9}, {Healthy: true}}, 1, 0, true},
		{"forged cookie ignored", forged(), up(true, true), 1, 1, false},
		{"garbage cookie ignored", "not-a-cookie", up(true, true), 0, 0, false},
		{"index out of range ignored", valid(7, now.Add(time.Hour)), up(true, true), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, value, sticky := PickTarget(tt.cookie, tt.targets, tt.next, now, day, key)
			if idx != tt.wantIdx || sticky != tt.wantSticky {
				t.Fatalf("PickTarget = %d (sticky %v), want %d (sticky %v)", idx, sticky, tt.wantIdx, tt.wantSticky)
			}
			gotIdx, until, ok := readSticky(value, key)
			if !ok || gotIdx != idx || !until.Equal(now.Add(day)) {
				t.Errorf("cookie names target %d until %v (ok %v), want %d until %v (expiry reset on every request)", gotIdx, until, ok, idx, now.Add(day))
			}
		})
	}
	if idx, value, _ := PickTarget("", nil, 0, now, day, key); idx != -1 || value != "" {
		t.Errorf("no targets: PickTarget = %d, %q; want -1, \"\"", idx, value)
	}
}

func TestLocalCognitoLocation(t *testing.T) {
	standIn := &url.URL{Scheme: "https", Host: "p.auth.us-east-1.localhost:8443"}
	const hosted = "p.auth.us-east-1.amazoncognito.com"
	tests := []struct{ in, want string }{
		{"https://p.auth.us-east-1.amazoncognito.com/logout?client_id=abc&logout_uri=https%3A%2F%2Fx%2Flogged-out",
			"https://p.auth.us-east-1.localhost:8443/logout?client_id=abc&logout_uri=https%3A%2F%2Fx%2Flogged-out"},
		{"https://P.AUTH.us-east-1.amazoncognito.com/logout", "https://p.auth.us-east-1.localhost:8443/logout"},
		{"https://other.auth.us-east-1.amazoncognito.com/logout", "https://other.auth.us-east-1.amazoncognito.com/logout"},
		{"http://p.auth.us-east-1.amazoncognito.com/logout", "http://p.auth.us-east-1.amazoncognito.com/logout"},
		{"https://p.auth.us-east-1.amazoncognito.com.evil.example/logout", "https://p.auth.us-east-1.amazoncognito.com.evil.example/logout"},
		{"/logged-out", "/logged-out"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := LocalCognitoLocation(tt.in, hosted, standIn); got != tt.want {
			t.Errorf("LocalCognitoLocation(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsOIDCHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"x-amzn-oidc-data": true, "X-Amzn-Oidc-Identity": true, "X-AMZN-OIDC-ACCESSTOKEN": true,
		"x-amzn-oidc-data2": false, "x-amzn-trace-id": false, "cookie": false,
	} {
		if got := IsOIDCHeader(name); got != want {
			t.Errorf("IsOIDCHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestOIDCData checks the header as the ALB guide describes it, and that the
// signature verifies with the public key (ES256 over the padded segments).
func TestOIDCData(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Unix(1_800_000_000, 0)
	claims := map[string]any{"sub": "s-1", "email": "jane@example.com", "given_name": "Jane", "custom:role": "analyst"}
	tok, err := oidcData(key, "kid-1", "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/1", "https://issuer", "client-1", claims, exp)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%d segments", len(parts))
	}
	var header, payload map[string]any
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.URLEncoding.DecodeString(parts[i]) // padded, as the ALB's
		if err != nil {
			t.Fatalf("segment %d is not padded base64url: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[string]any{"alg": "ES256", "kid": "kid-1", "signer": "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/1",
		"iss": "https://issuer", "client": "client-1", "exp": float64(exp.Unix())} {
		if header[k] != want {
			t.Errorf("header %s = %v, want %v", k, header[k], want)
		}
	}
	for k, want := range map[string]any{"sub": "s-1", "email": "jane@example.com", "custom:role": "analyst", "exp": float64(exp.Unix()), "iss": "https://issuer"} {
		if payload[k] != want {
			t.Errorf("payload %s = %v, want %v", k, payload[k], want)
		}
	}
	sig, err := base64.URLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature: %v, %d bytes", err, len(sig))
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("signature does not verify with the signing key's public key")
	}
}

func TestSealer(t *testing.T) {
	s, err := newSealer()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	v, err := s.seal(session{Claims: map[string]any{"sub": "x"}, Expires: now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(v, now); err != nil || got.Claims["sub"] != "x" {
		t.Errorf("open = %+v, %v", got, err)
	}
	if _, err := s.open(v, now.Add(time.Hour)); err == nil {
		t.Error("an expired session opened")
	}
	tampered := []byte(v)
	tampered[len(tampered)/2] ^= 1
	if _, err := s.open(string(tampered), now); err == nil {
		t.Error("a tampered cookie opened")
	}
	other, _ := newSealer()
	if _, err := other.open(v, now); err == nil {
		t.Error("a cookie from another edge opened")
	}
}
