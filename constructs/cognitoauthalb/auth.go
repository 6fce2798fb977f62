package cognitoauthalb

import (
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpool"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdapermission"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
	"github.com/shinyfargate/shiny-cdktf/internal/golambda"
	"github.com/shinyfargate/shiny-cdktf/internal/signupdomains"
)

// Who may sign up (AuthSettings.SignUp).
const (
	// SignUpOpen lets anyone with an email address create an account.
	SignUpOpen = "open"
	// SignUpInvite lets only administrators create accounts
	// (aws cognito-idp admin-create-user); Cognito emails the invitation.
	SignUpInvite = "invite"
	// SignUpDomains lets anyone sign up whose email is at one of
	// AllowedEmailDomains (a pre sign-up Lambda refuses the rest).
	SignUpDomains = "domains"
)

// How users sign in (AuthSettings.MFA).
const (
	MFAOff      = "off"
	MFAOptional = "optional" // users may add an authenticator app (TOTP)
	MFAOn       = "on"       // every user sets up an authenticator app at sign-in
)

// SignUpModes and MFAModes are the allowed values, in the order documented.
var (
	SignUpModes = []string{SignUpOpen, SignUpInvite, SignUpDomains}
	MFAModes    = []string{MFAOff, MFAOptional, MFAOn}
)

// AuthSettings are who may create an account and how users sign in.
type AuthSettings struct {
	// SignUp is who may create an account: "open" (anyone, from the sign-in
	// page), "invite" (administrators only, e.g. aws cognito-idp
	// admin-create-user) or "domains" (anyone whose email address is at one
	// of allowedEmailDomains; administrators may still invite anyone).
	SignUp string `json:"signUp"`
	// AllowedEmailDomains are the email domains that may sign up with
	// signUp "domains", e.g. ["example.com"]; subdomains are listed one by one.
	AllowedEmailDomains []string `json:"allowedEmailDomains"`
	// MFA is multi-factor sign-in with an authenticator app (TOTP): "off",
	// "optional" (each user chooses) or "on" (every user, set up at the next sign-in).
	MFA string `json:"mfa"`
}

// DefaultAuth is today's behaviour: open sign-up, no MFA.
func DefaultAuth() AuthSettings { return AuthSettings{SignUp: SignUpOpen, MFA: MFAOff} }

func (a AuthSettings) withDefaults() AuthSettings {
	d := DefaultAuth()
	if a.SignUp == "" {
		a.SignUp = d.SignUp
	}
	if a.MFA == "" {
		a.MFA = d.MFA
	}
	return a
}

func (a AuthSettings) validate(p *check.Problems) {
	if !slices.Contains(SignUpModes, a.SignUp) {
		p.Add("signUp", a.SignUp, fmt.Sprintf("must be one of %q", SignUpModes))
	}
	switch {
	case a.SignUp == SignUpDomains && len(a.AllowedEmailDomains) == 0:
		p.Add("allowedEmailDomains", a.AllowedEmailDomains, `must list at least one domain with signUp "domains", such as ["example.com"]`)
	case a.SignUp != SignUpDomains && len(a.AllowedEmailDomains) > 0:
		p.Add("allowedEmailDomains", a.AllowedEmailDomains, fmt.Sprintf(`only used with signUp "domains" (signUp is %q); set it or remove the list`, a.SignUp))
	}
	if len(a.AllowedEmailDomains) > signupdomains.MaxDomains {
		p.Add("allowedEmailDomains", len(a.AllowedEmailDomains), fmt.Sprintf("domains: must be at most %d", signupdomains.MaxDomains))
	}
	seen := map[string]bool{}
	for i, d := range a.AllowedEmailDomains {
		field := fmt.Sprintf("allowedEmailDomains[%d]", i)
		if err := signupdomains.CheckDomain(d); err != nil {
			p.Add(field, d, err.Error())
		} else if seen[d] {
			p.Add(field, d, "is listed twice")
		}
		seen[d] = true
	}
	if !slices.Contains(MFAModes, a.MFA) {
		p.Add("mfa", a.MFA, fmt.Sprintf("must be one of %q", MFAModes))
	}
}

// adminCreateOnly is the user pool's allow_admin_create_user_only.
func (a AuthSettings) adminCreateOnly() bool { return a.SignUp == SignUpInvite }

// mfaConfiguration sets the user pool's MFA; nil leaves it off (the
// provider's default), so pools without MFA synthesize as before.
func (a AuthSettings) mfaConfiguration(pool *cognitouserpool.CognitoUserPoolConfig) {
	if a.MFA == MFAOff {
		return
	}
	pool.MfaConfiguration = jsii.String(map[string]string{MFAOptional: "OPTIONAL", MFAOn: "ON"}[a.MFA])
	pool.SoftwareTokenMfaConfiguration = &cognitouserpool.CognitoUserPoolSoftwareTokenMfaConfiguration{Enabled: jsii.Bool(true)}
}

// preSignUp creates the pre sign-up Lambda of signUp "domains": its log
// group, a role that may write there only, the function with the allowed
// domains in its environment, and Cognito's permission to invoke it (for
// this user pool only, set by allowPreSignUp once the pool exists).
func (a *CognitoAuthALB) preSignUp(ns constructs.Construct, p Props) {
	l := golambda.New(ns, golambda.IDs{
		LogGroup: "PreSignUpLogGroup", AssumeRole: "AssumePreSignUpByLambda", Role: "PreSignUpRole",
		PolicyDocument: "PreSignUpPolicyDocument", Policy: "PreSignUpPolicy", Code: "PreSignUpCode", Function: "PreSignUpFunction",
	}, golambda.Props{
		Name:            p.NamePrefix + "-presignup",
		Description:     "Cognito pre sign-up: only email addresses at the allowed domains may sign up",
		RoleDescription: "presignup: refuse sign-ups from other email domains",
		Package:         p.PreSignUpLambda,
		Environment: map[string]*string{
			signupdomains.EnvAllowedDomains: jsii.String(signupdomains.Format(p.Auth.AllowedEmailDomains)),
		},
		PolicyName:       "presignup",
		TimeoutSeconds:   5, // Cognito waits 5 s for a trigger
		LogRetentionDays: p.LogRetentionDays,
	})
	a.PreSignUpLogGroup, a.PreSignUpRole, a.PreSignUpFunction = l.LogGroup, l.Role, l.Function
}

// allowPreSignUp lets this user pool (and no other) invoke the pre sign-up Lambda.
func (a *CognitoAuthALB) allowPreSignUp(ns constructs.Construct) {
	a.PreSignUpPermission = lambdapermission.NewLambdaPermission(ns, jsii.String("PreSignUpPermission"), &lambdapermission.LambdaPermissionConfig{
		StatementId:  jsii.String("AllowCognitoPreSignUp"),
		Action:       jsii.String("lambda:InvokeFunction"),
		FunctionName: a.PreSignUpFunction.FunctionName(),
		Principal:    jsii.String("cognito-idp.amazonaws.com"),
		SourceArn:    a.UserPool.Arn(),
	})
}
