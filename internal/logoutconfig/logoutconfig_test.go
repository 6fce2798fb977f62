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
		{"URL with port", EnvLogoutRedirectURI, "https://app.example.com:8443/logged-out"},
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
		// wantText must appear in the message (defaults to the quoted value).
		wantText string
	}{
		{name: "port not a number", key: EnvPort, value: "http"},
		{name: "port zero", key: EnvPort, value: "0"},
		{name: "port too large", key: EnvPort, value: "65536"},
		{name: "port negative", key: EnvPort, value: "-1"},
		{name: "cookie name with space", key: EnvAuthCookieName, value: "bad name"},
		{name: "cookie name with semicolon", key: EnvAuthCookieName, value: "a;b"},
		{name: "domain prefix missing", key: EnvCognitoDomainPrefix, value: "", wantText: "required"},
		{name: "domain prefix uppercase", key: EnvCognitoDomainPrefix, value: "Shiny"},
		{name: "domain prefix leading hyphen", key: EnvCognitoDomainPrefix, value: "-shiny"},
		{name: "domain prefix trailing hyphen", key: EnvCognitoDomainPrefix, value: "shiny-"},
		{name: "domain prefix dot", key: EnvCognitoDomainPrefix, value: "shiny.app"},
		{name: "domain prefix 64 chars", key: EnvCognitoDomainPrefix, value: strings.Repeat("a", 64)},
		{name: "region missing and no AWS_REGION", key: EnvCognitoRegion, value: "", wantText: "required"},
		{name: "region malformed", key: EnvCognitoRegion, value: "useast1"},
		{name: "region uppercase", key: EnvCognitoRegion, value: "US-EAST-1"},
		{name: "region injection", key: EnvCognitoRegion, value: "us-east-1.evil.example/x"},
		{name: "client id missing", key: EnvCognitoClientID, value: "", wantText: "required"},
		{name: "client id with symbols", key: EnvCognitoClientID, value: "abc&logout_uri=x"},
		{name: "client id too long", key: EnvCognitoClientID, value: strings.Repeat("a", 129)},
		{name: "logout uri missing", key: EnvLogoutRedirectURI, value: "", wantText: "required"},
		{name: "logout uri http", key: EnvLogoutRedirectURI, value: "http://app.example.com/logged-out"},
		{name: "logout uri relative", key: EnvLogoutRedirectURI, value: "/logged-out"},
		{name: "logout uri no host", key: EnvLogoutRedirectURI, value: "https:///logged-out"},
		{name: "logout uri user info", key: EnvLogoutRedirectURI, value: "https://user:pw@app.example.com/"},
		{name: "logout uri fragment", key: EnvLogoutRedirectURI, value: "https://app.example.com/#x"},
		{name: "logout uri javascript", key: EnvLogoutRedirectURI, value: "javascript:alert(1)"},
		{name: "sign-in url missing", key: EnvSignInURL, value: "", wantText: "required"},
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
			wantText := tt.wantText
			if wantText == "" {
				wantText = strconv.Quote(tt.value)
			}
			if !strings.Contains(msg, wantVar) {
				t.Errorf("error %q does not name the variable %s", msg, wantVar)
			}
			if !strings.Contains(msg, wantText) {
				t.Errorf("error %q does not contain %s", msg, wantText)
			}
			if !strings.Contains(msg, "want ") {
				t.Errorf("error %q does not say what is allowed", msg)
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
	for _, want := range []string{EnvAWSRegion, EnvCognitoRegion, `"moon-base"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	env := map[string]string{
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
	if len(problems) != 7 {
		t.Errorf("got %d problems, want 7:\n%v", len(problems), err)
	}
	msg := err.Error()
	for _, want := range []string{
		EnvPort + `="99999"`,
		EnvAuthCookieName + `="no good"`,
		EnvCognitoDomainPrefix + `="UPPER"`,
		EnvCognitoRegion + " is required",
		EnvCognitoClientID + `="a-b"`,
		EnvLogoutRedirectURI + `="http://x.example/"`,
		EnvSignInURL + " is required",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%v", want, msg)
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
		!strings.Contains(err.Error(), `LOGOUT_PORT="8o8o"`) {
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
	got := []string{EnvPort, EnvAuthCookieName, EnvCognitoDomainPrefix, EnvCognitoRegion,
		EnvCognitoClientID, EnvLogoutRedirectURI, EnvSignInURL, EnvAWSRegion}
	want := []string{"LOGOUT_PORT", "AUTH_COOKIE_NAME", "COGNITO_DOMAIN_PREFIX", "COGNITO_REGION",
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
