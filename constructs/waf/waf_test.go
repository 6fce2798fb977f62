package waf

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

func synth(t *testing.T, p Props) (*WAF, synthtest.Synth) {
	t.Helper()
	stack := cdktf.NewTerraformStack(cdktf.Testing_App(nil), jsii.String("test"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("us-east-1")})
	w, err := NewWAF(stack, "waf", p)
	if err != nil {
		t.Fatal(err)
	}
	return w, synthtest.SynthStack(t, stack)
}

// Only Shiny's upload requests skip the common rule set: the websocket, the
// app's pages and downloads stay inside it.
func TestUploadScopeDown(t *testing.T) {
	re := regexp.MustCompile(ShinyUploadPathRegex)
	for path, upload := range map[string]bool{
		"/session/5c6b2a0e9f1d4b7a8c3e2f1a0b9c8d7e/upload/0123456789abcdef01234567": true,
		"/websocket/":                       false,
		"/":                                 false,
		"/session/5c6b2a0e/download/report": false,
		"/session/5c6b2a0e/upload/../../etc/passwd": false,
		"/x/session/5c6b2a0e/upload/0123":           false,
	} {
		if re.MatchString(path) != upload {
			t.Errorf("%s: upload = %v, want %v", path, !upload, upload)
		}
	}
}

func TestRules(t *testing.T) {
	w, out := synth(t, Props{Settings: Settings{RequestsPer5Minutes: 500}, NamePrefix: "shiny-prod", LoadBalancerARN: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1"})
	out.HasResource(t, "aws_wafv2_web_acl", map[string]any{
		"scope": "REGIONAL", "default_action": map[string]any{"allow": map[string]any{}},
		"rule": []any{
			map[string]any{"name": RuleRateLimit, "priority": 0, "action": map[string]any{"block": map[string]any{}},
				"statement": map[string]any{"rate_based_statement": map[string]any{"limit": 500, "aggregate_key_type": "IP"}}},
			map[string]any{"name": RuleCommon, "priority": 1, "override_action": map[string]any{"none": map[string]any{}},
				"statement": map[string]any{"managed_rule_group_statement": map[string]any{
					"vendor_name":          "AWS",
					"rule_action_override": []any{map[string]any{"name": "SizeRestrictions_Cookie_HEADER", "action_to_use": map[string]any{"count": map[string]any{}}}},
				}}},
			map[string]any{"name": RuleKnownBadInputs, "priority": 2},
		},
	})
	out.HasResource(t, "aws_wafv2_web_acl_association", map[string]any{"resource_arn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1"})
	if got := len(w.MetricNames); got != 4 {
		t.Errorf("%d metric names, want the web ACL's and 3 rules'", got)
	}
	if body := w.DashboardWidget("us-east-1"); body["type"] != "metric" {
		t.Errorf("widget = %v", body)
	}
}

// Every exclusion says why, so the README can repeat it.
func TestExclusionsAreReasoned(t *testing.T) {
	for _, e := range Exclusions {
		if e.RuleGroup == "" || e.Rule == "" || len(e.Why) < 40 || e.How == "" {
			t.Errorf("exclusion %+v is not reasoned", e)
		}
	}
}

func TestPropsValidate(t *testing.T) {
	err := Props{Settings: Settings{RequestsPer5Minutes: 10}}.Validate()
	for _, want := range []string{"requestsPer5Minutes = 10", `NamePrefix = "": is required`, `LoadBalancerARN = "": is required`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
}
