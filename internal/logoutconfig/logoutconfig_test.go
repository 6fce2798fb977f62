package logoutconfig

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// validEnv is a complete, valid environment; tests copy and modify it.
func validEnv() map[string]string {
	return map[string]string{
		EnvPort:                "9090",
		EnvAuthCookieName:      "MyAuthCookie",
		EnvCognitoDomainPrefix: "shiny-app-123",
		EnvCognitoRegion:       "eu-west-2",
		EnvCognitoClientID:     "4abc123def456ghi789jkl0mno",
		EnvLogoutRedirectURI:   "https://app.example.com/logged-out",
		EnvSignInURL:           "https://app.example.com/",
	}
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadValid(t *testing.T) {
	cfg, err := Load(getenvFrom(validEnv()))
	if err != nil {
		t.Fatalf("Load: unexpected error: %v", err)
	}
	want := Config{
		Port:                9090,
		AuthCookieName:      "MyAuthCookie",
		CognitoDomainPrefix: "shiny-app-123",
		CognitoRegion:       "eu-west-2",
		CognitoClientID:     "4abc123def456ghi789jkl0mno",
		LogoutRedirectURI:   "https://app.example.com/logged-out",
		SignInURL:           "https://app.example.com/",
	}
	if cfg != want {
		t.Errorf("Load:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestLoadDefaults(t *testing.T) {
	env := validEnv()
	delete(env, EnvPort)
	delete(env, EnvAuthCookieName)
	delete(env, EnvCognitoRegion)
	env[EnvAWSRegion] = "us-gov-west-1"

	cfg, err := Load(getenvFrom(env))
	if err != nil {
		t.Fatalf("Load: unexpected error: %v", err)
	}
	if cfg.Port != DefaultPort || DefaultPort != 8080 {
		t.Errorf("Port = %d, want DefaultPort 8080", cfg.Port)
	}
	if cfg.AuthCookieName != "AWSELBAuthSessionCookie" {
		t.Errorf("AuthCookieName = %q, want AWSELBAuthSessionCookie", cfg.AuthCookieName)
	}
	if cfg.CognitoRegion != "us-gov-west-1" {
		t.Errorf("CognitoRegion = %q, want the AWS_REGION fallback us-gov-west-1", cfg.CognitoRegion)
	}
}

func TestLoadCognitoRegionWinsOverAWSRegion(t *testing.T) {
	env := validEnv()
	env[EnvAWSRegion] = "ap-southeast-2"
	cfg, err := Load(getenvFrom(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.CognitoRegion != "eu-west-2" {
		t.Errorf("CognitoRegion = %q, want eu-west-2 from COGNITO_REGION", cfg.CognitoRegion)
	}
}

func TestLoadAcceptsBoundaryValues(t *testing.T) {
	tests := []struct {
		name, key, value string
	}{
		{"port 1", EnvPort, "1"},
		{"port 65535", EnvPort, "65535"},
		{"one-character domain prefix", EnvCognitoDomainPrefix, "a"},
		{"63-character domain prefix", EnvCognitoDomainPrefix, "a" + strings.Repeat("-", 61) + "b"},
		{"digits-only domain prefix", EnvCognitoDomainPrefix, "123"},
		{"china region", EnvCognitoRegion, "cn-northwest-1"},
		{"URL with query", EnvSignInURL, "https://app.example.com/?a=1&b=2"},
		{"URL with port 443", EnvLogoutRedirectURI, "https://app.example.com:443/logged-out"},
		{"local preview URL with its own port", EnvLogoutRedirectURI, "https://shiny.localhost:8443/logged-out"},
		{"localhost URL with a port", EnvSignInURL, "https://localhost:8443/"},
		{"loopback IP URL with a port", EnvSignInURL, "https://127.0.0.1:8443/"},
		{"loopback IPv6 URL with a port", EnvSignInURL, "https://[::1]:8443/"},
		{"listen host IPv4", EnvListenHost, "127.0.0.1"},
		{"listen host IPv6", EnvListenHost, "::1"},
		{"listen host all interfaces", EnvListenHost, "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			env[tt.key] = tt.value
			if _, err := Load(getenvFrom(env)); err != nil {
				t.Errorf("Load with %s=%q: unexpected error: %v", tt.key, tt.value, err)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		key   string // variable to change
		value string // "" deletes it
		// wantVar is the variable the message must name (defaults to key).
		wantVar string
		// wantText must appear in the message, besides VAR="value".
		wantText string
	}{
		{name: "port not a number", key: EnvPort, value: "http"},
		{name: "port zero", key: EnvPort, value: "0"},
		{name: "port too large", key: EnvPort, value: "65536"},
		{name: "port negative", key: EnvPort, value: "-1"},
		{name: "port with plus sign", key: EnvPort, value: "+80"},
		{name: "port with leading space", key: EnvPort, value: " 80"},
		{name: "port with trailing space", key: EnvPort, value: "80 "},
		{name: "port in hex", key: EnvPort, value: "0x50"},
		{name: "port with leading zero", key: EnvPort, value: "080"},
		{name: "port with underscore", key: EnvPort, value: "8_080"},
		{name: "port non-ASCII digit", key: EnvPort, value: "٨٠"},
		{name: "listen host name", key: EnvListenHost, value: "localhost"},
		{name: "listen host with port", key: EnvListenHost, value: "127.0.0.1:80"},
		{name: "listen host bracketed", key: EnvListenHost, value: "[::1]"},
		{name: "listen host with zone", key: EnvListenHost, value: "fe80::1%eth0"},
		{name: "listen host injection", key: EnvListenHost, value: "localhost; rm -rf /"},
		{name: "cookie name with space", key: EnvAuthCookieName, value: "bad name"},
		{name: "cookie name with semicolon", key: EnvAuthCookieName, value: "a;b"},
		{name: "domain prefix missing", key: EnvCognitoDomainPrefix, value: "", wantText: "must be set"},
		{name: "domain prefix uppercase", key: EnvCognitoDomainPrefix, value: "Shiny"},
		{name: "domain prefix leading hyphen", key: EnvCognitoDomainPrefix, value: "-shiny"},
		{name: "domain prefix trailing hyphen", key: EnvCognitoDomainPrefix, value: "shiny-"},
		{name: "domain prefix dot", key: EnvCognitoDomainPrefix, value: "shiny.app"},
		{name: "domain prefix 64 chars", key: EnvCognitoDomainPrefix, value: strings.Repeat("a", 64)},
		{name: "domain prefix reserved word", key: EnvCognitoDomainPrefix, value: "my-cognito-login", wantText: "reserved word cognito"},
		{name: "region missing and no AWS_REGION", key: EnvCognitoRegion, value: "", wantText: "must be set"},
		{name: "region malformed", key: EnvCognitoRegion, value: "useast1"},
		{name: "region uppercase", key: EnvCognitoRegion, value: "US-EAST-1"},
		{name: "region injection", key: EnvCognitoRegion, value: "us-east-1.evil.example/x"},
		{name: "region unknown", key: EnvCognitoRegion, value: "zz-fake-9"},
		{name: "region well-formed but not a region", key: EnvCognitoRegion, value: "eu-west-9"},
		{name: "client id missing", key: EnvCognitoClientID, value: "", wantText: "must be set"},
		{name: "client id with symbols", key: EnvCognitoClientID, value: "abc&logout_uri=x"},
		{name: "client id too long", key: EnvCognitoClientID, value: strings.Repeat("a", 129)},
		{name: "logout uri missing", key: EnvLogoutRedirectURI, value: "", wantText: "must be set"},
		{name: "logout uri http", key: EnvLogoutRedirectURI, value: "http://app.example.com/logged-out"},
		{name: "logout uri relative", key: EnvLogoutRedirectURI, value: "/logged-out"},
		{name: "logout uri no host", key: EnvLogoutRedirectURI, value: "https:///logged-out"},
		{name: "logout uri user info", key: EnvLogoutRedirectURI, value: "https://user:pw@app.example.com/"},
		{name: "logout uri fragment", key: EnvLogoutRedirectURI, value: "https://app.example.com/#x"},
		{name: "logout uri javascript", key: EnvLogoutRedirectURI, value: "javascript:alert(1)"},
		{name: "logout uri odd port", key: EnvLogoutRedirectURI, value: "https://app.example.com:8443/logged-out", wantText: "port other than 443"},
		{name: "logout uri port 80", key: EnvLogoutRedirectURI, value: "https://app.example.com:80/logged-out", wantText: "port other than 443"},
		{name: "logout uri empty port", key: EnvLogoutRedirectURI, value: "https://app.example.com:/logged-out", wantText: "port other than 443"},
		{name: "logout uri padded 443", key: EnvLogoutRedirectURI, value: "https://app.example.com:0443/logged-out", wantText: "port other than 443"},
		{name: "sign-in url odd port", key: EnvSignInURL, value: "https://app.example.com:4443/", wantText: "port other than 443"},
		{name: "sign-in url odd port on a look-alike of localhost", key: EnvSignInURL, value: "https://localhost.example.com:4443/", wantText: "port other than 443"},
		{name: "sign-in url odd port on a private IP", key: EnvSignInURL, value: "https://10.0.0.1:4443/", wantText: "port other than 443"},
		{name: "sign-in url missing", key: EnvSignInURL, value: "", wantText: "must be set"},
		{name: "sign-in url ftp", key: EnvSignInURL, value: "ftp://app.example.com/"},
		{name: "sign-in url quote", key: EnvSignInURL, value: `https://app.example.com/"><script>`},
		{name: "sign-in url space", key: EnvSignInURL, value: "https://app.example.com/a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			if tt.value == "" {
				delete(env, tt.key)
			} else {
				env[tt.key] = tt.value
			}
			cfg, err := Load(getenvFrom(env))
			if err == nil {
				t.Fatalf("Load with %s=%q: got nil error and %+v, want an error", tt.key, tt.value, cfg)
			}
			if cfg != (Config{}) {
				t.Errorf("Load returned a non-zero Config with its error: %+v", cfg)
			}
			msg := err.Error()
			wantVar := tt.wantVar
			if wantVar == "" {
				wantVar = tt.key
			}
			// The house format: VAR="value": must ...
			if want := wantVar + "=" + strconv.Quote(tt.value) + ": must "; !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %s", msg, want)
			}
			if tt.wantText != "" && !strings.Contains(msg, tt.wantText) {
				t.Errorf("error %q does not contain %s", msg, tt.wantText)
			}
			// Exactly one problem: the other variables are valid.
			if n := len(joined(err)); n != 1 {
				t.Errorf("got %d problems, want 1: %q", n, msg)
			}
		})
	}
}

func TestLoadAWSRegionFallbackInvalidNamesBoth(t *testing.T) {
	env := validEnv()
	delete(env, EnvCognitoRegion)
	env[EnvAWSRegion] = "moon-base"
	_, err := Load(getenvFrom(env))
	if err == nil {
		t.Fatal("Load: got nil error for AWS_REGION=moon-base")
	}
	for _, want := range []string{EnvAWSRegion + `="moon-base": must be a known AWS region`, EnvCognitoRegion + " is unset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	env := map[string]string{
		EnvListenHost:          "example.com",
		EnvPort:                "99999",
		EnvAuthCookieName:      "no good",
		EnvCognitoDomainPrefix: "UPPER",
		EnvCognitoClientID:     "a-b",
		EnvLogoutRedirectURI:   "http://x.example/",
	}
	_, err := Load(getenvFrom(env))
	if err == nil {
		t.Fatal("Load: got nil error")
	}
	problems := joined(err)
	if len(problems) != 8 {
		t.Errorf("got %d problems, want 8:\n%v", len(problems), err)
	}
	// Every problem, in the fixed order of the variables (not map order).
	want := []string{
		EnvListenHost + `="example.com": must be`,
		EnvPort + `="99999": must be`,
		EnvAuthCookieName + `="no good": must be`,
		EnvCognitoDomainPrefix + `="UPPER": must be`,
		EnvCognitoRegion + `="": must be set`,
		EnvCognitoClientID + `="a-b": must be`,
		EnvLogoutRedirectURI + `="http://x.example/": must be`,
		EnvSignInURL + `="": must be set`,
	}
	for i, p := range problems {
		if i < len(want) && !strings.HasPrefix(p.Error(), want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, p, want[i])
		}
	}
}

func TestListenAddress(t *testing.T) {
	env := validEnv()
	cfg, err := Load(getenvFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenHost != "" || cfg.Addr() != ":9090" {
		t.Errorf("unset %s: ListenHost %q Addr %q, want all interfaces :9090", EnvListenHost, cfg.ListenHost, cfg.Addr())
	}
	env[EnvListenHost] = "::1"
	if cfg, err = Load(getenvFrom(env)); err != nil || cfg.Addr() != "[::1]:9090" {
		t.Errorf("%s=::1: Addr %q, %v; want [::1]:9090", EnvListenHost, cfg.Addr(), err)
	}
	for host, want := range map[string]string{"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "127.0.0.1",
		"127.0.0.2": "127.0.0.2", "::1": "::1"} {
		if got := HealthCheckHost(host); got != want {
			t.Errorf("HealthCheckHost(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestPort(t *testing.T) {
	if p, err := Port(getenvFrom(nil)); err != nil || p != 8080 {
		t.Errorf("Port() unset = %d, %v; want 8080, nil", p, err)
	}
	if p, err := Port(getenvFrom(map[string]string{EnvPort: "8081"})); err != nil || p != 8081 {
		t.Errorf("Port() = %d, %v; want 8081, nil", p, err)
	}
	if _, err := Port(getenvFrom(map[string]string{EnvPort: "8o8o"})); err == nil ||
		!strings.Contains(err.Error(), `LOGOUT_PORT="8o8o": must be`) {
		t.Errorf("Port() with 8o8o: error %v, want one naming LOGOUT_PORT and the value", err)
	}
}

func TestCognitoLogoutURL(t *testing.T) {
	cfg := Config{
		CognitoDomainPrefix: "shiny-app",
		CognitoRegion:       "us-east-1",
		CognitoClientID:     "abc123",
		LogoutRedirectURI:   "https://app.example.com/logged-out?x=1&y=2",
	}
	want := "https://shiny-app.auth.us-east-1.amazoncognito.com/logout" +
		"?client_id=abc123&logout_uri=https%3A%2F%2Fapp.example.com%2Flogged-out%3Fx%3D1%26y%3D2"
	if got := cfg.CognitoLogoutURL(); got != want {
		t.Errorf("CognitoLogoutURL:\n got %s\nwant %s", got, want)
	}
}

func TestEnvNames(t *testing.T) {
	// The stack passes these names to the container; renaming one is a
	// breaking change that must be deliberate.
	got := []string{EnvListenHost, EnvPort, EnvAuthCookieName, EnvCognitoDomainPrefix, EnvCognitoRegion,
		EnvCognitoClientID, EnvLogoutRedirectURI, EnvSignInURL, EnvAWSRegion}
	want := []string{"LOGOUT_LISTEN_HOST", "LOGOUT_PORT", "AUTH_COOKIE_NAME", "COGNITO_DOMAIN_PREFIX", "COGNITO_REGION",
		"COGNITO_CLIENT_ID", "LOGOUT_REDIRECT_URI", "SIGN_IN_URL", "AWS_REGION"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("env name %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// joined returns the individual problems behind Load's error.
func joined(err error) []error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		return j.Unwrap()
	}
	return []error{err}
}
