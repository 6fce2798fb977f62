package stacks

import (
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/signupdomains"
)

// By default anyone may sign up and there is no second factor: today's pool.
func TestDefaultAuthIsOpenWithoutMFA(t *testing.T) {
	_, app := defaultSynth(t)
	_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	if m(pool["admin_create_user_config"])["allow_admin_create_user_only"] != false {
		t.Errorf("admin_create_user_config = %v, want open sign-up", pool["admin_create_user_config"])
	}
	if pool["lambda_config"] != nil || pool["mfa_configuration"] != nil || pool["software_token_mfa_configuration"] != nil {
		t.Errorf("pool = %v, want no trigger and no MFA", pool)
	}
	if n := len(app.Resources("aws_lambda_function")); n != 1 {
		t.Errorf("%d Lambda functions, want sessionmetric only", n)
	}
}

func TestSignUpByInvitationOnly(t *testing.T) {
	cfg := validConfig()
	cfg.Auth.SignUp = cognitoauthalb.SignUpInvite
	_, app := synthBoth(t, cfg)
	_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	if m(pool["admin_create_user_config"])["allow_admin_create_user_only"] != true {
		t.Errorf("admin_create_user_config = %v, want admins only", pool["admin_create_user_config"])
	}
	if pool["lambda_config"] != nil {
		t.Errorf("lambda_config = %v, want none", pool["lambda_config"])
	}
}

// signUp "domains": the pool's pre sign-up trigger is the presignup
// Lambda, which gets the domains, may write its own logs only, and may be
// invoked by this pool only.
func TestSignUpLimitedToDomains(t *testing.T) {
	cfg := validConfig()
	cfg.Auth = cognitoauthalb.AuthSettings{SignUp: cognitoauthalb.SignUpDomains, AllowedEmailDomains: []string{"example.com", "example.org"}, MFA: cognitoauthalb.MFAOff}
	_, app := synthBoth(t, cfg)
	fnName, fn := app.ByPath(t, "aws_lambda_function", "app/alb/PreSignUpFunction")
	vars := m(m(fn["environment"])["variables"])
	if vars[signupdomains.EnvAllowedDomains] != "example.com,example.org" || fn["function_name"] != "shiny-dev-presignup" || fn["runtime"] != "provided.al2023" {
		t.Errorf("function = %v", fn)
	}
	if fn["source_code_hash"] != assets(t).PreSignUp.SHA256 {
		t.Errorf("source_code_hash = %v, want the built presignup package", fn["source_code_hash"])
	}
	_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	if got := m(pool["lambda_config"])["pre_sign_up"]; got != "${aws_lambda_function."+fnName+".arn}" {
		t.Errorf("pre_sign_up = %v, want the presignup function", got)
	}
	if m(pool["admin_create_user_config"])["allow_admin_create_user_only"] != false {
		t.Error("with domains, people sign up themselves")
	}
	poolName, _ := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	_, perm := app.ByPath(t, "aws_lambda_permission", "app/alb/PreSignUpPermission")
	if perm["principal"] != "cognito-idp.amazonaws.com" || perm["source_arn"] != "${aws_cognito_user_pool."+poolName+".arn}" || perm["action"] != "lambda:InvokeFunction" {
		t.Errorf("permission = %v, want this pool only", perm)
	}
	_, doc := dataByPrefix(t, app, "aws_iam_policy_document", "alb_PreSignUpPolicyDocument")
	st := l(doc["statement"])
	if len(st) != 1 || strings.Join(strs(m(st[0])["actions"]), ",") != "logs:CreateLogStream,logs:PutLogEvents" {
		t.Errorf("presignup policy = %v, want its own logs only", st)
	}
}

func TestMFA(t *testing.T) {
	for mode, want := range map[string]string{cognitoauthalb.MFAOptional: "OPTIONAL", cognitoauthalb.MFAOn: "ON"} {
		cfg := validConfig()
		cfg.Auth.MFA = mode
		_, app := synthBoth(t, cfg)
		_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
		if pool["mfa_configuration"] != want || m(pool["software_token_mfa_configuration"])["enabled"] != true {
			t.Errorf("mfa %s: mfa_configuration %v, software token %v; want %s with TOTP", mode, pool["mfa_configuration"], pool["software_token_mfa_configuration"], want)
		}
	}
}
