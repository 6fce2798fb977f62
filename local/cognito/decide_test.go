package cognito

import (
	"net/url"
	"strings"
	"testing"
)

var (
	callbacks = []string{"https://shiny.localhost:8443/oauth2/idpresponse", "https://www.shiny.localhost:8443/oauth2/idpresponse"}
	logouts   = []string{"https://shiny.localhost:8443/logged-out", "https://www.shiny.localhost:8443/logged-out"}
)

func TestCheckLogout(t *testing.T) {
	tests := []struct {
		name, query, want, err string
	}{
		{"listed URL", "client_id=c1&logout_uri=https%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out", logouts[0], ""},
		{"www URL is listed too", "client_id=c1&logout_uri=https%3A%2F%2Fwww.shiny.localhost%3A8443%2Flogged-out", logouts[1], ""},
		{"wrong client", "client_id=c2&logout_uri=https%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out", "", `client_id="c2"`},
		{"no client", "logout_uri=https%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out", "", `client_id=""`},
		{"unlisted URL (open redirect)", "client_id=c1&logout_uri=https%3A%2F%2Fevil.example%2F", "", `logout_uri="https://evil.example/"`},
		{"prefix of a listed URL", "client_id=c1&logout_uri=https%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out%2Fx", "", "must be one of"},
		{"other port", "client_id=c1&logout_uri=https%3A%2F%2Fshiny.localhost%3A9443%2Flogged-out", "", "must be one of"},
		{"http", "client_id=c1&logout_uri=http%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out", "", "must be one of"},
		{"missing logout_uri", "client_id=c1", "", "given once (got 0)"},
		{"logout_uri twice", "client_id=c1&logout_uri=https%3A%2F%2Fshiny.localhost%3A8443%2Flogged-out&logout_uri=https%3A%2F%2Fevil.example%2F", "", "given once (got 2)"},
		{"redirect_uri form not offered", "client_id=c1&redirect_uri=https%3A%2F%2Fshiny.localhost%3A8443%2F&response_type=code", "", "given once (got 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CheckLogout(q, "c1", logouts)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("CheckLogout = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || got != "" {
				t.Errorf("CheckLogout = %q, %v; want an error containing %q", got, err, tt.err)
			}
		})
	}
}

func TestCheckAuthorize(t *testing.T) {
	ok := url.Values{"response_type": {"code"}, "client_id": {"c1"}, "redirect_uri": {callbacks[0]}, "state": {"s"}, "scope": {"openid"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range ok {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	if req, err := CheckAuthorize(ok, "c1", callbacks); err != nil || req.State != "s" || req.RedirectURI != callbacks[0] {
		t.Errorf("valid request: %+v, %v", req, err)
	}
	for name, tt := range map[string]struct {
		q   url.Values
		err string
	}{
		"implicit grant":               {with("response_type", "token"), `response_type="token"`},
		"no response type":             {with("response_type", ""), `response_type=""`},
		"wrong client":                 {with("client_id", "c2"), `client_id="c2"`},
		"unlisted callback":            {with("redirect_uri", "https://evil.example/oauth2/idpresponse"), "callback URLs"},
		"callback on http":             {with("redirect_uri", "http://shiny.localhost:8443/oauth2/idpresponse"), "callback URLs"},
		"logout URL is not a callback": {with("redirect_uri", logouts[0]), "callback URLs"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CheckAuthorize(tt.q, "c1", callbacks); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CheckAuthorize: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestCheckSignIn(t *testing.T) {
	form := func(email, given, family, role string) url.Values {
		return url.Values{"email": {email}, "given_name": {given}, "family_name": {family}, "role": {role}}
	}
	got, err := CheckSignIn(form(" jane@example.com ", " Jane", "Doe ", ""))
	if err != nil || got != (SignIn{Email: "jane@example.com", GivenName: "Jane", FamilyName: "Doe"}) {
		t.Errorf("valid form: %+v, %v", got, err)
	}
	for name, tt := range map[string]struct {
		f   url.Values
		err string
	}{
		"no email":        {form("", "Jane", "Doe", ""), "email"},
		"not an email":    {form("jane", "Jane", "Doe", ""), "email"},
		"no domain":       {form("jane@", "Jane", "Doe", ""), "email"},
		"markup in email": {form("<b>@x.y", "Jane", "Doe", ""), "email"},
		"no given name":   {form("j@x.y", " ", "Doe", ""), "given_name: required"},
		"no family name":  {form("j@x.y", "Jane", "", ""), "family_name: required"},
		"huge role":       {form("j@x.y", "Jane", "Doe", strings.Repeat("r", 300)), "role: must be at most"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CheckSignIn(tt.f); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CheckSignIn: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestExchangeOnceForItsRedirect(t *testing.T) {
	p := &Pool{ClientID: "c1", CallbackURLs: callbacks, LogoutURLs: logouts, Issuer: "https://issuer"}
	p.init()
	u := User{Sub: "s1", Email: "j@x.y", GivenName: "J", FamilyName: "D", Role: "analyst"}
	code := func() string {
		to, _ := url.Parse(p.codeRedirect(u, AuthorizeRequest{ClientID: "c1", RedirectURI: callbacks[0], State: "st"}))
		if to.Query().Get("state") != "st" {
			t.Fatalf("state not returned: %s", to)
		}
		return to.Query().Get("code")
	}
	c := code()
	tok, err := p.Exchange(c, "c1", callbacks[0])
	if err != nil {
		t.Fatal(err)
	}
	if tok.UserInfo["sub"] != "s1" || tok.UserInfo["custom:role"] != "analyst" || tok.AccessToken == "" {
		t.Errorf("tokens %+v", tok.UserInfo)
	}
	if _, err := p.Exchange(c, "c1", callbacks[0]); err == nil {
		t.Error("a code was redeemed twice")
	}
	if _, err := p.Exchange(code(), "c1", callbacks[1]); err == nil {
		t.Error("a code was redeemed for another redirect_uri")
	}
	if _, err := p.Exchange(code(), "c2", callbacks[0]); err == nil {
		t.Error("a code was redeemed by another client")
	}
}
