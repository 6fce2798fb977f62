package cognito

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Pool is the stand-in user pool with its one app client and hosted UI.
type Pool struct {
	// ClientID is the app client's id.
	ClientID string
	// CallbackURLs and LogoutURLs are the app client's allowed callback and
	// sign-out URLs (cognitoauthalb.Props.CallbackURLs and LogoutURLs).
	CallbackURLs, LogoutURLs []string
	// Issuer is the user pool's issuer, https://cognito-idp.REGION.amazonaws.com/POOL_ID.
	Issuer string
	// TokenValidity is how long issued tokens last. Default: 1 hour (Cognito's default).
	TokenValidity time.Duration
	// Log receives one line per sign-in and sign-out. Default: slog.Default().
	Log *slog.Logger

	once     sync.Once
	key      *ecdsa.PrivateKey
	mu       sync.Mutex
	sessions map[string]User   // hosted UI session cookie -> user
	codes    map[string]grant  // authorization code -> grant
	subs     map[string]string // email -> sub, stable across sign-ins
}

// User is a signed-in user's attributes.
type User struct {
	Sub, Email, GivenName, FamilyName, Role string
}

type grant struct {
	user        User
	redirectURI string
	expires     time.Time
}

// Tokens is the token endpoint's answer plus the userinfo endpoint's claims,
// which the ALB fetches server-side after the code grant.
type Tokens struct {
	IDToken, AccessToken, RefreshToken string
	// UserInfo are the claims the userinfo endpoint returns.
	UserInfo map[string]any
	Expires  time.Time
}

// sessionCookie is the hosted UI's own session cookie, on its own host.
const sessionCookie = "cognito"

// codeValidity is how long an authorization code can be redeemed (Cognito: 5 minutes).
const codeValidity = 5 * time.Minute

func (p *Pool) init() {
	p.once.Do(func() {
		var err error
		if p.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic("cognito stand-in: generate key: " + err.Error())
		}
		p.sessions, p.codes, p.subs = map[string]User{}, map[string]grant{}, map[string]string{}
		if p.TokenValidity == 0 {
			p.TokenValidity = time.Hour
		}
		if p.Log == nil {
			p.Log = slog.Default()
		}
	})
}

// Handler serves the hosted UI: GET /oauth2/authorize, POST /login, GET /logout.
func (p *Pool) Handler() http.Handler {
	p.init()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", p.authorize)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("GET /logout", p.logout)
	return mux
}

func (p *Pool) authorize(w http.ResponseWriter, r *http.Request) {
	req, err := CheckAuthorize(r.URL.Query(), p.ClientID, p.CallbackURLs)
	if err != nil {
		errorPage(w, err)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		u, ok := p.sessions[c.Value]
		p.mu.Unlock()
		if ok { // already signed in to the hosted UI: no form, as with Cognito
			http.Redirect(w, r, p.codeRedirect(u, req), http.StatusFound)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = signInPage.Execute(w, struct {
		Query string
		Error string
	}{Query: r.URL.RawQuery})
}

func (p *Pool) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q, err := url.ParseQuery(r.PostForm.Get("query"))
	if err != nil {
		errorPage(w, err)
		return
	}
	req, err := CheckAuthorize(q, p.ClientID, p.CallbackURLs)
	if err != nil {
		errorPage(w, err)
		return
	}
	in, err := CheckSignIn(r.PostForm)
	if err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = signInPage.Execute(w, struct{ Query, Error string }{Query: q.Encode(), Error: err.Error()})
		return
	}
	p.mu.Lock()
	sub, ok := p.subs[in.Email]
	if !ok {
		sub = newUUID()
		p.subs[in.Email] = sub
	}
	u := User{Sub: sub, Email: in.Email, GivenName: in.GivenName, FamilyName: in.FamilyName, Role: in.Role}
	sid := randomString(32)
	p.sessions[sid] = u
	p.mu.Unlock()
	p.Log.Info("signed in", "sub", u.Sub)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, p.codeRedirect(u, req), http.StatusFound)
}

// logout ends the hosted UI session and redirects to logout_uri (see CheckLogout).
func (p *Pool) logout(w http.ResponseWriter, r *http.Request) {
	to, err := CheckLogout(r.URL.Query(), p.ClientID, p.LogoutURLs)
	if err != nil {
		errorPage(w, err)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.sessions, c.Value)
		p.mu.Unlock()
	}
	p.Log.Info("signed out")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

func (p *Pool) codeRedirect(u User, req AuthorizeRequest) string {
	code := newUUID()
	p.mu.Lock()
	now := time.Now()
	for c, g := range p.codes { // drop unredeemed codes
		if now.After(g.expires) {
			delete(p.codes, c)
		}
	}
	p.codes[code] = grant{user: u, redirectURI: req.RedirectURI, expires: now.Add(codeValidity)}
	p.mu.Unlock()
	v := url.Values{"code": {code}}
	if req.State != "" {
		v.Set("state", req.State)
	}
	return req.RedirectURI + "?" + v.Encode()
}

// Exchange redeems an authorization code once, as the ALB does at its
// callback (token endpoint, then userinfo endpoint): the code must have been
// issued for this client and redirect_uri and not have expired.
func (p *Pool) Exchange(code, clientID, redirectURI string) (Tokens, error) {
	p.init()
	p.mu.Lock()
	g, ok := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()
	switch {
	case !ok:
		return Tokens{}, errors.New("invalid_grant: unknown or used authorization code")
	case time.Now().After(g.expires):
		return Tokens{}, errors.New("invalid_grant: authorization code expired")
	case clientID != p.ClientID:
		return Tokens{}, errors.New("invalid_client")
	case redirectURI != g.redirectURI:
		return Tokens{}, errors.New("invalid_grant: redirect_uri differs from the authorization request")
	}
	now := time.Now()
	exp := now.Add(p.TokenValidity)
	info := map[string]any{
		"sub": g.user.Sub, "email": g.user.Email, "email_verified": "true",
		"given_name": g.user.GivenName, "family_name": g.user.FamilyName, "username": g.user.Sub,
	}
	if g.user.Role != "" {
		info["custom:role"] = g.user.Role
	}
	id := map[string]any{"aud": p.ClientID, "token_use": "id", "auth_time": now.Unix(), "iat": now.Unix(), "exp": exp.Unix(), "iss": p.Issuer}
	for k, v := range info {
		id[k] = v
	}
	access := map[string]any{
		"sub": g.user.Sub, "client_id": p.ClientID, "token_use": "access", "scope": "openid email profile",
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": exp.Unix(), "iss": p.Issuer, "username": g.user.Sub,
		"jti": newUUID(), "origin_jti": newUUID(),
	}
	idTok, err := p.sign(id)
	if err != nil {
		return Tokens{}, err
	}
	accTok, err := p.sign(access)
	if err != nil {
		return Tokens{}, err
	}
	// Cognito's refresh token is an opaque encrypted blob (a JWE) of about
	// 1.8 KB; with it the ALB's session cookie needs two shards, as on AWS.
	return Tokens{IDToken: idTok, AccessToken: accTok, RefreshToken: randomString(1780), UserInfo: info, Expires: exp}, nil
}

// sign makes a compact ES256 JWS (unpadded base64url, as Cognito's tokens).
func (p *Pool) sign(claims map[string]any) (string, error) {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "local-cognito", "typ": "JWT"})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	rr, ss, err := ecdsa.Sign(rand.Reader, p.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}

func errorPage(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_ = errPage.Execute(w, err.Error())
}

func randomString(n int) string {
	b := make([]byte, n*3/4+1)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

var errPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto">
<h1>An error was encountered with the requested page.</h1>
<p>(Local stand-in for the Amazon Cognito hosted UI.)</p>
<pre id="error" style="white-space: pre-wrap">{{.}}</pre>
</body></html>
`))

var signInPage = template.Must(template.New("signin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
label { display: block; margin-top: .8rem; } input { width: 100%; padding: .4rem; box-sizing: border-box; }
button { margin-top: 1.2rem; padding: .5rem 1.2rem; } .note { color: #666; font-size: .9rem; } .error { color: #a00; white-space: pre-wrap; }
</style></head>
<body>
<h1>Sign in</h1>
<p class="note">Local stand-in for the Amazon Cognito hosted UI: any email signs in, no password.</p>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="query" value="{{.Query}}">
<label>Email <input id="email" name="email" type="email" required autocomplete="email"></label>
<label>Given name <input id="given_name" name="given_name" required></label>
<label>Family name <input id="family_name" name="family_name" required></label>
<label>Role (custom:role, optional) <input id="role" name="role"></label>
<button id="sign-in" type="submit">Sign in</button>
</form>
</body></html>
`))
