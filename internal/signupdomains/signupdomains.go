// Package signupdomains decides who may sign up to a user pool limited to
// some email domains (auth.signUp "domains"): the pre sign-up Lambda
// (./presignup) applies it, the stack validates auth.allowedEmailDomains and
// passes them to the Lambda with it, so both read one format.
package signupdomains

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// EnvAllowedDomains is the Lambda's environment variable: the allowed
// domains, comma-separated, e.g. "example.com,example.org".
const EnvAllowedDomains = "ALLOWED_EMAIL_DOMAINS"

// Trigger sources of the pre sign-up event.
const (
	TriggerSignUp           = "PreSignUp_SignUp"
	TriggerAdminCreateUser  = "PreSignUp_AdminCreateUser"
	TriggerExternalProvider = "PreSignUp_ExternalProvider"
)

// MaxDomains bounds the list (a Lambda's environment holds 4 KB).
const MaxDomains = 50

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckDomain says what is wrong with d as an allowed domain, or nil.
func CheckDomain(d string) error {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 || slices.ContainsFunc(labels, func(l string) bool { return !labelRE.MatchString(l) }) {
		return errors.New("must be a lowercase domain name such as example.com (no @, no wildcard; list each subdomain that may sign up)")
	}
	return nil
}

// Parse reads the environment variable's value.
func Parse(value string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(value, ",") {
		if err := CheckDomain(d); err != nil {
			return nil, fmt.Errorf("%s=%q: %q %w", EnvAllowedDomains, value, d, err)
		}
		out = append(out, d)
	}
	if len(out) > MaxDomains {
		return nil, fmt.Errorf("%s=%q: must list at most %d domains", EnvAllowedDomains, value, MaxDomains)
	}
	return out, nil
}

// Format is the environment variable's value for domains.
func Format(domains []string) string { return strings.Join(domains, ",") }

// ErrDomainNotAllowed is the refusal the user sees (Cognito shows it after
// "PreSignUp failed with error").
var ErrDomainNotAllowed = errors.New("sign-up is limited to email addresses of this organisation's domains")

// EmailDomain is the lowercased domain of an email address, or "" when the
// address has no local part or domain or holds spaces.
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

// Decide returns the response to a pre sign-up event, or the refusal. A
// self sign-up (or a first sign-in through an external provider) passes
// only when the email's domain is exactly one of domains (not a subdomain);
// a user an administrator creates passes (admins invite whom they choose).
// The response never confirms the user or verifies the email: the user
// proves the address with Cognito's code, which is what makes the domain
// check mean anything.
func Decide(ev events.CognitoEventUserPoolsPreSignup, domains []string) (events.CognitoEventUserPoolsPreSignup, error) {
	ev.Response = events.CognitoEventUserPoolsPreSignupResponse{}
	if ev.TriggerSource == TriggerAdminCreateUser {
		return ev, nil
	}
	if d := EmailDomain(ev.Request.UserAttributes["email"]); d == "" || !slices.Contains(domains, d) {
		return ev, ErrDomainNotAllowed
	}
	return ev, nil
}
