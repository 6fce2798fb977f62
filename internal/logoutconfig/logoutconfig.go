// Package logoutconfig is the one definition of how the logout server is
// configured. The app stack imports the environment variable names from here
// when it builds the logout container definition, and the logout server loads
// and validates its configuration with Load, so the two never drift apart.
package logoutconfig

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Environment variables read by the logout server.
const (
	// EnvPort is the TCP port the server listens on (all interfaces).
	// Optional; DefaultPort when unset.
	EnvPort = "LOGOUT_PORT"
	// EnvAuthCookieName is the ALB authentication session cookie name, without
	// the shard suffix (the ALB sets NAME-0, NAME-1, ...). It must match the
	// authenticate-cognito action's session_cookie_name. Optional;
	// DefaultAuthCookieName when unset.
	EnvAuthCookieName = "AUTH_COOKIE_NAME"
	// EnvCognitoDomainPrefix is the Cognito user pool domain prefix (the
	// "prefix" in https://prefix.auth.region.amazoncognito.com). Required.
	EnvCognitoDomainPrefix = "COGNITO_DOMAIN_PREFIX"
	// EnvCognitoRegion is the user pool's AWS region, e.g. us-east-1.
	// Required; EnvAWSRegion is used when it is unset.
	EnvCognitoRegion = "COGNITO_REGION"
	// EnvAWSRegion is the fallback for EnvCognitoRegion (ECS sets it in tasks).
	EnvAWSRegion = "AWS_REGION"
	// EnvCognitoClientID is the user pool app client id used by the ALB. Required.
	EnvCognitoClientID = "COGNITO_CLIENT_ID"
	// EnvLogoutRedirectURI is where Cognito sends the browser after signing
	// out, e.g. https://app.example.com/logged-out. It must be listed in the app
	// client's allowed sign-out URLs (logout_urls). Required.
	EnvLogoutRedirectURI = "LOGOUT_REDIRECT_URI"
	// EnvSignInURL is the link offered on the signed-out page to sign in again,
	// e.g. https://app.example.com/. Required.
	EnvSignInURL = "SIGN_IN_URL"
)

// Defaults for the optional variables.
const (
	DefaultPort           = 8080
	DefaultAuthCookieName = "AWSELBAuthSessionCookie"
)

// Config is the validated configuration of the logout server.
type Config struct {
	Port                int    // TCP port, 1-65535
	AuthCookieName      string // ALB session cookie name without the -N suffix
	CognitoDomainPrefix string // user pool domain prefix
	CognitoRegion       string // e.g. us-east-1
	CognitoClientID     string // app client id
	LogoutRedirectURI   string // absolute https URL Cognito redirects to after logout
	SignInURL           string // absolute https URL offered to sign in again
}

// ValidDomainPrefix tells whether s is a valid Cognito user pool domain
// prefix (the stack's config validation uses it too).
func ValidDomainPrefix(s string) bool { return domainPrefixRE.MatchString(s) }

var (
	// Cognito user pool domain prefixes: lowercase letters, digits and
	// hyphens, 1-63 characters, no leading or trailing hyphen.
	domainPrefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	// AWS region names: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ...
	regionRE = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$`)
	// Cognito app client ids are alphanumeric (26 characters in practice).
	clientIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
	// Cookie names: a conservative subset of RFC 6265 token characters.
	cookieNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// Load reads the configuration through getenv (os.Getenv in production),
// applies defaults and validates every variable. All problems are reported at
// once, joined with errors.Join; each names the variable, the value received
// and what is allowed.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		AuthCookieName:      getenv(EnvAuthCookieName),
		CognitoDomainPrefix: getenv(EnvCognitoDomainPrefix),
		CognitoRegion:       getenv(EnvCognitoRegion),
		CognitoClientID:     getenv(EnvCognitoClientID),
		LogoutRedirectURI:   getenv(EnvLogoutRedirectURI),
		SignInURL:           getenv(EnvSignInURL),
	}

	port, err := Port(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Port = port

	if cfg.AuthCookieName == "" {
		cfg.AuthCookieName = DefaultAuthCookieName
	} else if !cookieNameRE.MatchString(cfg.AuthCookieName) {
		errs = append(errs, invalid(EnvAuthCookieName, cfg.AuthCookieName,
			"1-64 characters from A-Z a-z 0-9 _ . - (default "+DefaultAuthCookieName+")"))
	}

	switch {
	case cfg.CognitoDomainPrefix == "":
		errs = append(errs, missing(EnvCognitoDomainPrefix, "the Cognito user pool domain prefix"))
	case !domainPrefixRE.MatchString(cfg.CognitoDomainPrefix):
		errs = append(errs, invalid(EnvCognitoDomainPrefix, cfg.CognitoDomainPrefix,
			"1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen"))
	}

	regionVar := EnvCognitoRegion
	if cfg.CognitoRegion == "" {
		cfg.CognitoRegion = getenv(EnvAWSRegion)
		regionVar = EnvAWSRegion + " (fallback for " + EnvCognitoRegion + ")"
	}
	switch {
	case cfg.CognitoRegion == "":
		errs = append(errs, missing(EnvCognitoRegion,
			"an AWS region such as us-east-1 ("+EnvAWSRegion+" is used when it is unset)"))
	case !regionRE.MatchString(cfg.CognitoRegion):
		errs = append(errs, invalid(regionVar, cfg.CognitoRegion, "an AWS region such as us-east-1"))
	}

	switch {
	case cfg.CognitoClientID == "":
		errs = append(errs, missing(EnvCognitoClientID, "the Cognito app client id"))
	case !clientIDRE.MatchString(cfg.CognitoClientID):
		errs = append(errs, invalid(EnvCognitoClientID, cfg.CognitoClientID,
			"1-128 ASCII letters and digits"))
	}

	if err := checkHTTPSURL(EnvLogoutRedirectURI, cfg.LogoutRedirectURI); err != nil {
		errs = append(errs, err)
	}
	if err := checkHTTPSURL(EnvSignInURL, cfg.SignInURL); err != nil {
		errs = append(errs, err)
	}

	if len(errs) > 0 {
		return Config{}, fmt.Errorf("logout configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// Port reads and validates only EnvPort (DefaultPort when unset). Load uses
// it; so does the container health check, which needs nothing else.
func Port(getenv func(string) string) (int, error) {
	raw := getenv(EnvPort)
	if raw == "" {
		return DefaultPort, nil
	}
	port, err := strconv.Atoi(raw)
	if err != nil || port < 1 || port > 65535 {
		return 0, invalid(EnvPort, raw, fmt.Sprintf("a decimal TCP port 1-65535 (default %d)", DefaultPort))
	}
	return port, nil
}

// CognitoLogoutURL is the Cognito hosted UI logout endpoint that signs the
// user out of the user pool and then redirects to LogoutRedirectURI:
// https://PREFIX.auth.REGION.amazoncognito.com/logout?client_id=ID&logout_uri=URI
func (c Config) CognitoLogoutURL() string {
	u := url.URL{
		Scheme: "https",
		Host:   c.CognitoDomainPrefix + ".auth." + c.CognitoRegion + ".amazoncognito.com",
		Path:   "/logout",
		RawQuery: url.Values{
			"client_id":  {c.CognitoClientID},
			"logout_uri": {c.LogoutRedirectURI},
		}.Encode(),
	}
	return u.String()
}

func checkHTTPSURL(name, raw string) error {
	const allowed = "an absolute https URL with a host, no user info, no fragment and no spaces, quotes, " +
		"angle brackets or non-ASCII characters, e.g. https://app.example.com/logged-out"
	if raw == "" {
		return missing(name, allowed)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Opaque != "" || !plainURLChars(raw) {
		return invalid(name, raw, allowed)
	}
	return nil
}

// plainURLChars reports whether s is printable ASCII without the characters
// that never belong in a configured URL: space, " < > \ ` { | } ^ and # (no
// fragments: Cognito compares sign-out URLs exactly).
func plainURLChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\`{|}^#", c) >= 0 {
			return false
		}
	}
	return true
}

func missing(name, allowed string) error {
	return fmt.Errorf("%s is required but not set: want %s", name, allowed)
}

func invalid(name, value, allowed string) error {
	return fmt.Errorf("%s=%q is invalid: want %s", name, value, allowed)
}
