// Package cognitoauthalb is an internet-facing ALB that signs every request in
// with Cognito: security group, HTTP->HTTPS redirect, HTTPS listener with an
// ACM certificate for DOMAIN and www.DOMAIN, the Cognito user pool, domain and
// app client, and the listener rules (logout without auth, www -> apex,
// everything else authenticated and forwarded to the app).
package cognitoauthalb

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificate"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/acmcertificatevalidation"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpool"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpoolclient"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cognitouserpooldomain"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawscalleridentity"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdafunction"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdapermission"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lb"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistener"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lblistenerrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/route53record"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
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

// Defaults of Settings and Props.
const (
	DefaultIdleTimeoutSeconds        = 300   // Shiny websockets idle between messages; the ALB's own default is 60
	DefaultAuthSessionTimeoutSeconds = 28800 // 8 hours
)

// Settings are the sign-in and edge choices of a deployment; the stack
// configuration holds them at its top level. A zero field takes its default.
type Settings struct {
	// Domain is the apex host name users open (an example until you change it);
	// www.DOMAIN redirects to it.
	Domain string `json:"domain"`
	// HostedZoneID is the Route 53 zone of Domain. When set, the stack creates
	// the certificate validation records and alias records for both names;
	// when empty they are outputs for you to create at your DNS provider.
	HostedZoneID string `json:"hostedZoneId"`
	// AllowedIngressCIDRs may reach the ALB on 443 and 80 (IPv4).
	AllowedIngressCIDRs []string `json:"allowedIngressCidrs"`
	// IdleTimeoutSeconds is the ALB idle timeout; Shiny websockets sit idle
	// between messages, so it is longer than the ALB's own 60 s.
	IdleTimeoutSeconds int `json:"idleTimeoutSeconds"`
	// AuthSessionTimeoutSeconds is how long an ALB sign-in lasts.
	AuthSessionTimeoutSeconds int `json:"authSessionTimeoutSeconds"`
	// CognitoDomainPrefix is the hosted sign-in domain
	// PREFIX.auth.REGION.amazoncognito.com, unique among all AWS accounts in
	// the region. Empty: namePrefix + "-login-" + 8 hex digits of a hash of
	// the account id, stable for an account and environment.
	CognitoDomainPrefix string `json:"cognitoDomainPrefix"`
	// AllowDeletion lets `cdktf destroy app` delete the ALB and the Cognito
	// user pool (and so its users). False: both have deletion protection on.
	AllowDeletion bool `json:"allowDeletion"`
	// Cognito configures how the user pool sends email.
	Cognito CognitoSettings `json:"cognito"`
	// Auth is who may sign up and whether sign-in asks for a second factor.
	Auth AuthSettings `json:"auth"`
}

// CognitoSettings configure the user pool's email.
type CognitoSettings struct {
	// SESFromAddress sends sign-up and password emails through Amazon SES
	// from this address, e.g. "Shiny <noreply@example.com>" (set with
	// sesIdentityArn). Empty: Cognito's built-in email, limited to a few
	// emails a day per account, so verification codes stop on a busy day.
	SESFromAddress string `json:"sesFromAddress"`
	// SESIdentityArn is the verified SES identity (address or domain) that
	// SESFromAddress belongs to, in a region Cognito may use.
	SESIdentityArn string `json:"sesIdentityArn"`
}

// withDefaults fills zero fields with their defaults.
func (s Settings) withDefaults() Settings {
	if s.IdleTimeoutSeconds == 0 {
		s.IdleTimeoutSeconds = DefaultIdleTimeoutSeconds
	}
	if s.AuthSessionTimeoutSeconds == 0 {
		s.AuthSessionTimeoutSeconds = DefaultAuthSessionTimeoutSeconds
	}
	s.Auth = s.Auth.withDefaults()
	return s
}

// Props configure a CognitoAuthALB.
type Props struct {
	// Settings are the user's choices. Domain and AllowedIngressCIDRs are required.
	Settings
	// NamePrefix starts every resource name. Required.
	NamePrefix string
	// VpcID and SubnetIDs (at least two AZs) of the ALB. Required.
	VpcID     string
	SubnetIDs []string
	// VpcCIDR is the VPC's address range: the ALB reaches its services' ports there only. Required.
	VpcCIDR string
	// SSLPolicy of the HTTPS listener. Default: DefaultSSLPolicy.
	SSLPolicy string
	// PrivatePaths are path patterns of the targets' own endpoints (e.g. a
	// sidecar's health check) that users must not reach: the listener
	// answers them 404 on every host. Target group health checks go to the
	// targets directly, not through listener rules. Default: none.
	PrivatePaths []string
	// PreSignUpLambda is the built ./presignup Lambda (lambdabuild.Build).
	// Required with Auth.SignUp "domains", unused otherwise.
	PreSignUpLambda lambdabuild.Package
	// LogRetentionDays of the pre sign-up Lambda's log group. Default: cwlogs.DefaultRetentionDays.
	LogRetentionDays int
}

// CognitoAuthALB is what NewCognitoAuthALB created; AddService adds a
// service's target group behind the HTTPS listener.
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
	HTTPSListener         lblistener.LbListener
	// Rules are the listener rules by ID (see ListenerRules); a rule that
	// forwards to a service exists once that service is added.
	Rules map[string]lblistenerrule.LbListenerRule
	// The pre sign-up Lambda of Auth.SignUp "domains"; nil otherwise.
	PreSignUpFunction   lambdafunction.LambdaFunction
	PreSignUpRole       iamrole.IamRole
	PreSignUpLogGroup   cloudwatchloggroup.CloudwatchLogGroup
	PreSignUpPermission lambdapermission.LambdaPermission

	ns       constructs.Construct
	props    Props
	egress   []*securitygroup.SecurityGroupEgress
	services map[Target]bool
}

func (p *Props) defaults() {
	p.Settings = p.Settings.withDefaults()
	if p.SSLPolicy == "" {
		p.SSLPolicy = DefaultSSLPolicy
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = cwlogs.DefaultRetentionDays
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

// NewCognitoAuthALB creates the ALB, certificate, Cognito resources and
// listeners under a construct named id. Until AddService adds the app, the
// HTTPS listener answers signed-in requests with 503.
func NewCognitoAuthALB(scope constructs.Construct, id string, props Props) (*CognitoAuthALB, error) {
	props.defaults()
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("cognitoauthalb %q: %w", id, err)
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	a := &CognitoAuthALB{ns: ns, props: props, Rules: map[string]lblistenerrule.LbListenerRule{}, services: map[Target]bool{}}
	name := props.NamePrefix

	var ingress []*securitygroup.SecurityGroupIngress
	for _, port := range []int{443, 80} {
		ingress = append(ingress, &securitygroup.SecurityGroupIngress{
			Description: jsii.String(fmt.Sprintf("%s from allowed CIDRs", map[int]string{443: "HTTPS", 80: "HTTP (redirected to HTTPS)"}[port])),
			Protocol:    jsii.String("tcp"),
			FromPort:    jsii.Number(float64(port)),
			ToPort:      jsii.Number(float64(port)),
			CidrBlocks:  jsii.Strings(props.AllowedIngressCIDRs...),
		})
	}
	// Out: HTTPS to Cognito (authenticate action); AddService adds each
	// service's port inside the VPC.
	a.egress = []*securitygroup.SecurityGroupEgress{{
		Description: jsii.String("HTTPS to the Cognito token and user-info endpoints"),
		Protocol:    jsii.String("tcp"),
		FromPort:    jsii.Number(443),
		ToPort:      jsii.Number(443),
		CidrBlocks:  jsii.Strings("0.0.0.0/0"),
	}}
	a.SecurityGroup = securitygroup.NewSecurityGroup(ns, jsii.String("SecurityGroup"), &securitygroup.SecurityGroupConfig{
		// A prefix, not a name: a replacement is created before the old group goes.
		NamePrefix:          jsii.String(name + "-alb-"),
		Description:         jsii.String("ALB of " + name + ": HTTPS and HTTP from the allowed CIDRs"),
		VpcId:               jsii.String(props.VpcID),
		Ingress:             &ingress,
		Egress:              &a.egress,
		RevokeRulesOnDelete: jsii.Bool(true),
		Lifecycle:           &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})

	a.LoadBalancer = lb.NewLb(ns, jsii.String("LoadBalancer"), &lb.LbConfig{
		Name:                     jsii.String(name),
		Internal:                 jsii.Bool(false),
		LoadBalancerType:         jsii.String("application"),
		SecurityGroups:           jsii.Strings(*a.SecurityGroup.Id()),
		Subnets:                  jsii.Strings(props.SubnetIDs...),
		IdleTimeout:              jsii.Number(float64(props.IdleTimeoutSeconds)),
		DropInvalidHeaderFields:  jsii.Bool(true),
		EnableDeletionProtection: jsii.Bool(!props.AllowDeletion),
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
	a.httpsListener(props)
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

// ReadAttributes are the user pool attributes the app client may read: every
// attribute of the schema the app shows (the sample app decodes them from
// x-amzn-oidc-data).
var ReadAttributes = []string{"email", "email_verified", "given_name", "family_name", "phone_number", "custom:role", "custom:type"}

// emailConfiguration sends Cognito's email through SES when configured
// ("DEVELOPER"), else through Cognito's built-in email with its daily quota.
func emailConfiguration(c CognitoSettings) *cognitouserpool.CognitoUserPoolEmailConfiguration {
	if c.SESIdentityArn == "" {
		return nil
	}
	return &cognitouserpool.CognitoUserPoolEmailConfiguration{
		EmailSendingAccount: jsii.String("DEVELOPER"),
		SourceArn:           jsii.String(c.SESIdentityArn),
		FromEmailAddress:    jsii.String(c.SESFromAddress),
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
	deletion := "ACTIVE"
	if props.AllowDeletion {
		deletion = "INACTIVE"
	}
	pool := &cognitouserpool.CognitoUserPoolConfig{
		Name:                   jsii.String(props.NamePrefix + "-users"),
		UsernameAttributes:     jsii.Strings("email"),
		AutoVerifiedAttributes: jsii.Strings("email"),
		AdminCreateUserConfig: &cognitouserpool.CognitoUserPoolAdminCreateUserConfig{
			AllowAdminCreateUserOnly: jsii.Bool(props.Auth.adminCreateOnly()),
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
		EmailConfiguration: emailConfiguration(props.Cognito),
	}
	props.Auth.mfaConfiguration(pool)
	if props.Auth.SignUp == SignUpDomains {
		a.preSignUp(ns, props)
		pool.LambdaConfig = &cognitouserpool.CognitoUserPoolLambdaConfig{PreSignUp: a.PreSignUpFunction.Arn()}
	}
	a.UserPool = cognitouserpool.NewCognitoUserPool(ns, jsii.String("UserPool"), pool)
	if a.PreSignUpFunction != nil {
		a.allowPreSignUp(ns)
	}
	a.UserPoolDomain = cognitouserpooldomain.NewCognitoUserPoolDomain(ns, jsii.String("UserPoolDomain"), &cognitouserpooldomain.CognitoUserPoolDomainConfig{
		Domain:     jsii.String(a.domainPrefix(ns, props)),
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
		// The attributes the ALB passes to the app in x-amzn-oidc-data.
		// Without read_attributes only the standard ones are readable, and
		// custom:role and custom:type never reach the app.
		ReadAttributes:             jsii.Strings(ReadAttributes...),
		ExplicitAuthFlows:          jsii.Strings("ALLOW_REFRESH_TOKEN_AUTH"),
		PreventUserExistenceErrors: jsii.String("ENABLED"),
		EnableTokenRevocation:      jsii.Bool(true),
	})
}

// httpsListener creates the HTTPS listener, whose default action signs the
// user in with Cognito and then (once AddService adds the app) forwards, and
// the rules that need no service (the www redirect).
func (a *CognitoAuthALB) httpsListener(p Props) {
	a.HTTPSListener = lblistener.NewLbListener(a.ns, jsii.String("HTTPSListener"), &lblistener.LbListenerConfig{
		LoadBalancerArn: a.LoadBalancer.Arn(),
		Port:            jsii.Number(443),
		Protocol:        jsii.String("HTTPS"),
		SslPolicy:       jsii.String(p.SSLPolicy),
		CertificateArn:  a.CertificateValidation.CertificateArn(),
		DefaultAction: a.defaultActions(&lblistener.LbListenerDefaultAction{
			Type:  jsii.String("fixed-response"),
			Order: jsii.Number(2),
			FixedResponse: &lblistener.LbListenerDefaultActionFixedResponse{
				ContentType: jsii.String("text/plain"), MessageBody: jsii.String("No app is deployed yet."), StatusCode: jsii.String("503"),
			},
		}),
	})
	for _, r := range ListenerRules(p.Domain, p.PrivatePaths...) {
		if r.Forward == "" {
			a.Rules[r.ID] = a.rule(r, "")
		}
	}
}

// defaultActions are the HTTPS listener's default actions: sign in with
// Cognito, then then.
func (a *CognitoAuthALB) defaultActions(then *lblistener.LbListenerDefaultAction) *[]*lblistener.LbListenerDefaultAction {
	return &[]*lblistener.LbListenerDefaultAction{
		{
			Type:  jsii.String("authenticate-cognito"),
			Order: jsii.Number(1),
			AuthenticateCognito: &lblistener.LbListenerDefaultActionAuthenticateCognito{
				UserPoolArn:              a.UserPool.Arn(),
				UserPoolClientId:         a.UserPoolClient.Id(),
				UserPoolDomain:           a.UserPoolDomain.Domain(),
				SessionCookieName:        jsii.String(SessionCookieName),
				SessionTimeout:           jsii.Number(float64(a.props.AuthSessionTimeoutSeconds)),
				Scope:                    jsii.String("openid email profile"),
				OnUnauthenticatedRequest: jsii.String("authenticate"),
			},
		},
		then,
	}
}

// AddService puts svc's target group behind the HTTPS listener as target:
// TargetApp becomes the signed-in default action, TargetLogout gets the
// rules that forward to it without sign-in. The ALB may then reach the
// service's port inside the VPC, and the service is created only once its
// target group is behind the listener (ECS registers targets only then).
func (a *CognitoAuthALB) AddService(target Target, svc *shinyservice.ShinyService) error {
	if target != TargetApp && target != TargetLogout {
		return fmt.Errorf("cognitoauthalb: AddService(%q): the target must be %q or %q", target, TargetApp, TargetLogout)
	}
	if a.services[target] {
		return fmt.Errorf("cognitoauthalb: AddService(%q) called twice", target)
	}
	a.services[target] = true
	deps := []cdktf.TerraformResource{a.HTTPSListener}
	if target == TargetApp {
		a.HTTPSListener.PutDefaultAction(a.defaultActions(&lblistener.LbListenerDefaultAction{
			Type: jsii.String("forward"), Order: jsii.Number(2), TargetGroupArn: svc.TargetGroup.Arn(),
		}))
	}
	for _, r := range ListenerRules(a.props.Domain, a.props.PrivatePaths...) {
		if r.Forward == target {
			a.Rules[r.ID] = a.rule(r, *svc.TargetGroup.Arn())
			deps = append(deps, a.Rules[r.ID])
		}
	}
	a.allowEgressTo(svc.Port())
	svc.DependOn(deps...)
	return nil
}

// allowEgressTo lets the ALB reach port inside the VPC (once per port).
func (a *CognitoAuthALB) allowEgressTo(port int) {
	for _, e := range a.egress[1:] {
		if int(*e.FromPort) == port {
			return
		}
	}
	a.egress = append(a.egress, &securitygroup.SecurityGroupEgress{
		Description: jsii.String(fmt.Sprintf("To the tasks on port %d", port)),
		Protocol:    jsii.String("tcp"),
		FromPort:    jsii.Number(float64(port)),
		ToPort:      jsii.Number(float64(port)),
		CidrBlocks:  jsii.Strings(a.props.VpcCIDR),
	})
	a.SecurityGroup.PutEgress(&a.egress)
}

// rule renders one listener rule of the HTTPS listener; targetGroupARN is
// where a forwarding rule sends requests.
func (a *CognitoAuthALB) rule(r Rule, targetGroupARN string) lblistenerrule.LbListenerRule {
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
	action := &lblistenerrule.LbListenerRuleAction{Type: jsii.String("forward"), TargetGroupArn: jsii.String(targetGroupARN)}
	if r.FixedStatus != 0 {
		action = &lblistenerrule.LbListenerRuleAction{
			Type: jsii.String("fixed-response"),
			FixedResponse: &lblistenerrule.LbListenerRuleActionFixedResponse{
				ContentType: jsii.String("text/plain"), MessageBody: jsii.String(r.FixedBody), StatusCode: jsii.String(fmt.Sprint(r.FixedStatus)),
			},
		}
	}
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
	return *a.UserPoolDomain.Domain() + ".auth." + region + ".amazoncognito.com"
}

// domainPrefix is the configured Cognito domain prefix, or the default: a
// prefix must be unique among all AWS accounts in the region, so a generic
// NAMEPREFIX-login is likely taken; 8 hex digits of a hash of the account id
// (known at plan time) make it unique for the account and stable.
func (a *CognitoAuthALB) domainPrefix(ns constructs.Construct, p Props) string {
	if p.CognitoDomainPrefix != "" {
		return p.CognitoDomainPrefix
	}
	account := dataawscalleridentity.NewDataAwsCallerIdentity(ns, jsii.String("Account"), &dataawscalleridentity.DataAwsCallerIdentityConfig{})
	return DefaultDomainPrefix(p.NamePrefix) + "-" + *cdktf.Fn_Substr(cdktf.Fn_Sha256(account.AccountId()), jsii.Number(0), jsii.Number(DomainSuffixLength))
}

// DomainSuffixLength is the number of hex digits the default Cognito domain
// prefix ends with.
const DomainSuffixLength = 8

// DefaultDomainPrefix is the default Cognito domain prefix without its
// account suffix: NAMEPREFIX-login.
func DefaultDomainPrefix(namePrefix string) string { return namePrefix + "-login" }
