// Package waf puts an AWS WAF web ACL in front of the ALB: a rate limit per
// client address, then AWS's managed common (core rule set) and known bad
// inputs rule groups, with the exclusions Shiny's traffic needs (Exclusions).
package waf

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webacl"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/wafv2webaclassociation"
)

// DefaultRequestsPer5Minutes is the rate limit per client address. A page
// load of the sample app is about 30 requests and a session then talks over
// one websocket, so it allows a classroom of ~50 people behind one NAT
// address to open the app twice in five minutes, and stops a scraper or a
// password-guessing script.
const DefaultRequestsPer5Minutes = 3000

// Settings are the firewall choices of a deployment: the stack
// configuration's "waf" section is this struct.
type Settings struct {
	// Enabled puts an AWS WAF web ACL on the ALB (about 5 USD a month plus 1
	// USD per rule group and 0.60 USD per million requests). False: no firewall.
	Enabled bool `json:"enabled"`
	// RequestsPer5Minutes blocks a client address for as long as it sends
	// more requests than this in any 5 minutes (people behind one NAT share it).
	RequestsPer5Minutes int `json:"requestsPer5Minutes"`
}

// DefaultSettings: off; when on, DefaultRequestsPer5Minutes.
func DefaultSettings() Settings { return Settings{RequestsPer5Minutes: DefaultRequestsPer5Minutes} }

// Props configure WAF.
type Props struct {
	// Settings are the user's choices; Enabled is not read (the caller
	// creates the WAF only when it is on).
	Settings
	// NamePrefix starts the web ACL's and its metrics' names. Required.
	NamePrefix string
	// LoadBalancerARN is the ALB the web ACL protects. Required.
	LoadBalancerARN string
}

// WAF is what NewWAF created.
type WAF struct {
	WebACL      wafv2webacl.Wafv2WebAcl
	Association wafv2webaclassociation.Wafv2WebAclAssociation
	// MetricNames are the CloudWatch metric names (the "Rule" dimension of
	// AWS/WAFV2) of the web ACL and each rule.
	MetricNames []string
}

// ShinyUploadPathRegex matches the path of a Shiny file upload: the browser
// POSTs the raw file to session/TOKEN/upload/JOBID (both hex ids; shiny's
// ShinySession$handleRequest and FileUploadContext$createUploadOperation).
const ShinyUploadPathRegex = `^/session/[0-9a-f]+/upload/[0-9a-f]+$`

// Exclusion is a managed rule that would block legitimate Shiny traffic, and why.
type Exclusion struct {
	// RuleGroup and Rule name the managed rule; Rule "*" is the whole group.
	RuleGroup, Rule string
	// How it is excluded; Why it must be.
	How, Why string
}

// Exclusions are the deviations from AWS's managed rules, for the README
// and the tests. Everything else in both groups blocks as AWS ships it.
// Shiny's websocket upgrade is a GET without a body and with ordinary
// headers, and what then flows over the websocket is not inspected by WAF at
// all, so sessions pass the rules unchanged.
var Exclusions = []Exclusion{
	{
		RuleGroup: "AWSManagedRulesCommonRuleSet", Rule: "*",
		How: "not applied to Shiny upload requests (POST matching " + ShinyUploadPathRegex + ")",
		Why: "the body of an upload is the raw file: SizeRestrictions_BODY blocks every file over 8 KB, and the body rules (CrossSiteScripting_BODY, GenericLFI_BODY, ...) judge the file's content as if it were a form (an uploaded HTML or log file would be refused). The upload still passes the rate limit and the known bad inputs group, and reaches the app only after the ALB's Cognito sign-in",
	},
	{
		RuleGroup: "AWSManagedRulesCommonRuleSet", Rule: "SizeRestrictions_Cookie_HEADER",
		How: "counted, not blocked",
		Why: "the ALB's own sign-in cookie (AWSELBAuthSessionCookie-0, -1, ...) is split into shards of up to 4 KB and may reach 16 KB with the user's claims, above the rule's 10 KB limit; blocking it would lock signed-in users out",
	},
}

// Rule names and priorities (lower is evaluated first).
const (
	RuleRateLimit      = "RateLimit"
	RuleCommon         = "AWSManagedRulesCommonRuleSet"
	RuleKnownBadInputs = "AWSManagedRulesKnownBadInputsRuleSet"
)

// NewWAF creates the web ACL and its association with the ALB under a
// construct named id.
func NewWAF(scope constructs.Construct, id string, props Props) (*WAF, error) {
	if props.RequestsPer5Minutes == 0 {
		props.RequestsPer5Minutes = DefaultRequestsPer5Minutes
	}
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("waf %q: %w", id, err)
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	w := &WAF{}
	metric := func(name string) *wafv2webacl.Wafv2WebAclRuleVisibilityConfig {
		w.MetricNames = append(w.MetricNames, props.NamePrefix+"-"+name)
		return &wafv2webacl.Wafv2WebAclRuleVisibilityConfig{
			CloudwatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String(props.NamePrefix + "-" + name), SampledRequestsEnabled: jsii.Bool(true),
		}
	}
	none := &wafv2webacl.Wafv2WebAclRuleOverrideAction{None: &wafv2webacl.Wafv2WebAclRuleOverrideActionNone{}}
	// Statements are written in the provider's schema (snake_case): the
	// bindings type them as interface{}, being nested too deeply.
	var overrides []any
	for _, e := range Exclusions {
		if e.RuleGroup == RuleCommon && e.Rule != "*" {
			overrides = append(overrides, map[string]any{"name": e.Rule, "action_to_use": map[string]any{"count": map[string]any{}}})
		}
	}
	rules := []*wafv2webacl.Wafv2WebAclRule{
		{
			Name: jsii.String(RuleRateLimit), Priority: jsii.Number(0),
			Action: &wafv2webacl.Wafv2WebAclRuleAction{Block: &wafv2webacl.Wafv2WebAclRuleActionBlock{}},
			Statement: map[string]any{"rate_based_statement": map[string]any{
				"limit": props.RequestsPer5Minutes, "aggregate_key_type": "IP",
			}},
			VisibilityConfig: metric("rate-limit"),
		},
		{
			Name: jsii.String(RuleCommon), Priority: jsii.Number(1), OverrideAction: none,
			Statement: map[string]any{"managed_rule_group_statement": map[string]any{
				"name": RuleCommon, "vendor_name": "AWS",
				"rule_action_override": overrides,
				"scope_down_statement": map[string]any{"not_statement": map[string]any{"statement": []any{map[string]any{
					"regex_match_statement": map[string]any{
						"regex_string":        ShinyUploadPathRegex,
						"field_to_match":      map[string]any{"uri_path": map[string]any{}},
						"text_transformation": []any{map[string]any{"priority": 0, "type": "NONE"}},
					},
				}}}},
			}},
			VisibilityConfig: metric("common"),
		},
		{
			Name: jsii.String(RuleKnownBadInputs), Priority: jsii.Number(2), OverrideAction: none,
			Statement: map[string]any{"managed_rule_group_statement": map[string]any{
				"name": RuleKnownBadInputs, "vendor_name": "AWS",
			}},
			VisibilityConfig: metric("known-bad-inputs"),
		},
	}
	acl := metric("web-acl")
	w.WebACL = wafv2webacl.NewWafv2WebAcl(ns, jsii.String("WebACL"), &wafv2webacl.Wafv2WebAclConfig{
		Name:          jsii.String(props.NamePrefix),
		Description:   jsii.String("Rate limit, AWS common and known bad inputs rules in front of " + props.NamePrefix),
		Scope:         jsii.String("REGIONAL"),
		DefaultAction: &wafv2webacl.Wafv2WebAclDefaultAction{Allow: &wafv2webacl.Wafv2WebAclDefaultActionAllow{}},
		Rule:          &rules,
		VisibilityConfig: &wafv2webacl.Wafv2WebAclVisibilityConfig{
			CloudwatchMetricsEnabled: jsii.Bool(true), MetricName: acl.MetricName, SampledRequestsEnabled: jsii.Bool(true),
		},
	})
	w.Association = wafv2webaclassociation.NewWafv2WebAclAssociation(ns, jsii.String("Association"), &wafv2webaclassociation.Wafv2WebAclAssociationConfigA{
		ResourceArn: jsii.String(props.LoadBalancerARN),
		WebAclArn:   w.WebACL.Arn(),
	})
	return w, nil
}

// DashboardWidget graphs the web ACL's allowed and blocked requests and
// what each rule blocked, for region.
func (w *WAF) DashboardWidget(region string) map[string]any {
	acl := *w.WebACL.Name()
	var metrics [][]any
	for _, action := range []string{"AllowedRequests", "BlockedRequests", "CountedRequests"} {
		metrics = append(metrics, []any{"AWS/WAFV2", action, "WebACL", acl, "Region", region, "Rule", "ALL"})
	}
	for _, rule := range w.MetricNames[:len(w.MetricNames)-1] {
		metrics = append(metrics, []any{"AWS/WAFV2", "BlockedRequests", "WebACL", acl, "Region", region, "Rule", rule})
	}
	return map[string]any{
		"type": "metric", "x": 0, "y": 12, "width": 24, "height": 6,
		"properties": map[string]any{
			"title": "WAF: allowed, blocked and counted requests; blocked by rule", "region": region,
			"stat": "Sum", "period": 300, "view": "timeSeries", "metrics": metrics,
		},
	}
}
