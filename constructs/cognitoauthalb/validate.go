package cognitoauthalb

import (
	"fmt"
	"net/mail"
	"net/netip"
	"regexp"
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/awsid"
	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// Limits of Settings.
const (
	// MaxDomainLength is ACM's limit on a certificate's domain name (its
	// common name): 64 characters.
	MaxDomainLength         = 64
	MinIdleTimeoutSeconds   = 1
	MaxIdleTimeoutSeconds   = 4000 // the ALB's limit
	MinAuthSessionTimeout   = 60
	MaxAuthSessionTimeout   = 604800 // 7 days, the ALB's limit
	maxNamePrefixForALBName = 32     // the ALB's name is NamePrefix
)

var (
	domainLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZoneRE  = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	digitsRE      = regexp.MustCompile(`^[0-9]+$`)
)

// Validate reports every problem with the settings, named as in the stack
// configuration, in field order.
func (s Settings) Validate() error {
	p := check.New("")
	if why := domainProblem(s.Domain); why != "" {
		p.Add("domain", s.Domain, why)
	}
	if s.HostedZoneID != "" && !hostedZoneRE.MatchString(s.HostedZoneID) {
		p.Add("hostedZoneId", s.HostedZoneID, "must be empty or a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
	}
	if len(s.AllowedIngressCIDRs) == 0 {
		p.Add("allowedIngressCidrs", s.AllowedIngressCIDRs, "must list at least one CIDR, such as 0.0.0.0/0 or 203.0.113.0/24")
	}
	seen := map[string]int{}
	for i, cidr := range s.AllowedIngressCIDRs {
		field := fmt.Sprintf("allowedIngressCidrs[%d]", i)
		if pr, err := netip.ParsePrefix(cidr); err != nil || !pr.Addr().Is4() || pr.Masked() != pr {
			p.Add(field, cidr, "must be an IPv4 CIDR with no host bits set, such as 203.0.113.0/24")
		} else if j, dup := seen[cidr]; dup {
			p.Add(field, cidr, fmt.Sprintf("is listed twice (also allowedIngressCidrs[%d]); AWS refuses duplicate rules", j))
		} else {
			seen[cidr] = i
		}
	}
	if s.IdleTimeoutSeconds < MinIdleTimeoutSeconds || s.IdleTimeoutSeconds > MaxIdleTimeoutSeconds {
		p.Add("idleTimeoutSeconds", s.IdleTimeoutSeconds, fmt.Sprintf("must be from %d to %d (the ALB's limit)", MinIdleTimeoutSeconds, MaxIdleTimeoutSeconds))
	}
	if s.AuthSessionTimeoutSeconds < MinAuthSessionTimeout || s.AuthSessionTimeoutSeconds > MaxAuthSessionTimeout {
		p.Add("authSessionTimeoutSeconds", s.AuthSessionTimeoutSeconds, fmt.Sprintf("must be from %d to %d (7 days)", MinAuthSessionTimeout, MaxAuthSessionTimeout))
	}
	if s.CognitoDomainPrefix != "" {
		if why := domainPrefixProblem(s.CognitoDomainPrefix); why != "" {
			p.Add("cognitoDomainPrefix", s.CognitoDomainPrefix, why)
		}
	}
	cognito := check.New("cognito.")
	s.Cognito.validate(cognito)
	p.Include(cognito.Err())
	auth := check.New("auth.")
	s.Auth.validate(auth)
	p.Include(auth.Err())
	return p.Err()
}

// sesIdentityARNRE: arn:PARTITION:ses:REGION:ACCOUNT:identity/ADDRESS-OR-DOMAIN.
var sesIdentityARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/[^\s/]+$`)

func (c CognitoSettings) validate(p *check.Problems) {
	switch {
	case c.SESFromAddress == "" && c.SESIdentityArn == "":
		return
	case c.SESIdentityArn == "":
		p.Add("sesIdentityArn", c.SESIdentityArn, "is required with sesFromAddress: the verified SES identity the address belongs to")
	case c.SESFromAddress == "":
		p.Add("sesFromAddress", c.SESFromAddress, "is required with sesIdentityArn: the address emails come from")
	}
	if c.SESIdentityArn != "" && !sesIdentityARNRE.MatchString(c.SESIdentityArn) {
		p.Add("sesIdentityArn", c.SESIdentityArn, "must be an SES identity ARN such as arn:aws:ses:us-east-1:123456789012:identity/example.com")
	}
	if c.SESFromAddress != "" {
		addr, err := mail.ParseAddress(c.SESFromAddress)
		if err != nil {
			p.Add("sesFromAddress", c.SESFromAddress, "must be an email address such as noreply@example.com or \"Shiny <noreply@example.com>\"")
		} else if id := c.SESIdentityArn[strings.LastIndex(c.SESIdentityArn, "/")+1:]; c.SESIdentityArn != "" && id != addr.Address && !strings.HasSuffix(addr.Address, "@"+id) {
			p.Add("sesFromAddress", c.SESFromAddress, "must be the SES identity "+id+" or an address of that domain")
		}
	}
}

// domainProblem says what is wrong with d as the apex domain, or "".
func domainProblem(d string) string {
	const want = "must be a lowercase DNS name with at least two labels, such as shiny.example.com, without www. (www is added)"
	if len(d) > MaxDomainLength {
		return fmt.Sprintf("is %d characters; ACM certificates allow %d", len(d), MaxDomainLength)
	}
	if strings.HasPrefix(d, "www.") {
		return want
	}
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return "is an IP address; " + want
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 || digitsRE.MatchString(labels[len(labels)-1]) {
		return want
	}
	for _, l := range labels {
		if !domainLabelRE.MatchString(l) {
			return want
		}
	}
	return ""
}

// domainPrefixProblem says what Cognito would refuse in a domain prefix, or "".
func domainPrefixProblem(prefix string) string {
	if err := awsid.CheckCognitoDomainPrefix(prefix); err != nil {
		return err.Error()
	}
	return ""
}

// Validate reports every problem with the props at once, in field order.
func (p Props) Validate() error {
	c := check.New("")
	c.Include(p.Settings.Validate())
	if p.NamePrefix == "" || len(p.NamePrefix) > maxNamePrefixForALBName {
		c.Add("NamePrefix", p.NamePrefix, fmt.Sprintf("must be 1-%d characters (the ALB's name)", maxNamePrefixForALBName))
	} else if p.CognitoDomainPrefix == "" {
		if why := domainPrefixProblem(DefaultDomainPrefix(p.NamePrefix)); why != "" {
			c.Add("NamePrefix", p.NamePrefix, "starts the default Cognito domain prefix, which "+why+"; set cognitoDomainPrefix")
		}
	}
	c.Require("VpcID", p.VpcID)
	if len(p.SubnetIDs) < 2 && !isListToken(p.SubnetIDs) {
		c.Add("SubnetIDs", p.SubnetIDs, "an ALB needs at least two subnets in different availability zones")
	}
	c.Require("VpcCIDR", p.VpcCIDR)
	if p.Auth.SignUp == SignUpDomains && p.PreSignUpLambda.ZipPath == "" {
		c.Add("PreSignUpLambda", p.PreSignUpLambda.ZipPath, `is required with auth.signUp "domains": the built ./presignup Lambda`)
	}
	if !strings.HasPrefix(p.SSLPolicy, "ELBSecurityPolicy-TLS13-") && !strings.HasPrefix(p.SSLPolicy, "ELBSecurityPolicy-FS-1-2") {
		c.Add("SSLPolicy", p.SSLPolicy, "must be a TLS 1.2+ forward-secret policy (ELBSecurityPolicy-TLS13-* or ELBSecurityPolicy-FS-1-2-*)")
	}
	return c.Err()
}

// isListToken tells a list known only at apply time (one encoded token, e.g.
// the default VPC's subnet ids) from a literal list.
func isListToken(xs []string) bool {
	return len(xs) == 1 && *cdktf.Token_IsUnresolved(jsii.Strings(xs...))
}
