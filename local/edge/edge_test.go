package edge

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/local/cognito"
)

// echoTarget answers every request with the target's name and the headers it
// received, as JSON.
func echoTarget(t *testing.T, name string) *url.URL {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sessionmodel.AgentHealthPath {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"target": name, "host": r.Host, "header": r.Header})
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return u
}

type testEdge struct {
	edge *Edge
	url  string // https://shiny.localhost:PORT
	port int
	addr string
}

// newTestEdge serves an Edge over TLS on loopback, with two echo targets and
// a logout target that answers as the logout server does.
func newTestEdge(t *testing.T) *testEdge {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base := fmt.Sprintf("https://shiny.localhost:%d", port)
	logout := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/logout":
			http.SetCookie(w, &http.Cookie{Name: "AWSELBAuthSessionCookie-0", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
			http.SetCookie(w, &http.Cookie{Name: "AWSELBAuthSessionCookie-1", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
			q := url.Values{"client_id": {"client1"}, "logout_uri": {base + "/logged-out"}}
			http.Redirect(w, r, "https://p.auth.us-east-1.amazoncognito.com/logout?"+q.Encode(), http.StatusFound)
		case "/logged-out":
			fmt.Fprint(w, "signed out")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(logout.Close)
	logoutURL, _ := url.Parse(logout.URL)
	hosts := cognitoauthalb.Props{Settings: cognitoauthalb.Settings{Domain: "shiny.localhost:" + strconv.Itoa(port)}}
	pool := &cognito.Pool{ClientID: "client1", CallbackURLs: hosts.CallbackURLs(), LogoutURLs: hosts.LogoutURLs(), Issuer: "https://issuer"}
	e, err := New(Config{
		Domain: "shiny.localhost", Port: port, Region: "us-east-1", CognitoDomainPrefix: "p", Pool: pool,
		SessionTimeout: time.Hour, StickinessDuration: time.Hour,
		AppTargets: []*url.URL{echoTarget(t, "a"), echoTarget(t, "b")}, LogoutTarget: logoutURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e)
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &testEdge{edge: e, url: base, port: port, addr: ln.Addr().String()}
}

// browser is an HTTP client that resolves every name to the edge, as a
// browser resolves *.localhost to loopback, and keeps cookies.
func (te *testEdge) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, te.addr)
			},
		},
	}
}

var hiddenQuery = regexp.MustCompile(`name="query" value="([^"]*)"`)

// signIn follows the redirects to the sign-in form and submits it; it
// returns the app's answer.
func (te *testEdge) signIn(t *testing.T, c *http.Client, path, email string) map[string]any {
	t.Helper()
	resp, err := c.Get(te.url + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Host != te.edge.CognitoHost()+":"+strconv.Itoa(te.port) || resp.Request.URL.Path != "/oauth2/authorize" {
		t.Fatalf("not sent to the sign-in page: at %s", resp.Request.URL)
	}
	m := hiddenQuery.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no sign-in form: %s", body)
	}
	q := strings.ReplaceAll(string(m[1]), "&amp;", "&")
	resp, err = c.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String(), url.Values{
		"query": {q}, "email": {email}, "given_name": {"Jane"}, "family_name": {"Doe"}, "role": {"analyst"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return decodeEcho(t, resp)
}

func decodeEcho(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s: not the app's answer (%d): %v", resp.Request.URL, resp.StatusCode, err)
	}
	return v
}

func header(v map[string]any, name string) string {
	h, _ := v["header"].(map[string]any)
	vals, _ := h[name].([]any)
	if len(vals) == 0 {
		return ""
	}
	return fmt.Sprint(vals[0])
}

func TestEdgeSignInForwardsWithOIDCHeaders(t *testing.T) {
	te := newTestEdge(t)
	c := te.browser(t)
	got := te.signIn(t, c, "/some/page?x=1", "jane@example.com")
	data := header(got, "X-Amzn-Oidc-Data")
	parts := strings.Split(data, ".")
	if len(parts) != 3 {
		t.Fatalf("x-amzn-oidc-data %q is not a JWT", data)
	}
	raw, _ := base64.URLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(raw, &claims)
	if claims["email"] != "jane@example.com" || claims["given_name"] != "Jane" || claims["custom:role"] != "analyst" {
		t.Errorf("claims %v", claims)
	}
	if id := header(got, "X-Amzn-Oidc-Identity"); id == "" || id != claims["sub"] {
		t.Errorf("x-amzn-oidc-identity %q, want the sub %v", id, claims["sub"])
	}
	if header(got, "X-Amzn-Oidc-Accesstoken") == "" {
		t.Error("no x-amzn-oidc-accesstoken")
	}
	if got["host"] != "shiny.localhost:"+strconv.Itoa(te.port) || header(got, "X-Forwarded-Proto") != "https" {
		t.Errorf("host %v, X-Forwarded-Proto %q", got["host"], header(got, "X-Forwarded-Proto"))
	}

	// The session is in shards under 4 KiB; the original URL was restored.
	u, _ := url.Parse(te.url)
	var shards int
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, cognitoauthalb.SessionCookieName+"-") {
			shards++
			if len(ck.Name)+len(ck.Value) > MaxShardBytes {
				t.Errorf("%s is %d bytes", ck.Name, len(ck.Name)+len(ck.Value))
			}
		}
	}
	if shards < 2 {
		t.Errorf("%d session cookie shards, want at least 2 (the tokens do not fit one cookie)", shards)
	}

	// A client cannot supply or strip the identity headers.
	req, _ := http.NewRequest(http.MethodGet, te.url+"/", nil)
	req.Header.Set("X-Amzn-Oidc-Identity", "admin")
	req.Header.Set("X-Amzn-Oidc-Data", "forged")
	req.Header.Set("Connection", "X-Amzn-Oidc-Data, X-Amzn-Oidc-Identity")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got2 := decodeEcho(t, resp)
	if header(got2, "X-Amzn-Oidc-Identity") != claims["sub"] || header(got2, "X-Amzn-Oidc-Data") == "forged" || header(got2, "X-Amzn-Oidc-Data") == "" {
		t.Errorf("client-supplied identity headers reached the app: identity %q, data %.20q", header(got2, "X-Amzn-Oidc-Identity"), header(got2, "X-Amzn-Oidc-Data"))
	}
}

func TestEdgeStickinessAndRoundRobin(t *testing.T) {
	te := newTestEdge(t)
	first := te.browser(t)
	second := te.browser(t)
	a := te.signIn(t, first, "/", "a@example.com")["target"]
	b := te.signIn(t, second, "/", "b@example.com")["target"]
	if a == b {
		t.Fatalf("two new browsers both on target %v, want round robin", a)
	}
	for i := range 5 {
		for _, c := range []struct {
			client *http.Client
			want   any
		}{{first, a}, {second, b}} {
			resp, err := c.client.Get(te.url + "/")
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeEcho(t, resp)["target"]; got != c.want {
				t.Fatalf("request %d went to %v, want %v (AWSALB stickiness)", i, got, c.want)
			}
		}
	}
}

func TestEdgeSignOutThroughCognitoStandIn(t *testing.T) {
	te := newTestEdge(t)
	c := te.browser(t)
	te.signIn(t, c, "/", "jane@example.com")
	var chain []string
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		chain = append(chain, req.URL.Host+req.URL.Path)
		return nil
	}
	// From www: redirected to the apex first, where the cookies are.
	resp, err := c.Get(strings.Replace(te.url, "shiny.localhost", "www.shiny.localhost", 1) + "/logout")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p := strconv.Itoa(te.port)
	want := []string{"shiny.localhost:" + p + "/logout", te.edge.CognitoHost() + ":" + p + "/logout", "shiny.localhost:" + p + "/logged-out"}
	if strings.Join(chain, " ") != strings.Join(want, " ") || string(body) != "signed out" {
		t.Fatalf("sign-out went %v and ended with %q; want %v", chain, body, want)
	}
	u, _ := url.Parse(te.url)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, cognitoauthalb.SessionCookieName) {
			t.Errorf("cookie %s survived sign-out", ck.Name)
		}
	}
	// The hosted UI session ended as well: the next visit shows the form.
	resp, err = c.Get(te.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !hiddenQuery.Match(body) {
		t.Errorf("next visit: %d %s, want the sign-in form", resp.StatusCode, body)
	}
}

func TestEdgeRefusesForeignLogoutURI(t *testing.T) {
	te := newTestEdge(t)
	c := te.browser(t)
	q := url.Values{"client_id": {"client1"}, "logout_uri": {"https://evil.example/"}}
	resp, err := c.Get("https://" + te.edge.CognitoHost() + ":" + strconv.Itoa(te.port) + "/logout?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host == "evil.example" {
		t.Errorf("foreign logout_uri: %d at %s, want a 400 error page", resp.StatusCode, resp.Request.URL)
	}
}
