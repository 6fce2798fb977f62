package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func TestScalableTargetOnShinyDesiredCount(t *testing.T) {
	_, app := defaultSynth(t)
	_, tgt := app.ByPath(t, "aws_appautoscaling_target", "app/scaling/ScalableTarget")
	want := map[string]any{
		"service_namespace":  "ecs",
		"scalable_dimension": "ecs:service:DesiredCount",
		"resource_id":        "service/${aws_ecs_cluster.cluster.name}/" + ref(app, t, "aws_ecs_service", "app/shiny/Service", "name"),
		"min_capacity":       float64(1),
		"max_capacity":       float64(5),
	}
	for k, v := range want {
		if tgt[k] != v {
			t.Errorf("scalable target %s = %v, want %v", k, tgt[k], v)
		}
	}
}

func stepAdjustments(t *testing.T, policy map[string]any) (map[string]any, []map[string]any) {
	t.Helper()
	cfg := m(policy["step_scaling_policy_configuration"])
	var steps []map[string]any
	for _, s := range l(cfg["step_adjustment"]) {
		steps = append(steps, m(s))
	}
	return cfg, steps
}

func TestStepScalingPolicies(t *testing.T) {
	_, app := defaultSynth(t)
	_, out := app.ByPath(t, "aws_appautoscaling_policy", "app/scaling/ScaleOutPolicy")
	cfg, steps := stepAdjustments(t, out)
	if out["policy_type"] != "StepScaling" || cfg["adjustment_type"] != "ChangeInCapacity" || cfg["metric_aggregation_type"] != "Average" || cfg["cooldown"] != float64(120) {
		t.Errorf("scale-out policy = %v", out)
	}
	if len(steps) != 2 ||
		steps[0]["metric_interval_lower_bound"] != "0" || steps[0]["metric_interval_upper_bound"] != "15" || steps[0]["scaling_adjustment"] != float64(1) ||
		steps[1]["metric_interval_lower_bound"] != "15" || steps[1]["metric_interval_upper_bound"] != nil || steps[1]["scaling_adjustment"] != float64(2) {
		t.Errorf("scale-out steps = %v, want +1 up to one threshold above, +2 beyond", steps)
	}
	_, in := app.ByPath(t, "aws_appautoscaling_policy", "app/scaling/ScaleInPolicy")
	cfg, steps = stepAdjustments(t, in)
	if cfg["adjustment_type"] != "ChangeInCapacity" || cfg["cooldown"] != float64(300) {
		t.Errorf("scale-in policy = %v", in)
	}
	if len(steps) != 1 || steps[0]["metric_interval_upper_bound"] != "0" || steps[0]["metric_interval_lower_bound"] != nil || steps[0]["scaling_adjustment"] != float64(-1) {
		t.Errorf("scale-in steps = %v, want -1 below the threshold", steps)
	}
	target := ref(app, t, "aws_appautoscaling_target", "app/scaling/ScalableTarget", "resource_id")
	for _, p := range []map[string]any{out, in} {
		if p["resource_id"] != target {
			t.Errorf("policy on %v, want the scalable target", p["resource_id"])
		}
	}
}

func TestSessionAlarmsDrivePolicies(t *testing.T) {
	_, app := defaultSynth(t)
	dims := map[string]any{
		sessionmodel.DimensionCluster: "${aws_ecs_cluster.cluster.name}",
		sessionmodel.DimensionService: ref(app, t, "aws_ecs_service", "app/shiny/Service", "name"),
	}
	for _, tc := range []struct {
		alarm, policy, op  string
		threshold, periods float64
	}{
		{"ScaleOutAlarm", "ScaleOutPolicy", "GreaterThanThreshold", 15, sessionscaling.ScaleOutPeriods},
		{"ScaleInAlarm", "ScaleInPolicy", "LessThanThreshold", 3, sessionscaling.ScaleInPeriods},
	} {
		_, a := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/scaling/"+tc.alarm)
		if a["namespace"] != sessionmodel.MetricNamespace || a["metric_name"] != sessionmodel.MetricSessionsPerTask || a["statistic"] != "Average" || a["period"] != float64(60) {
			t.Errorf("%s metric = %v", tc.alarm, a)
		}
		if a["comparison_operator"] != tc.op || a["threshold"] != tc.threshold || a["evaluation_periods"] != tc.periods || a["datapoints_to_alarm"] != tc.periods {
			t.Errorf("%s: op=%v threshold=%v periods=%v", tc.alarm, a["comparison_operator"], a["threshold"], a["evaluation_periods"])
		}
		if a["treat_missing_data"] != "notBreaching" {
			t.Errorf("%s treat_missing_data = %v", tc.alarm, a["treat_missing_data"])
		}
		if got := m(a["dimensions"]); len(got) != 2 || got[sessionmodel.DimensionCluster] != dims[sessionmodel.DimensionCluster] || got[sessionmodel.DimensionService] != dims[sessionmodel.DimensionService] {
			t.Errorf("%s dimensions = %v, want %v", tc.alarm, got, dims)
		}
		if acts := strs(a["alarm_actions"]); !slices.Equal(acts, []string{ref(app, t, "aws_appautoscaling_policy", "app/scaling/"+tc.policy, "arn")}) {
			t.Errorf("%s actions = %v, want the %s", tc.alarm, acts, tc.policy)
		}
	}
}

func TestCPUAndMemoryAlarmsHaveNoActions(t *testing.T) {
	_, app := defaultSynth(t)
	for _, id := range []string{"CPUAlarm", "MemoryAlarm"} {
		_, a := app.ByPath(t, "aws_cloudwatch_metric_alarm", "app/scaling/"+id)
		if a["namespace"] != "AWS/ECS" || a["alarm_actions"] != nil {
			t.Errorf("%s = %v, want an AWS/ECS alarm without actions", id, a)
		}
	}
}

func TestCPUModeUsesTargetTracking(t *testing.T) {
	cfg := validConfig()
	cfg.Scaling.Mode = sessionscaling.ModeCPU
	cfg.Scaling.CPUTargetPercent = 55
	_, app := synthBoth(t, cfg)
	_, p := app.ByPath(t, "aws_appautoscaling_policy", "app/scaling/CPUTrackingPolicy")
	tt := m(p["target_tracking_scaling_policy_configuration"])
	if p["policy_type"] != "TargetTrackingScaling" || tt["target_value"] != float64(55) ||
		m(tt["predefined_metric_specification"])["predefined_metric_type"] != "ECSServiceAverageCPUUtilization" {
		t.Errorf("cpu policy = %v", p)
	}
	if n := len(app.Resources("aws_appautoscaling_policy")); n != 1 {
		t.Errorf("%d scaling policies in cpu mode, want only target tracking", n)
	}
	for name, a := range app.Resources("aws_cloudwatch_metric_alarm") {
		if a["metric_name"] == sessionmodel.MetricSessionsPerTask {
			t.Errorf("cpu mode still has session alarm %s", name)
		}
	}
}

func TestSessionTableModel(t *testing.T) {
	_, app := defaultSynth(t)
	_, tbl := app.ByPath(t, "aws_dynamodb_table", "app/scaling/Table")
	if tbl["name"] != "shiny-dev-sessions" || tbl["billing_mode"] != "PAY_PER_REQUEST" || tbl["hash_key"] != sessionmodel.KeyTaskARN {
		t.Errorf("table = %v", tbl)
	}
	if ttl := m(tbl["ttl"]); ttl["attribute_name"] != sessionmodel.AttrExpiresAt || ttl["enabled"] != true {
		t.Errorf("ttl = %v", ttl)
	}
	if m(tbl["point_in_time_recovery"])["enabled"] != true {
		t.Error("point-in-time recovery must be on")
	}
}

func TestSessionMetricLambdaAndSchedule(t *testing.T) {
	_, app := defaultSynth(t)
	_, fn := app.ByPath(t, "aws_lambda_function", "app/scaling/Function")
	if fn["runtime"] != "provided.al2023" || fn["handler"] != "bootstrap" || !slices.Equal(strs(fn["architectures"]), []string{"arm64"}) {
		t.Errorf("function runtime = %v %v %v", fn["runtime"], fn["handler"], fn["architectures"])
	}
	if f, _ := fn["filename"].(string); !strings.HasPrefix(f, "assets/") || !strings.HasSuffix(f, "/sessionmetric.zip") || fn["source_code_hash"] == "" {
		t.Errorf("function code = %v (hash %v)", fn["filename"], fn["source_code_hash"])
	}
	env := m(m(fn["environment"])["variables"])
	want := map[string]any{
		sessionmodel.EnvTableName: ref(app, t, "aws_dynamodb_table", "app/scaling/Table", "name"),
		sessionmodel.EnvCluster:   "${aws_ecs_cluster.cluster.name}",
		sessionmodel.EnvService:   ref(app, t, "aws_ecs_service", "app/shiny/Service", "name"),
		sessionmodel.EnvNamespace: sessionmodel.MetricNamespace,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %v, want %v", k, env[k], v)
		}
	}
	_, rule := app.ByPath(t, "aws_cloudwatch_event_rule", "app/scaling/Schedule")
	if rule["schedule_expression"] != "rate(1 minute)" {
		t.Errorf("schedule = %v", rule["schedule_expression"])
	}
	_, target := app.ByPath(t, "aws_cloudwatch_event_target", "app/scaling/ScheduleTarget")
	if target["arn"] != ref(app, t, "aws_lambda_function", "app/scaling/Function", "arn") || target["rule"] != ref(app, t, "aws_cloudwatch_event_rule", "app/scaling/Schedule", "name") {
		t.Errorf("schedule target = %v", target)
	}
	_, perm := app.ByPath(t, "aws_lambda_permission", "app/scaling/InvokePermission")
	if perm["principal"] != "events.amazonaws.com" || perm["source_arn"] != ref(app, t, "aws_cloudwatch_event_rule", "app/scaling/Schedule", "arn") || perm["action"] != "lambda:InvokeFunction" {
		t.Errorf("permission = %v", perm)
	}
}

// Every statement of every IAM policy document: a "*" resource only for the
// actions that have no resource type, and then only with a scoping condition.
func TestIAMPoliciesHaveNoNeedlessWildcards(t *testing.T) {
	_, app := defaultSynth(t)
	needStar := map[string]string{ // action -> condition key that must scope it ("" for none possible)
		"ecr:GetAuthorizationToken": "",
		"ecs:ListTasks":             "ecs:cluster",
		"cloudwatch:PutMetricData":  "cloudwatch:namespace",
	}
	for name, doc := range app.DataSources("aws_iam_policy_document") {
		for _, st := range l(doc["statement"]) {
			s := m(st)
			for _, a := range strs(s["actions"]) {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %s", name, a)
				}
			}
			if !slices.Contains(strs(s["resources"]), "*") {
				continue
			}
			for _, a := range strs(s["actions"]) {
				key, ok := needStar[a]
				if !ok {
					t.Errorf("%s: action %s on resource * (it has a resource type: scope it)", name, a)
					continue
				}
				if key != "" && (len(l(s["condition"])) == 0 || m(l(s["condition"])[0])["variable"] != key) {
					t.Errorf("%s: %s on * without a %s condition", name, a, key)
				}
			}
		}
	}
}

func TestLambdaPermissionsExact(t *testing.T) {
	_, app := defaultSynth(t)
	var doc map[string]any
	for name, d := range app.DataSources("aws_iam_policy_document") {
		if strings.HasPrefix(name, "scaling_FunctionPolicyDocument") {
			doc = d
		}
	}
	var actions []string
	for _, st := range l(doc["statement"]) {
		actions = append(actions, strs(m(st)["actions"])...)
	}
	slices.Sort(actions)
	want := []string{"cloudwatch:PutMetricData", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "ecs:ListTasks", "logs:CreateLogStream", "logs:PutLogEvents"}
	if !slices.Equal(actions, want) {
		t.Errorf("lambda actions = %v, want %v", actions, want)
	}
}

// The Shiny task runs the session sidecar in front of Shiny, and its task role
// gets exactly what the sidecar calls.
func TestSessionSidecarWiring(t *testing.T) {
	_, app := defaultSynth(t)
	_, td := app.ByPath(t, "aws_ecs_task_definition", "app/shiny/TaskDefinition")
	var defs []struct {
		Name         string
		Image        string
		Essential    bool
		PortMappings []struct{ ContainerPort int }
		Environment  []struct{ Name, Value string }
		DependsOn    []struct{ ContainerName, Condition string }
		HealthCheck  *struct{ Command []string }
	}
	if err := json.Unmarshal([]byte(td["container_definitions"].(string)), &defs); err != nil {
		t.Fatal(err)
	}
	if len(defs) != 2 || defs[0].Name != "shiny" || defs[1].Name != "session-agent" {
		t.Fatalf("containers = %+v, want shiny and session-agent", defs)
	}
	if len(defs[0].PortMappings) != 0 {
		t.Errorf("shiny publishes ports %v; only the sidecar may reach it, on localhost", defs[0].PortMappings)
	}
	agent := defs[1]
	env := map[string]string{}
	for _, e := range agent.Environment {
		env[e.Name] = e.Value
	}
	if !agent.Essential || agent.PortMappings[0].ContainerPort != sessionmodel.AgentPort || env[sessionmodel.EnvUpstreamURL] != "http://127.0.0.1:3838" || env[sessionmodel.EnvTableName] != "shiny-dev-sessions" || env[sessionmodel.EnvAgentPort] != "8080" {
		t.Errorf("session-agent = %+v", agent)
	}
	if len(agent.DependsOn) != 1 || agent.DependsOn[0].ContainerName != "shiny" || agent.DependsOn[0].Condition != "HEALTHY" || defs[0].HealthCheck == nil {
		t.Errorf("session-agent must start after shiny is healthy: %+v / %+v", agent.DependsOn, defs[0].HealthCheck)
	}
	if !strings.Contains(agent.Image, "repository-session-agent") {
		t.Errorf("agent image = %s", agent.Image)
	}
	// Every sidecar setting reaches the sidecar with the config's value, and
	// the drain knows its cluster and service.
	for _, s := range sessionmodel.AgentSettings {
		if env[s.Env] != fmt.Sprint(s.Default) {
			t.Errorf("%s = %q, want %d (%s)", s.Env, env[s.Env], s.Default, s.ConfigKey)
		}
	}
	if env[sessionmodel.EnvCluster] != "${aws_ecs_cluster.cluster.name}" || env[sessionmodel.EnvService] != "shiny-dev-shiny" {
		t.Errorf("cluster/service env = %q/%q", env[sessionmodel.EnvCluster], env[sessionmodel.EnvService])
	}
	// Health: Shiny's check is a TCP connect (a busy R still accepts), never
	// an HTTP request through R's one thread.
	if hc := defs[0].HealthCheck.Command; len(hc) != 4 || hc[0] != "CMD" || hc[1] != "bash" || !strings.Contains(hc[3], "/dev/tcp/127.0.0.1/3838") || strings.Contains(strings.Join(hc, " "), "wget") {
		t.Errorf("shiny health check = %v, want a TCP connect", hc)
	}
	if hc := agent.HealthCheck; hc == nil || strings.Join(hc.Command, " ") != "CMD /sessionagent -healthcheck" {
		t.Errorf("session-agent health check = %+v", hc)
	}
	_, svc := app.ByPath(t, "aws_ecs_service", "app/shiny/Service")
	lb := m(l(svc["load_balancer"])[0])
	if lb["container_name"] != "session-agent" || lb["container_port"] != float64(sessionmodel.AgentPort) {
		t.Errorf("service load balancer = %v, want the sidecar", lb)
	}
	_, tg := app.ByPath(t, "aws_lb_target_group", "app/shiny/TargetGroup")
	if m(tg["health_check"])["path"] != sessionmodel.AgentHealthPath {
		t.Errorf("shiny health check = %v", tg["health_check"])
	}
	_, pol := app.ByPath(t, "aws_iam_role_policy", "app/scaling/AgentPolicy")
	if pol["role"] != ref(app, t, "aws_iam_role", "app/shiny/TaskRole", "name") {
		t.Errorf("agent policy on %v, want the shiny task role", pol["role"])
	}
	var doc map[string]any
	for name, d := range app.DataSources("aws_iam_policy_document") {
		if strings.HasPrefix(name, "scaling_AgentPolicyDocument") {
			doc = d
		}
	}
	sts := l(doc["statement"])
	if len(sts) != 3 ||
		!slices.Equal(strs(m(sts[0])["actions"]), []string{"dynamodb:PutItem"}) || !slices.Equal(strs(m(sts[0])["resources"]), []string{ref(app, t, "aws_dynamodb_table", "app/scaling/Table", "arn")}) ||
		!slices.Equal(strs(m(sts[1])["actions"]), []string{"ecs:UpdateTaskProtection"}) ||
		!slices.Equal(strs(m(sts[1])["resources"]), []string{`${replace(aws_ecs_cluster.cluster.arn, ":cluster/", ":task/")}/*`}) ||
		// The drain reads its own service's deployments, and only that service.
		!slices.Equal(strs(m(sts[2])["actions"]), []string{"ecs:DescribeServices"}) ||
		!slices.Equal(strs(m(sts[2])["resources"]), []string{`${replace(aws_ecs_cluster.cluster.arn, ":cluster/", ":service/")}/shiny-dev-shiny`}) {
		t.Errorf("agent policy statements = %v", sts)
	}
}

func TestDashboard(t *testing.T) {
	_, app := defaultSynth(t)
	_, d := app.ByPath(t, "aws_cloudwatch_dashboard", "app/scaling/Dashboard")
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string
				Metrics [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(d["dashboard_body"].(string)), &body); err != nil {
		t.Fatal(err)
	}
	var metrics []string
	for _, w := range body.Widgets {
		for _, mt := range w.Properties.Metrics {
			metrics = append(metrics, mt[1].(string))
		}
	}
	for _, want := range []string{"SessionsPerTask", "ActiveSessions", "RunningTasks", "CPUUtilization", "MemoryUtilization", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"} {
		if !slices.Contains(metrics, want) {
			t.Errorf("dashboard lacks %s (has %v)", want, metrics)
		}
	}
}
