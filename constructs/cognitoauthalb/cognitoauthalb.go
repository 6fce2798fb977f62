// Package cognitoauthalb is an internet-facing ALB that signs every request in
// with Cognito: security group, HTTP->HTTPS redirect, HTTPS listener with an
// ACM certificate for DOMAIN and www.DOMAIN, the Cognito user pool, domain and
// app client, and the listener rules (logout without auth, www -> apex,
// everything else authenticated and forwarded to the app).
package cognitoauthalb

import (
	"fmt"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificate"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificatevalidation"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpool"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpoolclient"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpooldomain"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lb"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistener"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistenerrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/route53record"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// Fixed names the logout server and tests rely on.
const (
	// SessionCookieName is the ALB's authentication cookie (sharded as NAME-0, NAME-1, ...).
	SessionCookieName = "AWSELBAuthSessionCookie"
	// LogoutPath and LoggedOutPath are routed to the logout server without authentication.
	LogoutPath    = "/logout"
	LoggedOutPath = "/logged-out"
	// DefaultSSLPolicy allows TLS 1.3 and 1.2 with forward-secret ciphers only.
	DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
)

// Listener rule priorities: lower is evaluated first.
const (
	PriorityLogout = 10
	PriorityWWW    = 20
)

// Props configure a CognitoAuthALB.
type Props struct {
	// NamePrefix starts every resource name. Required.
	NamePrefix string
	// Domain is the apex host; www.Domain redirects to it. Required.
	Domain string
	// HostedZoneID, when set, gets the certificate validation records and
	// alias records for Domain and www.Domain. Default: empty, records are
	// left to the caller (the certificate's DomainValidationOptions).
	HostedZoneID string
	// VpcID and SubnetIDs (at least two AZs) of the ALB. Required.
	VpcID     string
	SubnetIDs []string
	// VpcCIDR is the VPC's address range: the ALB may reach TargetPorts there only. Required.
	VpcCIDR string
	// TargetPorts are the ports the targets listen on (deduplicated). Required.
	TargetPorts []int
	// IngressCIDRs may reach 443 and 80. Required (e.g. 0.0.0.0/0).
	IngressCIDRs []string
	// IdleTimeout of the ALB. Default: 300s (Shiny websockets idle between messages).
	IdleTimeout time.Duration
	// SessionTimeout is how long a sign-in lasts. Default: 8h.
	SessionTimeout time.Duration
	// CognitoDomainPrefix is the hosted UI domain PREFIX.auth.REGION.amazoncognito.com. Required.
	CognitoDomainPrefix string
	// SSLPolicy of the HTTPS listener. Default: DefaultSSLPolicy.
	SSLPolicy string
	// DeletionProtection protects the ALB and the user pool from deletion. Default: false.
	DeletionProtection bool
}

// Routes are the target groups the HTTPS listener sends traffic to.
type Routes struct {
	// AppTargetGroupARN receives every signed-in request. Required.
	AppTargetGroupARN string
	// LogoutTargetGroupARN receives /logout and /logged-out, unauthenticated. Required.
	LogoutTargetGroupARN string
}

// CognitoAuthALB is what NewCognitoAuthALB (and Route) created.
type CognitoAuthALB struct {
	SecurityGroup         securitygroup.SecurityGroup
	LoadBalancer          lb.Lb
	Certificate           acmcertificate.AcmCertificate
	ValidationRecords     route53record.Route53Record // nil without HostedZoneID
	CertificateValidation acmcertificatevalidation.AcmCertificateValidation
	AliasRecords          []route53record.Route53Record // apex and www; empty without HostedZoneID
	UserPool              cognitouserpool.CognitoUserPool
	UserPoolDomain        cognitouserpooldomain.CognitoUserPoolDomain
	UserPoolClient        cognitouserpoolclient.CognitoUserPoolClient
	HTTPListener          lblistener.LbListener
	// Set by Route:
	HTTPSListener   lblistener.LbListener
	LogoutRule      lblistenerrule.LbListenerRule
	WWWRedirectRule lblistenerrule.LbListenerRule

	ns    constructs.Construct
	props Props
}

func (p *Props) defaults() {
	if p.IdleTimeout == 0 {
		p.IdleTimeout = 300 * time.Second
	}
	if p.SessionTimeout == 0 {
		p.SessionTimeout = 8 * time.Hour
	}
	if p.SSLPolicy == "" {
		p.SSLPolicy = DefaultSSLPolicy
	}
}

// WWWHost is the www host name, redirected to Domain.
func (p Props) WWWHost() string { return WWWHost(p.Domain) }

// Hosts returns the apex and www host names.
func (p Props) Hosts() []string { return []string{p.Domain, p.WWWHost()} }

// CallbackURLs are the Cognito callbacks of the ALB's authenticate action, per host.
func (p Props) CallbackURLs() []string { return p.urls("/oauth2/idpresponse") }

// LogoutURLs are where Cognito may send users after signing out, per host.
func (p Props) LogoutURLs() []string { return p.urls(LoggedOutPath) }

func (p Props) urls(path string) []string {
	var out []string
	for _, h := range p.Hosts() {
		out = append(out, "https://"+h+path)
	}
	return out
}

// NewCognitoAuthALB creates the ALB, certificate and Cognito resources under
// a construct named id. Call Route next to create the HTTPS listener.
func NewCognitoAuthALB(scope constructs.Construct, id string, props Props) (*CognitoAuthALB, error) {
	props.defaults()
	if err := props.validate(); err != nil {
		return nil, fmt.Errorf("cognitoauthalb %q: %w", id, err)
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	a := &CognitoAuthALB{ns: ns, props: props}
	name := props.NamePrefix

	var ingress []*securitygroup.SecurityGroupIngress
	for _, port := range []int{443, 80} {
		ingress = append(ingress, &securitygroup.SecurityGroupIngress{
			Description: jsii.String(fmt.Sprintf("%s from allowed CIDRs", map[int]string{443: "HTTPS", 80: "HTTP (redirected to HTTPS)"}[port])),
			Protocol:    jsii.String("tcp"),
			FromPort:    jsii.Number(float64(port)),
			ToPort:      jsii.Number(float64(port)),
			CidrBlocks:  jsii.Strings(props.IngressCIDRs...),
		})
	}
	// Out: HTTPS to Cognito (authenticate action), the target ports inside the VPC.
	egress := []*securitygroup.SecurityGroupEgress{{
		Description: jsii.String("HTTPS to the Cognito token and user-info endpoints"),
		Protocol:    jsii.String("tcp"),
		FromPort:    jsii.Number(443),
		ToPort:      jsii.Number(443),
		CidrBlocks:  jsii.Strings("0.0.0.0/0"),
	}}
	for _, port := range props.TargetPorts {
		egress = append(egress, &securitygroup.SecurityGroupEgress{
			Description: jsii.String(fmt.Sprintf("To the tasks on port %d", port)),
			Protocol:    jsii.String("tcp"),
			FromPort:    jsii.Number(float64(port)),
			ToPort:      jsii.Number(float64(port)),
			CidrBlocks:  jsii.Strings(props.VpcCIDR),
		})
	}
	a.SecurityGroup = securitygroup.NewSecurityGroup(ns, jsii.String("SecurityGroup"), &securitygroup.SecurityGroupConfig{
		// A prefix, not a name: a replacement is created before the old group goes.
		NamePrefix:          jsii.String(name + "-alb-"),
		Description:         jsii.String("ALB of " + name + ": HTTPS and HTTP from the allowed CIDRs"),
		VpcId:               jsii.String(props.VpcID),
		Ingress:             &ingress,
		Egress:              &egress,
		RevokeRulesOnDelete: jsii.Bool(true),
		Lifecycle:           &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})

	a.LoadBalancer = lb.NewLb(ns, jsii.String("LoadBalancer"), &lb.LbConfig{
		Name:                     jsii.String(name),
		Internal:                 jsii.Bool(false),
		LoadBalancerType:         jsii.String("application"),
		SecurityGroups:           jsii.Strings(*a.SecurityGroup.Id()),
		Subnets:                  jsii.Strings(props.SubnetIDs...),
		IdleTimeout:              jsii.Number(props.IdleTimeout.Seconds()),
		DropInvalidHeaderFields:  jsii.Bool(true),
		EnableDeletionProtection: jsii.Bool(props.DeletionProtection),
	})

	a.certificate(ns, props)
	a.cognito(ns, props)

	a.HTTPListener = lblistener.NewLbListener(ns, jsii.String("HTTPListener"), &lblistener.LbListenerConfig{
		LoadBalancerArn: a.LoadBalancer.Arn(),
		Port:            jsii.Number(80),
		Protocol:        jsii.String("HTTP"),
		DefaultAction: []*lblistener.LbListenerDefaultAction{{
			Type: jsii.String("redirect"),
			Redirect: &lblistener.LbListenerDefaultActionRedirect{
				Protocol: jsii.String("HTTPS"), Port: jsii.String("443"), StatusCode: jsii.String("HTTP_301"),
			},
		}},
	})
	return a, nil
}

func (a *CognitoAuthALB) certificate(ns constructs.Construct, props Props) {
	a.Certificate = acmcertificate.NewAcmCertificate(ns, jsii.String("Certificate"), &acmcertificate.AcmCertificateConfig{
		DomainName:              jsii.String(props.Domain),
		SubjectAlternativeNames: jsii.Strings(props.WWWHost()),
		ValidationMethod:        jsii.String("DNS"),
		Lifecycle:               &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})
	validation := &acmcertificatevalidation.AcmCertificateValidationConfig{
		CertificateArn: a.Certificate.Arn(),
		Timeouts:       &acmcertificatevalidation.AcmCertificateValidationTimeouts{Create: jsii.String("45m")},
	}
	if props.HostedZoneID != "" {
		opts := cdktf.TerraformIterator_FromComplexList(a.Certificate.DomainValidationOptions(), jsii.String("domain_name"))
		a.ValidationRecords = route53record.NewRoute53Record(ns, jsii.String("ValidationRecords"), &route53record.Route53RecordConfig{
			ForEach:        opts,
			ZoneId:         jsii.String(props.HostedZoneID),
			Name:           opts.GetString(jsii.String("resource_record_name")),
			Type:           opts.GetString(jsii.String("resource_record_type")),
			Records:        jsii.Strings(*opts.GetString(jsii.String("resource_record_value"))),
			Ttl:            jsii.Number(300),
			AllowOverwrite: jsii.Bool(true),
		})
		fqdns := cdktf.TerraformIterator_FromResources(a.ValidationRecords).PluckProperty(jsii.String("fqdn"))
		validation.ValidationRecordFqdns = cdktf.Token_AsList(fqdns, nil)
	}
	// Without a hosted zone this waits until the records (a stack output) exist.
	a.CertificateValidation = acmcertificatevalidation.NewAcmCertificateValidation(ns, jsii.String("CertificateValidation"), validation)
	if props.HostedZoneID != "" {
		for i, host := range props.Hosts() {
			a.AliasRecords = append(a.AliasRecords, route53record.NewRoute53Record(ns, jsii.String([]string{"AliasApex", "AliasWWW"}[i]), &route53record.Route53RecordConfig{
				ZoneId: jsii.String(props.HostedZoneID),
				Name:   jsii.String(host),
				Type:   jsii.String("A"),
				Alias: &route53record.Route53RecordAlias{
					Name:                 a.LoadBalancer.DnsName(),
					ZoneId:               a.LoadBalancer.ZoneId(),
					EvaluateTargetHealth: jsii.Bool(true),
				},
			}))
		}
	}
}

func (a *CognitoAuthALB) cognito(ns constructs.Construct, props Props) {
	str := func(name string, required bool) *cognitouserpool.CognitoUserPoolSchema {
		return &cognitouserpool.CognitoUserPoolSchema{
			Name:              jsii.String(name),
			AttributeDataType: jsii.String("String"),
			Required:          jsii.Bool(required),
			Mutable:           jsii.Bool(true),
			StringAttributeConstraints: &cognitouserpool.CognitoUserPoolSchemaStringAttributeConstraints{
				MinLength: jsii.String("0"), MaxLength: jsii.String("2048"),
			},
		}
	}
	deletion := "INACTIVE"
	if props.DeletionProtection {
		deletion = "ACTIVE"
	}
	a.UserPool = cognitouserpool.NewCognitoUserPool(ns, jsii.String("UserPool"), &cognitouserpool.CognitoUserPoolConfig{
		Name:                   jsii.String(props.NamePrefix + "-users"),
		UsernameAttributes:     jsii.Strings("email"),
		AutoVerifiedAttributes: jsii.Strings("email"),
		AdminCreateUserConfig: &cognitouserpool.CognitoUserPoolAdminCreateUserConfig{
			AllowAdminCreateUserOnly: jsii.Bool(false), // public sign-up
		},
		UsernameConfiguration: &cognitouserpool.CognitoUserPoolUsernameConfiguration{CaseSensitive: jsii.Bool(false)},
		PasswordPolicy: &cognitouserpool.CognitoUserPoolPasswordPolicy{
			MinimumLength: jsii.Number(12), RequireLowercase: jsii.Bool(true), RequireUppercase: jsii.Bool(true),
			RequireNumbers: jsii.Bool(true), RequireSymbols: jsii.Bool(false), TemporaryPasswordValidityDays: jsii.Number(7),
		},
		AccountRecoverySetting: &cognitouserpool.CognitoUserPoolAccountRecoverySetting{
			RecoveryMechanism: []*cognitouserpool.CognitoUserPoolAccountRecoverySettingRecoveryMechanism{{
				Name: jsii.String("verified_email"), Priority: jsii.Number(1),
			}},
		},
		Schema: []*cognitouserpool.CognitoUserPoolSchema{
			str("email", true), str("given_name", true), str("family_name", true),
			str("phone_number", false), str("role", false), str("type", false),
		},
		DeletionProtection: jsii.String(deletion),
	})
	a.UserPoolDomain = cognitouserpooldomain.NewCognitoUserPoolDomain(ns, jsii.String("UserPoolDomain"), &cognitouserpooldomain.CognitoUserPoolDomainConfig{
		Domain:     jsii.String(props.CognitoDomainPrefix),
		UserPoolId: a.UserPool.Id(),
	})
	a.UserPoolClient = cognitouserpoolclient.NewCognitoUserPoolClient(ns, jsii.String("UserPoolClient"), &cognitouserpoolclient.CognitoUserPoolClientConfig{
		Name:                            jsii.String(props.NamePrefix + "-alb"),
		UserPoolId:                      a.UserPool.Id(),
		GenerateSecret:                  jsii.Bool(true),
		AllowedOauthFlowsUserPoolClient: jsii.Bool(true),
		AllowedOauthFlows:               jsii.Strings("code"),
		AllowedOauthScopes:              jsii.Strings("openid", "email", "profile"),
		SupportedIdentityProviders:      jsii.Strings("COGNITO"),
		CallbackUrls:                    jsii.Strings(props.CallbackURLs()...),
		LogoutUrls:                      jsii.Strings(props.LogoutURLs()...),
		ExplicitAuthFlows:               jsii.Strings("ALLOW_REFRESH_TOKEN_AUTH"),
		PreventUserExistenceErrors:      jsii.String("ENABLED"),
		EnableTokenRevocation:           jsii.Bool(true),
	})
}

// Route creates the HTTPS listener and its rules:
// /logout and /logged-out -> logout (no auth); www -> apex; default:
// authenticate with Cognito, then forward to the app.
func (a *CognitoAuthALB) Route(routes Routes) error {
	if err := routes.validate(); err != nil {
		return err
	}
	if a.HTTPSListener != nil {
		return fmt.Errorf("cognitoauthalb: Route called twice")
	}
	p := a.props
	a.HTTPSListener = lblistener.NewLbListener(a.ns, jsii.String("HTTPSListener"), &lblistener.LbListenerConfig{
		LoadBalancerArn: a.LoadBalancer.Arn(),
		Port:            jsii.Number(443),
		Protocol:        jsii.String("HTTPS"),
		SslPolicy:       jsii.String(p.SSLPolicy),
		CertificateArn:  a.CertificateValidation.CertificateArn(),
		DefaultAction: []*lblistener.LbListenerDefaultAction{
			{
				Type:  jsii.String("authenticate-cognito"),
				Order: jsii.Number(1),
				AuthenticateCognito: &lblistener.LbListenerDefaultActionAuthenticateCognito{
					UserPoolArn:              a.UserPool.Arn(),
					UserPoolClientId:         a.UserPoolClient.Id(),
					UserPoolDomain:           a.UserPoolDomain.Domain(),
					SessionCookieName:        jsii.String(SessionCookieName),
					SessionTimeout:           jsii.Number(p.SessionTimeout.Seconds()),
					Scope:                    jsii.String("openid email profile"),
					OnUnauthenticatedRequest: jsii.String("authenticate"),
				},
			},
			{
				Type:           jsii.String("forward"),
				Order:          jsii.Number(2),
				TargetGroupArn: jsii.String(routes.AppTargetGroupARN),
			},
		},
	})
	targets := map[Target]string{TargetApp: routes.AppTargetGroupARN, TargetLogout: routes.LogoutTargetGroupARN}
	for _, r := range ListenerRules(p.Domain) {
		rule := a.rule(r, targets)
		switch r.ID {
		case "LogoutRule":
			a.LogoutRule = rule
		case "WWWRedirectRule":
			a.WWWRedirectRule = rule
		}
	}
	return nil
}

// rule renders one listener rule of the HTTPS listener.
func (a *CognitoAuthALB) rule(r Rule, targets map[Target]string) lblistenerrule.LbListenerRule {
	var conds []*lblistenerrule.LbListenerRuleCondition
	if len(r.HostHeaders) > 0 {
		conds = append(conds, &lblistenerrule.LbListenerRuleCondition{
			HostHeader: &lblistenerrule.LbListenerRuleConditionHostHeader{Values: jsii.Strings(r.HostHeaders...)},
		})
	}
	if len(r.PathPatterns) > 0 {
		conds = append(conds, &lblistenerrule.LbListenerRuleCondition{
			PathPattern: &lblistenerrule.LbListenerRuleConditionPathPattern{Values: jsii.Strings(r.PathPatterns...)},
		})
	}
	action := &lblistenerrule.LbListenerRuleAction{Type: jsii.String("forward"), TargetGroupArn: jsii.String(targets[r.Forward])}
	if r.RedirectHost != "" {
		action = &lblistenerrule.LbListenerRuleAction{
			Type: jsii.String("redirect"),
			Redirect: &lblistenerrule.LbListenerRuleActionRedirect{
				Host: jsii.String(r.RedirectHost), Protocol: jsii.String("HTTPS"), Port: jsii.String("443"),
				Path: jsii.String("/#{path}"), Query: jsii.String("#{query}"), StatusCode: jsii.String("HTTP_301"),
			},
		}
	}
	return lblistenerrule.NewLbListenerRule(a.ns, jsii.String(r.ID), &lblistenerrule.LbListenerRuleConfig{
		ListenerArn: a.HTTPSListener.Arn(),
		Priority:    jsii.Number(float64(r.Priority)),
		Condition:   conds,
		Action:      []*lblistenerrule.LbListenerRuleAction{action},
	})
}

// URL is the app's address.
func (a *CognitoAuthALB) URL() string { return "https://" + a.props.Domain }

// HostedUIDomain is the Cognito hosted UI host for the region.
func (a *CognitoAuthALB) HostedUIDomain(region string) string {
	return a.props.CognitoDomainPrefix + ".auth." + region + ".amazoncognito.com"
}
