package stacks

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/alerts"
	"github.com/shinyfargate/shiny-cdktf/constructs/waf"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

// guardedConfig turns alerts (with an email), access logs (a new bucket)
// and the WAF on.
func guardedConfig() Config {
	cfg := validConfig()
	cfg.Alerts.Enabled, cfg.Alerts.Email = true, "ops@example.com"
	cfg.AccessLogs.Enabled = true
	cfg.WAF.Enabled = true
	return cfg
}

var guarded = sync.OnceValue(func() *synthOnce { return &synthOnce{} })

type synthOnce struct {
	once sync.Once
	app  synthtest.Synth
}

// guardedSynth synthesizes guardedConfig once per run.
func guardedSynth(t *testing.T) synthtest.Synth {
	t.Helper()
	g := guarded()
	g.once.Do(func() { _, g.app = synthBoth(t, guardedConfig()) })
	if g.app.Doc == nil {
		t.Fatal("the guarded configuration did not synthesize (see the first failing test)")
	}
	return g.app
}

// Alerts, access logs and the WAF cost money and need choices (an address,
// a retention), so the default environment has none of them.
func TestGuardsOffByDefault(t *testing.T) {
	_, app := defaultSynth(t)
	for _, typ := range []string{"aws_sns_topic", "aws_s3_bucket", "aws_wafv2_web_acl", "aws_wafv2_web_acl_association", "aws_kms_key"} {
		if n := len(app.Resources(typ)); n != 0 {
			t.Errorf("%d %s in the default environment", n, typ)
		}
	}
	_, lb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	if lb["access_logs"] != nil || lb["connection_logs"] != nil {
		t.Errorf("the ALB logs by default: %v %v", lb["access_logs"], lb["connection_logs"])
	}
	for _, o := range []string{OutputAlertsTopicARN, OutputAccessLogsBucket, OutputWebACLARN} {
		if _, ok := app.Outputs()[o]; ok {
			t.Errorf("output %s in the default environment", o)
		}
	}
}

// Every alarm notifies the topic when it fires and when it clears, and so
// does the scaling's alarm on missing session data.
func TestAlarmsNotifyTheTopic(t *testing.T) {
	app := guardedSynth(t)
	topicName, topic := app.ByPath(t, "aws_sns_topic", "app/alerts/Topic")
	arn := synthtest.Ref("aws_sns_topic", topicName, "arn")
	if topic["kms_master_key_id"] != ref(app, t, "aws_kms_key", "app/alerts/Key", "arn") {
		t.Errorf("topic not encrypted with its own key: %v", topic)
	}
	ids := []string{alerts.IDALB5xx, alerts.IDUnhealthyHosts, alerts.IDNoHealthyHosts, alerts.IDFunctionErrors, alerts.IDSessionsMissing, alerts.IDAtCapacity}
	paths := []string{"app/scaling/SessionDataAlarm"}
	for _, id := range ids {
		paths = append(paths, "app/alerts/"+id)
	}
	for _, p := range paths {
		_, a := app.ByPath(t, "aws_cloudwatch_metric_alarm", p)
		if !slices.Equal(strs(a["alarm_actions"]), []string{arn}) || !slices.Equal(strs(a["ok_actions"]), []string{arn}) {
			t.Errorf("%s: alarm_actions %v ok_actions %v, want [%s]", p, a["alarm_actions"], a["ok_actions"], arn)
		}
	}
	app.HasResource(t, "aws_sns_topic_subscription", map[string]any{"protocol": "email", "endpoint": "ops@example.com", "topic_arn": arn})
	if o := app.Outputs()[OutputAlertsTopicARN]; o["value"] != arn {
		t.Errorf("output %s = %v, want %s", OutputAlertsTopicARN, o, arn)
	}
}

// The alarms watch this stack's ALB, Shiny target group, service and Lambda.
func TestAlarmsWatchTheStack(t *testing.T) {
	app := guardedSynth(t)
	lb := ref(app, t, "aws_lb", "app/alb/LoadBalancer", "arn_suffix")
	tg := ref(app, t, "aws_lb_target_group", "app/shiny/TargetGroup", "arn_suffix")
	_, healthy := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/alerts/"+alerts.IDNoHealthyHosts)
	if d := m(healthy["dimensions"]); d["LoadBalancer"] != lb || d["TargetGroup"] != tg || healthy["metric_name"] != "HealthyHostCount" {
		t.Errorf("no-healthy-hosts alarm = %v", healthy)
	}
	_, errs := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/alerts/"+alerts.IDFunctionErrors)
	if m(errs["dimensions"])["FunctionName"] != ref(app, t, "aws_lambda_function", "app/scaling/Function", "function_name") {
		t.Errorf("Lambda errors alarm = %v", errs)
	}
	_, capacity := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/alerts/"+alerts.IDAtCapacity)
	var expr string
	for _, q := range l(capacity["metric_query"]) {
		if e, ok := m(q)["expression"].(string); ok {
			expr = e
		}
	}
	if expr != "IF(tasks >= 5, 1, 0) * IF(load > 15, 1, 0)" {
		t.Errorf("at-capacity expression = %q, want the default maxTasks 5 and scaleOutAbove 15", expr)
	}
}

// An existing topic gets the alarms; the stack creates no topic, key or subscription.
func TestAlertsToExistingTopic(t *testing.T) {
	cfg := validConfig()
	cfg.Alerts.Enabled, cfg.Alerts.TopicARN = true, "arn:aws:sns:us-east-1:123456789012:ops"
	_, app := synthBoth(t, cfg)
	for _, typ := range []string{"aws_sns_topic", "aws_kms_key", "aws_sns_topic_subscription"} {
		if n := len(app.Resources(typ)); n != 0 {
			t.Errorf("%d %s with alerts.topicArn", n, typ)
		}
	}
	_, a := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/alerts/"+alerts.IDALB5xx)
	if !slices.Equal(strs(a["alarm_actions"]), []string{cfg.Alerts.TopicARN}) {
		t.Errorf("alarm_actions = %v", a["alarm_actions"])
	}
	if o := app.Outputs()[OutputAlertsTopicARN]; o["value"] != cfg.Alerts.TopicARN {
		t.Errorf("output = %v", o)
	}
}

// The ALB writes access and connection logs to the created bucket, once
// the bucket's policy lets it.
func TestALBLogsToTheBucket(t *testing.T) {
	app := guardedSynth(t)
	bucket := ref(app, t, "aws_s3_bucket", "app/access-logs/Bucket", "bucket")
	policyName, _ := app.ByPath(t, "aws_s3_bucket_policy", "app/access-logs/Policy")
	_, lb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	access, conn := m(lb["access_logs"]), m(lb["connection_logs"])
	if access["bucket"] != bucket || access["prefix"] != "shiny-dev/access" || access["enabled"] != true {
		t.Errorf("access_logs = %v", access)
	}
	if conn["bucket"] != bucket || conn["prefix"] != "shiny-dev/connection" || conn["enabled"] != true {
		t.Errorf("connection_logs = %v", conn)
	}
	if !slices.Contains(strs(lb["depends_on"]), "aws_s3_bucket_policy."+policyName) {
		t.Errorf("the ALB does not wait for the bucket policy: depends_on %v", lb["depends_on"])
	}
	if o := app.Outputs()[OutputAccessLogsBucket]; o["value"] != bucket {
		t.Errorf("output = %v", o)
	}
}

// The created bucket is private, encrypted, TLS-only and expires its logs;
// in us-east-1 (before August 2022) the region's ELB account writes them.
func TestAccessLogBucketIsLockedDown(t *testing.T) {
	app := guardedSynth(t)
	_, pab := app.ByPath(t, "aws_s3_bucket_public_access_block", "app/access-logs/PublicAccessBlock")
	for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		if pab[k] != true {
			t.Errorf("public access block %s = %v", k, pab[k])
		}
	}
	app.HasResource(t, "aws_s3_bucket_server_side_encryption_configuration", map[string]any{
		"rule": []any{map[string]any{"apply_server_side_encryption_by_default": map[string]any{"sse_algorithm": "AES256"}}},
	})
	_, lc := app.ByPath(t, "aws_s3_bucket_lifecycle_configuration", "app/access-logs/Lifecycle")
	if days := m(l(m(l(lc["rule"])[0])["expiration"])[0])["days"]; days != float64(90) {
		t.Errorf("expiration days = %v, want 90", days)
	}
	var doc map[string]any
	for name, d := range app.DataSources("aws_iam_policy_document") {
		if strings.HasPrefix(name, "access-logs_PolicyDocument_") {
			doc = d
		}
	}
	b, _ := json.Marshal(doc)
	for _, want := range []string{`"aws:SecureTransport"`, `"Deny"`, `arn:${data.aws_partition.`, `:iam::127311923021:root`, `/shiny-dev/access/AWSLogs/`, `/shiny-dev/connection/AWSLogs/`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("bucket policy lacks %s:\n%s", want, b)
		}
	}
}

// With accessLogs.bucket the logs go there and nothing is created.
func TestAccessLogsToExistingBucket(t *testing.T) {
	cfg := validConfig()
	cfg.AccessLogs.Enabled, cfg.AccessLogs.Bucket = true, "my-audit-logs"
	_, app := synthBoth(t, cfg)
	if n := len(app.Resources("aws_s3_bucket")); n != 0 {
		t.Errorf("%d buckets created with accessLogs.bucket", n)
	}
	_, lb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	if m(lb["access_logs"])["bucket"] != "my-audit-logs" || m(lb["connection_logs"])["bucket"] != "my-audit-logs" {
		t.Errorf("access_logs %v connection_logs %v", lb["access_logs"], lb["connection_logs"])
	}
}

// The web ACL guards the ALB with the rate limit and both managed groups,
// and its metrics are on the dashboard.
func TestWebACLOnTheALB(t *testing.T) {
	app := guardedSynth(t)
	aclName, acl := app.ByPath(t, "aws_wafv2_web_acl", "app/waf/WebACL")
	_, assoc := app.ByPath(t, "aws_wafv2_web_acl_association", "app/waf/Association")
	if assoc["resource_arn"] != ref(app, t, "aws_lb", "app/alb/LoadBalancer", "arn") || assoc["web_acl_arn"] != synthtest.Ref("aws_wafv2_web_acl", aclName, "arn") {
		t.Errorf("association = %v", assoc)
	}
	if acl["scope"] != "REGIONAL" {
		t.Errorf("scope = %v", acl["scope"])
	}
	var names []string
	for _, r := range l(acl["rule"]) {
		names = append(names, m(r)["name"].(string))
	}
	if want := []string{waf.RuleRateLimit, waf.RuleCommon, waf.RuleKnownBadInputs}; !slices.Equal(names, want) {
		t.Errorf("rules = %v, want %v", names, want)
	}
	rate := m(m(m(l(acl["rule"])[0])["statement"])["rate_based_statement"])
	if rate["limit"] != float64(waf.DefaultRequestsPer5Minutes) || rate["aggregate_key_type"] != "IP" {
		t.Errorf("rate limit = %v", rate)
	}
	_, dash := app.ByPath(t, "aws_cloudwatch_dashboard", "app/scaling/Dashboard")
	if body, _ := dash["dashboard_body"].(string); !strings.Contains(body, `"AWS/WAFV2"`) {
		t.Errorf("the dashboard has no WAF metrics: %s", body)
	}
	if o := app.Outputs()[OutputWebACLARN]; o["value"] != synthtest.Ref("aws_wafv2_web_acl", aclName, "arn") {
		t.Errorf("output = %v", o)
	}
}
