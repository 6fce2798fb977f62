package sessionscaling

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

// synth builds the construct alone in a stack with props p.
func synth(t *testing.T, mutate func(*Props)) (*SessionScaling, synthtest.Synth) {
	t.Helper()
	zip := filepath.Join(t.TempDir(), "sessionmetric.zip")
	if err := os.WriteFile(zip, []byte("zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	stack := cdktf.NewTerraformStack(cdktf.Testing_App(nil), jsii.String("test"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("us-east-1")})
	svc, err := shinyservice.NewShinyService(stack, "shiny", shinyservice.Props{
		Name: "shiny", NamePrefix: "shiny-test", Region: "us-east-1",
		ClusterARN: "arn:aws:ecs:us-east-1:1:cluster/cluster", VpcID: "vpc-1", SubnetIDs: []string{"subnet-1"},
		ALBSecurityGroupID: "sg-1", ImageRepositoryARNs: []string{"arn:aws:ecr:us-east-1:1:repository/x"},
		Containers:      []shinyservice.Container{{Name: "app", Image: "x@sha256:0", Port: 8080}},
		TargetContainer: "app", Size: shinyservice.Size{CPU: 256, MemoryMiB: 512, DesiredCount: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := Props{NamePrefix: "shiny-test", Region: "us-east-1", ClusterName: "cluster", ClusterARN: "arn:aws:ecs:us-east-1:1:cluster/cluster",
		Service: svc, Lambda: lambdabuild.Package{ZipPath: zip, SHA256: "abc="}}
	mutate(&p)
	s, err := NewSessionScaling(stack, "scaling", p)
	if err != nil {
		t.Fatal(err)
	}
	return s, synthtest.SynthStack(t, stack)
}

// ModeTarget renders one target tracking policy on SessionsPerTask, with
// the cooldowns, and no step alarms (Application Auto Scaling makes its own).
func TestTargetMode(t *testing.T) {
	s, out := synth(t, func(p *Props) { p.Mode = ModeTarget; p.TargetSessionsPerTask = 8 })
	if s.SessionsTracking == nil || s.ScaleOutAlarm != nil || s.ScaleOutPolicy != nil || s.CPUTracking != nil {
		t.Fatalf("target mode created %+v", s)
	}
	out.HasResource(t, "aws_appautoscaling_policy", map[string]any{
		"name":        "shiny-test-sessions-target",
		"policy_type": "TargetTrackingScaling",
		"target_tracking_scaling_policy_configuration": map[string]any{
			"target_value":       8,
			"scale_out_cooldown": 120,
			"scale_in_cooldown":  300,
			"customized_metric_specification": map[string]any{
				"namespace":   sessionmodel.MetricNamespace,
				"metric_name": sessionmodel.MetricSessionsPerTask,
				"statistic":   "Average",
				"dimensions": []any{
					map[string]any{"name": sessionmodel.DimensionCluster, "value": "cluster"},
					map[string]any{"name": sessionmodel.DimensionService, "value": "${aws_ecs_service.shiny_Service_9F30D7C7.name}"},
				},
			},
		},
	})
	if n := len(out.Resources("aws_cloudwatch_metric_alarm")); n != 3 { // CPU, memory and session data only
		t.Errorf("%d alarms, want the 3 observation alarms", n)
	}
}

// A schedule renders one scheduled action per entry on the scalable target,
// in the given time zone, setting the minimum capacity.
func TestSchedule(t *testing.T) {
	s, out := synth(t, func(p *Props) {
		p.ScheduleTimeZone = "Europe/Paris"
		p.Schedule = []ScheduledAction{{Name: "class", Cron: "50 8 ? * MON-FRI *", MinTasks: 3}, {Name: "after", Cron: "0 11 ? * MON-FRI *", MinTasks: 1}}
	})
	if len(s.ScheduledActions) != 2 {
		t.Fatalf("%d scheduled actions, want 2", len(s.ScheduledActions))
	}
	out.HasResource(t, "aws_appautoscaling_scheduled_action", map[string]any{
		"name":                   "shiny-test-class",
		"schedule":               "cron(50 8 ? * MON-FRI *)",
		"timezone":               "Europe/Paris",
		"scalable_target_action": map[string]any{"min_capacity": "3"},
	})
	// The default: no scheduled actions at all.
	if s, _ := synth(t, func(*Props) {}); len(s.ScheduledActions) != 0 {
		t.Errorf("default props created %d scheduled actions", len(s.ScheduledActions))
	}
}

// The rendered step alarms and policies are the Policy description: a
// change there is a change in the stack.
func TestStepRenderedFromPolicy(t *testing.T) {
	_, out := synth(t, func(*Props) {})
	pol := Props{NamePrefix: "shiny-test"}.Policy()
	a := pol.ScaleOut.Alarm
	out.HasResource(t, "aws_cloudwatch_metric_alarm", map[string]any{
		"alarm_name": a.Name, "evaluation_periods": a.EvaluationPeriods, "datapoints_to_alarm": a.DatapointsToAlarm,
		"threshold": a.Threshold, "comparison_operator": a.Comparison, "treat_missing_data": a.TreatMissingData,
	})
	out.HasResource(t, "aws_appautoscaling_policy", map[string]any{
		"name": pol.ScaleOut.Policy.Name,
		"step_scaling_policy_configuration": map[string]any{
			"cooldown": pol.ScaleOut.Policy.Cooldown.Seconds(),
			"step_adjustment": []any{
				map[string]any{"metric_interval_lower_bound": "0", "metric_interval_upper_bound": "15", "scaling_adjustment": 1},
				map[string]any{"metric_interval_lower_bound": "15", "scaling_adjustment": 2},
			},
		},
	})
}

// AlarmsTo sends the session-data alarm (only) to a topic, firing and clearing.
func TestAlarmsTo(t *testing.T) {
	topic := "arn:aws:sns:us-east-1:123456789012:ops"
	s, _ := synth(t, func(*Props) {})
	s.AlarmsTo(topic)
	out := synthtest.SynthStack(t, cdktf.TerraformStack_Of(s.SessionDataAlarm))
	out.HasResource(t, "aws_cloudwatch_metric_alarm", map[string]any{
		"alarm_name": "shiny-test-session-data-missing", "alarm_actions": []any{topic}, "ok_actions": []any{topic},
	})
	out.HasResource(t, "aws_cloudwatch_metric_alarm", map[string]any{"alarm_name": "shiny-test-CPUUtilization"})
	for _, a := range out.Resources("aws_cloudwatch_metric_alarm") {
		if a["alarm_name"] == "shiny-test-CPUUtilization" && a["alarm_actions"] != nil {
			t.Errorf("the CPU alarm got actions: %v", a["alarm_actions"])
		}
	}
}
