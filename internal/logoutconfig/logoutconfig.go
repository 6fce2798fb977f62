// Package logoutconfig is the one definition of how the logout server is
// configured. The app stack imports the environment variable names from here
// when it builds the logout container definition, and the logout server loads
// and validates its configuration with Load, so the two never drift apart.
package logoutconfig

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/internal/awsid"
)

// Environment variables read by the logout server.
const (
	// EnvPort is the TCP port the server listens on: a decimal number
	// 1-65535, digits only (no sign, spaces, leading zeros or hex). Optional;
	// DefaultPort when unset.
	EnvPort = "LOGOUT_PORT"
	// EnvListenHost is the IP address the server listens on. Optional; when
	// unset (the default, and what the app stack leaves it at) the server
	// listens on all interfaces, which the ALB needs to reach the task over
	// the VPC. A local preview sets 127.0.0.1 so that nothing outside the
	// machine can reach it. The container health check (-healthcheck) asks
	// this address, or 127.0.0.1 when it is unset or unspecified (0.0.0.0, ::).
	EnvListenHost = "LOGOUT_LISTEN_HOST"
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
	// client's allowed sign-out URLs (logout_urls). Required. No port other
	// than 443, except on a loopback host (a local preview).
	EnvLogoutRedirectURI = "LOGOUT_REDIRECT_URI"
	// EnvSignInURL is the link offered on the signed-out page to sign in again,
	// e.g. https://app.example.com/. Required. Ports as for EnvLogoutRedirectURI.
	EnvSignInURL = "SIGN_IN_URL"
)

// Defaults for the optional variables.
const (
	DefaultPort           = 8080
	DefaultAuthCookieName = "AWSELBAuthSessionCookie"
)

// Config is the validated configuration of the logout server.
type Config struct {
	ListenHost          string // IP address to listen on; "" for all interfaces
	Port                int    // TCP port, 1-65535
	AuthCookieName      string // ALB session cookie name without the -N suffix
	CognitoDomainPrefix string // user pool domain prefix
	CognitoRegion       string // e.g. us-east-1
	CognitoClientID     string // app client id
	LogoutRedirectURI   string // absolute https URL Cognito redirects to after logout
	SignInURL           string // absolute https URL offered to sign in again
}

var (
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

	host, err := ListenHost(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.ListenHost = host
	port, err := Port(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Port = port

	if cfg.AuthCookieName == "" {
		cfg.AuthCookieName = DefaultAuthCookieName
	} else if !cookieNameRE.MatchString(cfg.AuthCookieName) {
		errs = append(errs, invalid(EnvAuthCookieName, cfg.AuthCookieName,
			"must be 1-64 characters from A-Z a-z 0-9 _ . - (unset: "+DefaultAuthCookieName+")"))
	}

	switch {
	case cfg.CognitoDomainPrefix == "":
		errs = append(errs, missing(EnvCognitoDomainPrefix, "the Cognito user pool domain prefix"))
	default:
		if err := awsid.CheckCognitoDomainPrefix(cfg.CognitoDomainPrefix); err != nil {
			errs = append(errs, invalid(EnvCognitoDomainPrefix, cfg.CognitoDomainPrefix, err.Error()))
		}
	}

	regionVar := EnvCognitoRegion
	if cfg.CognitoRegion == "" {
		cfg.CognitoRegion = getenv(EnvAWSRegion)
		regionVar = EnvAWSRegion
	}
	switch {
	case cfg.CognitoRegion == "":
		errs = append(errs, missing(EnvCognitoRegion,
			"the user pool's AWS region, such as us-east-1 ("+EnvAWSRegion+" is used when it is unset)"))
	default:
		if err := awsid.CheckRegion(cfg.CognitoRegion); err != nil {
			msg := err.Error()
			if regionVar == EnvAWSRegion {
				msg += " (" + EnvAWSRegion + " is read because " + EnvCognitoRegion + " is unset)"
			}
			errs = append(errs, invalid(regionVar, cfg.CognitoRegion, msg))
		}
	}

	switch {
	case cfg.CognitoClientID == "":
		errs = append(errs, missing(EnvCognitoClientID, "the Cognito app client id"))
	case !clientIDRE.MatchString(cfg.CognitoClientID):
		errs = append(errs, invalid(EnvCognitoClientID, cfg.CognitoClientID,
			"must be 1-128 ASCII letters and digits"))
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
// it; so does the container health check, which needs nothing else. Only
// digits are accepted: strconv.Atoi alone would take "+80".
func Port(getenv func(string) string) (int, error) {
	raw := getenv(EnvPort)
	if raw == "" {
		return DefaultPort, nil
	}
	port, ok := parsePort(raw)
	if !ok {
		return 0, invalid(EnvPort, raw, fmt.Sprintf(
			"must be a TCP port 1-65535 written in decimal digits only, no sign, spaces or leading zeros (unset: %d)", DefaultPort))
	}
	return port, nil
}

// parsePort accepts 1-65535 in canonical decimal: digits only, no leading zero.
func parsePort(s string) (int, bool) {
	n, ok := ParseDecimal(s, 65535)
	return n, ok && n > 0
}

// ParseDecimal accepts canonical decimal numbers from 0 to max: digits only,
// no sign, no leading zero, so exactly one spelling per number is accepted
// (strconv.Atoi would also take "+80" and "080").
func ParseDecimal(s string, max int) (int, bool) {
	if s == "" || len(s) > len(strconv.Itoa(max)) || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= max
}

// ListenHost reads and validates only EnvListenHost: "" (all interfaces)
// when unset, else an IP address. Load uses it; so does the container health
// check.
func ListenHost(getenv func(string) string) (string, error) {
	raw := getenv(EnvListenHost)
	if raw == "" {
		return "", nil
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil || addr.Zone() != "" || addr.String() != raw {
		return "", invalid(EnvListenHost, raw,
			"must be an IP address such as 127.0.0.1 or ::1, without brackets or zone (unset: all interfaces)")
	}
	return raw, nil
}

// Addr is the address the server listens on, host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.ListenHost, strconv.Itoa(c.Port)) }

// HealthCheckHost is the address the container health check asks: the
// listen host when it is a specific address, else 127.0.0.1.
func HealthCheckHost(listenHost string) string {
	if a, err := netip.ParseAddr(listenHost); err == nil && !a.IsUnspecified() {
		return a.String()
	}
	return "127.0.0.1"
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
		return invalid(name, raw, "must be "+allowed)
	}
	if strings.HasSuffix(u.Host, ":") || (u.Port() != "" && u.Port() != "443" && !loopbackHost(u.Hostname())) {
		return invalid(name, raw, "must not name a port other than 443: the ALB serves users on 443 only, "+
			"and Cognito compares the sign-out URL exactly with the app client's logout URLs, which carry no port "+
			"(e.g. https://app.example.com/logged-out; only a loopback host such as shiny.localhost, "+
			"used by a local preview, may name another port)")
	}
	return nil
}

// loopbackHost reports whether host can only name this machine: localhost,
// a *.localhost name (reserved for loopback by RFC 6761, and never a domain
// on AWS) or a loopback IP address. A local preview serves its edge there
// on a port of its own; no ALB or real Cognito is involved.
func loopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
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

// missing reports a required variable that is unset, in the house format
// VAR="": must be set to ....
func missing(name, what string) error {
	return fmt.Errorf("%s=\"\": must be set to %s", name, what)
}

// invalid reports a bad value in the house format VAR="value": must be ....
func invalid(name, value, rule string) error {
	return fmt.Errorf("%s=%q: %s", name, value, rule)
}
