package cognitoauthalb

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func validProps() Props {
	p := Props{
		Settings: Settings{
			Domain: "shiny.example.com", AllowedIngressCIDRs: []string{"0.0.0.0/0"},
			CognitoDomainPrefix: "shiny-dev-login",
		},
		NamePrefix: "shiny-dev", VpcID: "vpc-1",
		SubnetIDs: []string{"subnet-1", "subnet-2"}, VpcCIDR: "172.31.0.0/16",
	}
	p.defaults()
	return p
}

func TestValidPropsPass(t *testing.T) {
	if err := validProps().Validate(); err != nil {
		t.Fatal(err)
	}
	p := validProps()
	p.CognitoDomainPrefix = "" // the default, derived from NamePrefix
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, ses := range []CognitoSettings{
		{SESFromAddress: "Shiny <noreply@example.com>", SESIdentityArn: "arn:aws:ses:eu-west-1:123456789012:identity/example.com"},
		{SESFromAddress: "me@example.org", SESIdentityArn: "arn:aws:ses:us-east-1:123456789012:identity/me@example.org"},
	} {
		p := validProps()
		p.Cognito = ses
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", ses, err)
		}
	}
}

// One negative test per rule; the messages use the configuration's names.
func TestPropsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"prefix", func(p *Props) { p.NamePrefix = strings.Repeat("a", 33) }, "NamePrefix"},
		{"prefix reserved in default domain", func(p *Props) { p.NamePrefix = "my-aws"; p.CognitoDomainPrefix = "" }, `NamePrefix = "my-aws": starts the default Cognito domain prefix, which must not contain the reserved word aws`},
		{"domain scheme", func(p *Props) { p.Domain = "https://example.com" }, `domain = "https://example.com"`},
		{"domain www", func(p *Props) { p.Domain = "www.example.com" }, `domain = "www.example.com"`},
		{"domain one label", func(p *Props) { p.Domain = "localhost" }, `domain = "localhost"`},
		{"domain upper", func(p *Props) { p.Domain = "Shiny.example.com" }, `domain = "Shiny.example.com"`},
		{"domain ipv4", func(p *Props) { p.Domain = "203.0.113.7" }, `domain = "203.0.113.7": is an IP address`},
		{"domain ipv6", func(p *Props) { p.Domain = "[2001:db8::1]" }, `domain = "[2001:db8::1]": is an IP address`},
		{"domain numeric tld", func(p *Props) { p.Domain = "shiny.123" }, `domain = "shiny.123"`},
		{"domain length", func(p *Props) { p.Domain = strings.Repeat("a", 60) + ".example.com" }, "is 72 characters; ACM certificates allow 64"},
		{"hosted zone", func(p *Props) { p.HostedZoneID = "zone1" }, `hostedZoneId = "zone1"`},
		{"vpc", func(p *Props) { p.VpcID = "" }, `VpcID = ""`},
		{"subnets", func(p *Props) { p.SubnetIDs = []string{"subnet-1"} }, "at least two subnets"},
		{"vpc cidr", func(p *Props) { p.VpcCIDR = "" }, `VpcCIDR = ""`},
		{"no cidrs", func(p *Props) { p.AllowedIngressCIDRs = nil }, "allowedIngressCidrs = []: must list at least one CIDR"},
		{"cidr", func(p *Props) { p.AllowedIngressCIDRs = []string{"everyone"} }, `allowedIngressCidrs[0] = "everyone"`},
		{"cidr host bits", func(p *Props) { p.AllowedIngressCIDRs = []string{"10.0.0.1/8"} }, `allowedIngressCidrs[0] = "10.0.0.1/8": must be an IPv4 CIDR with no host bits`},
		{"cidr ipv6", func(p *Props) { p.AllowedIngressCIDRs = []string{"::/0"} }, `allowedIngressCidrs[0] = "::/0"`},
		{"cidr twice", func(p *Props) { p.AllowedIngressCIDRs = []string{"10.0.0.0/8", "10.0.0.0/8"} }, `allowedIngressCidrs[1] = "10.0.0.0/8": is listed twice (also allowedIngressCidrs[0])`},
		{"idle", func(p *Props) { p.IdleTimeoutSeconds = 7200 }, "idleTimeoutSeconds = 7200: must be from 1 to 4000"},
		{"session", func(p *Props) { p.AuthSessionTimeoutSeconds = 59 }, "authSessionTimeoutSeconds = 59"},
		{"cognito prefix", func(p *Props) { p.CognitoDomainPrefix = "-bad" }, `cognitoDomainPrefix = "-bad"`},
		{"cognito reserved", func(p *Props) { p.CognitoDomainPrefix = "my-cognito-app" }, "reserved word cognito"},
		{"ses address without identity", func(p *Props) { p.Cognito.SESFromAddress = "noreply@example.com" }, `cognito.sesIdentityArn = "": is required with sesFromAddress`},
		{"ses identity without address", func(p *Props) {
			p.Cognito.SESIdentityArn = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
		}, `cognito.sesFromAddress = "": is required with sesIdentityArn`},
		{"ses identity arn", func(p *Props) {
			p.Cognito = CognitoSettings{SESFromAddress: "a@example.com", SESIdentityArn: "example.com"}
		}, `cognito.sesIdentityArn = "example.com": must be an SES identity ARN`},
		{"ses address", func(p *Props) {
			p.Cognito = CognitoSettings{SESFromAddress: "not an address", SESIdentityArn: "arn:aws:ses:us-east-1:123456789012:identity/example.com"}
		}, `cognito.sesFromAddress = "not an address": must be an email address`},
		{"ses address outside identity", func(p *Props) {
			p.Cognito = CognitoSettings{SESFromAddress: "a@other.org", SESIdentityArn: "arn:aws:ses:us-east-1:123456789012:identity/example.com"}
		}, "must be the SES identity example.com or an address of that domain"},
		{"sign up", func(p *Props) { p.Auth.SignUp = "closed" }, `auth.signUp = "closed": must be one of ["open" "invite" "domains"]`},
		{"domains without list", func(p *Props) { p.Auth.SignUp = SignUpDomains; p.PreSignUpLambda.ZipPath = "/x.zip" }, `auth.allowedEmailDomains = []: must list at least one domain`},
		{"list without domains", func(p *Props) { p.Auth.AllowedEmailDomains = []string{"example.com"} }, `auth.allowedEmailDomains = ["example.com"]: only used with signUp "domains" (signUp is "open")`},
		{"email domain", func(p *Props) {
			p.Auth = AuthSettings{SignUp: SignUpDomains, AllowedEmailDomains: []string{"@example.com"}, MFA: MFAOff}
		}, `auth.allowedEmailDomains[0] = "@example.com": must be a lowercase domain name`},
		{"email domain twice", func(p *Props) {
			p.Auth = AuthSettings{SignUp: SignUpDomains, AllowedEmailDomains: []string{"example.com", "example.com"}, MFA: MFAOff}
		}, `auth.allowedEmailDomains[1] = "example.com": is listed twice`},
		{"too many domains", func(p *Props) {
			p.Auth = AuthSettings{SignUp: SignUpDomains, MFA: MFAOff}
			for i := range 51 {
				p.Auth.AllowedEmailDomains = append(p.Auth.AllowedEmailDomains, fmt.Sprintf("d%d.example.com", i))
			}
		}, "auth.allowedEmailDomains = 51: domains: must be at most 50"},
		{"mfa", func(p *Props) { p.Auth.MFA = "totp" }, `auth.mfa = "totp": must be one of ["off" "optional" "on"]`},
		{"pre sign-up lambda", func(p *Props) {
			p.Auth = AuthSettings{SignUp: SignUpDomains, AllowedEmailDomains: []string{"example.com"}, MFA: MFAOff}
		}, `PreSignUpLambda = "": is required with auth.signUp "domains"`},
		{"ssl policy", func(p *Props) { p.SSLPolicy = "ELBSecurityPolicy-2016-08" }, `SSLPolicy = "ELBSecurityPolicy-2016-08"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProps()
			tc.mutate(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
