package alerts

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

func props() Props {
	return Props{
		Settings:   DefaultSettings(),
		NamePrefix: "shiny-test", LoadBalancerARNSuffix: "app/shiny-test/1", TargetGroupARNSuffix: "targetgroup/shiny/2",
		ClusterName: "shiny-test", ServiceName: "shiny-test-shiny", FunctionName: "shiny-test-sessionmetric",
		Scaling: sessionscaling.DefaultSettings(),
	}
}

func synth(t *testing.T, p Props) (*Alerts, synthtest.Synth) {
	t.Helper()
	stack := cdktf.NewTerraformStack(cdktf.Testing_App(nil), jsii.String("test"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("us-east-1")})
	a, err := NewAlerts(stack, "alerts", p)
	if err != nil {
		t.Fatal(err)
	}
	return a, synthtest.SynthStack(t, stack)
}

// The at-capacity alarm compares the load metric of the scaling mode with
// the threshold that scales out in that mode, at maxTasks.
func TestAtCapacityFollowsTheScalingMode(t *testing.T) {
	for _, tc := range []struct {
		mode, metric, expr string
	}{
		{sessionscaling.ModeSessions, "SessionsPerTask", "IF(tasks >= 5, 1, 0) * IF(load > 15, 1, 0)"},
		{sessionscaling.ModeTarget, "SessionsPerTask", "IF(tasks >= 5, 1, 0) * IF(load > 10, 1, 0)"},
		{sessionscaling.ModeCPU, "CPUUtilization", "IF(tasks >= 5, 1, 0) * IF(load > 60, 1, 0)"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			p := props()
			p.Scaling.Mode = tc.mode
			var capacity Alarm
			for _, a := range p.Alarms() {
				if a.ID == IDAtCapacity {
					capacity = a
				}
			}
			if got := capacity.Queries[2].Expression; got != tc.expr {
				t.Errorf("expression = %q, want %q", got, tc.expr)
			}
			if capacity.Queries[1].Metric != tc.metric {
				t.Errorf("load metric = %q, want %q", capacity.Queries[1].Metric, tc.metric)
			}
		})
	}
}

// Each alarm says what to do (its runbook sentence) and has its own name.
func TestEveryAlarmHasARunbook(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range props().Alarms() {
		if !strings.HasPrefix(a.Name, "shiny-test-") || seen[a.Name] {
			t.Errorf("alarm name %q: not prefixed or not unique", a.Name)
		}
		seen[a.Name] = true
		if len(a.Description) < 80 || len(a.Description) > 1024 {
			t.Errorf("%s: description of %d characters, want a runbook sentence within CloudWatch's 1024", a.ID, len(a.Description))
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d alarms, want 6", len(seen))
	}
}

// A missing SessionsPerTask and an empty target group count as breaching:
// no data is the failure these alarms exist for.
func TestMissingDataIsTheFailure(t *testing.T) {
	for _, a := range props().Alarms() {
		want := "notBreaching"
		if a.ID == IDSessionsMissing || a.ID == IDNoHealthyHosts {
			want = "breaching"
		}
		if a.TreatMissingData != want {
			t.Errorf("%s: treat_missing_data %q, want %q", a.ID, a.TreatMissingData, want)
		}
	}
}

// A new topic is encrypted with a key CloudWatch may use, and the email is subscribed.
func TestNewTopic(t *testing.T) {
	p := props()
	p.Email = "ops@example.com"
	a, out := synth(t, p)
	if a.Topic == nil || a.Key == nil || a.Subscription == nil {
		t.Fatalf("created %+v", a)
	}
	out.HasResource(t, "aws_kms_key", map[string]any{"enable_key_rotation": true})
	out.HasDataSource(t, "aws_iam_policy_document", map[string]any{
		"statement": []any{
			map[string]any{"sid": "AccountAdministers"},
			map[string]any{"sid": "CloudWatchAlarmsPublish", "actions": []any{"kms:Decrypt", "kms:GenerateDataKey*"},
				"principals": []any{map[string]any{"type": "Service", "identifiers": []any{"cloudwatch.amazonaws.com"}}}},
		},
	})
	out.HasResource(t, "aws_sns_topic_subscription", map[string]any{"protocol": "email", "endpoint": "ops@example.com"})
	if n := len(out.Resources("aws_cloudwatch_metric_alarm")); n != 6 {
		t.Errorf("%d alarms, want 6", n)
	}
}

// The 5xx alarm adds the ALB's own 5xx and the Shiny targets' 5xx.
func TestALB5xxSumsBoth(t *testing.T) {
	p := props()
	p.TopicARN = "arn:aws:sns:us-east-1:123456789012:ops"
	p.ALB5xxPer5Minutes = 25
	_, out := synth(t, p)
	out.HasResource(t, "aws_cloudwatch_metric_alarm", map[string]any{
		"alarm_name": "shiny-test-alb-5xx", "threshold": 25, "alarm_actions": []any{p.TopicARN},
		"metric_query": []any{
			map[string]any{"id": "elb", "metric": map[string]any{"metric_name": "HTTPCode_ELB_5XX_Count", "dimensions": map[string]any{"LoadBalancer": "app/shiny-test/1"}}},
			map[string]any{"id": "target", "metric": map[string]any{"metric_name": "HTTPCode_Target_5XX_Count", "dimensions": map[string]any{"LoadBalancer": "app/shiny-test/1", "TargetGroup": "targetgroup/shiny/2"}}},
			map[string]any{"id": "errors", "expression": "FILL(elb, 0) + FILL(target, 0)", "return_data": true},
		},
	})
	if n := len(out.Resources("aws_sns_topic")); n != 0 {
		t.Errorf("created %d topics with TopicARN", n)
	}
}

func TestPropsValidate(t *testing.T) {
	p := props()
	p.FunctionName, p.Scaling.MaxTasks = "", 0
	err := p.Validate()
	for _, want := range []string{`FunctionName = "": is required`, "Scaling.MaxTasks = 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
}
