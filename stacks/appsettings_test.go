package stacks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

const (
	testSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shiny/db-AbCdEf"
	testParamARN  = "arn:aws:ssm:us-east-1:123456789012:parameter/shiny/api-key"
	testKeyARN    = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// shinyContainer returns the Shiny task definition's container named name.
func shinyContainer(t *testing.T, app synthtest.Synth, name string) map[string]any {
	t.Helper()
	_, td := app.ByPath(t, "aws_ecs_task_definition", "app/shiny/TaskDefinition")
	var defs []map[string]any
	if err := json.Unmarshal([]byte(td["container_definitions"].(string)), &defs); err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d["name"] == name {
			return d
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

func appSettingsConfig() Config {
	cfg := validConfig()
	cfg.Shiny.Environment = map[string]string{"APP_MODE": "production"}
	cfg.Shiny.Secrets = map[string]shinyservice.Secret{
		"DB_PASSWORD": {ARN: testSecretARN, JSONKey: "password"},
		"API_KEY":     {ARN: testParamARN, KMSKeyARN: testKeyARN},
	}
	return cfg
}

// The app's settings reach the Shiny container, secrets by reference only.
func TestAppEnvironmentAndSecretsReachShinyContainer(t *testing.T) {
	_, app := synthBoth(t, appSettingsConfig())
	c := shinyContainer(t, app, "shiny")
	env := map[string]string{}
	for _, e := range l(c["environment"]) {
		env[m(e)["name"].(string)] = m(e)["value"].(string)
	}
	if env["APP_MODE"] != "production" || env["SHINY_HOST"] != "127.0.0.1" || env["SHINY_PORT"] == "" {
		t.Errorf("environment = %v, want APP_MODE with the stack's own", env)
	}
	var secrets []string
	for _, s := range l(c["secrets"]) {
		secrets = append(secrets, m(s)["name"].(string)+"="+m(s)["valueFrom"].(string))
	}
	want := []string{"API_KEY=" + testParamARN, "DB_PASSWORD=" + testSecretARN + ":password::"}
	if !slices.Equal(secrets, want) {
		t.Errorf("secrets = %v, want %v", secrets, want)
	}
	if agent := shinyContainer(t, app, "session-agent"); agent["secrets"] != nil {
		t.Errorf("the sidecar gets no secrets: %v", agent["secrets"])
	}
}

// The execution role may read exactly the configured secrets and decrypt
// with their key; without secrets there is no such policy.
func TestExecutionRoleReadsExactlyTheSecrets(t *testing.T) {
	_, app := synthBoth(t, appSettingsConfig())
	_, doc := dataByPrefix(t, app, "aws_iam_policy_document", "shiny_ExecutionRole_ReadSecretsDocument")
	got := map[string][]string{}
	for _, st := range l(doc["statement"]) {
		s := m(st)
		got[strings.Join(strs(s["actions"]), ",")] = strs(s["resources"])
	}
	want := map[string][]string{
		"secretsmanager:GetSecretValue": {testSecretARN},
		"ssm:GetParameters":             {testParamARN},
		"kms:Decrypt":                   {testKeyARN},
	}
	if len(got) != len(want) {
		t.Errorf("statements = %v, want %v", got, want)
	}
	for a, res := range want {
		if !slices.Equal(got[a], res) {
			t.Errorf("%s on %v, want %v", a, got[a], res)
		}
	}
	name, pol := app.ByPath(t, "aws_iam_role_policy", "app/shiny/ExecutionRole/ReadSecretsPolicy")
	if !strings.Contains(pol["role"].(string), "aws_iam_role.shiny_ExecutionRole") {
		t.Errorf("policy on %v, want the execution role", pol["role"])
	}
	_, svc := app.ByPath(t, "aws_ecs_service", "app/shiny/Service")
	if !slices.Contains(strs(svc["depends_on"]), "aws_iam_role_policy."+name) {
		t.Errorf("service depends on %v, want the secrets policy too", svc["depends_on"])
	}
	// One key for all.
	cfg := appSettingsConfig()
	cfg.Shiny.Secrets = map[string]shinyservice.Secret{"DB_PASSWORD": {ARN: testSecretARN}}
	cfg.Shiny.SecretsKMSKeyARN = testKeyARN
	_, app = synthBoth(t, cfg)
	_, doc = dataByPrefix(t, app, "aws_iam_policy_document", "shiny_ExecutionRole_ReadSecretsDocument")
	if n := len(l(doc["statement"])); n != 2 {
		t.Errorf("%d statements, want read and decrypt: %v", n, doc)
	}

	_, def := defaultSynth(t)
	for name := range def.Resources("aws_iam_role_policy") {
		if strings.Contains(name, "ReadSecrets") {
			t.Errorf("without secrets, no %s", name)
		}
	}
}

// Secret values never reach the synthesized stack: only their ARNs do.
func TestSecretValuesAreReferencesOnly(t *testing.T) {
	_, app := synthBoth(t, appSettingsConfig())
	if !strings.Contains(app.JSON, testSecretARN) {
		t.Fatal("the secret's ARN is not in the stack")
	}
	for _, bad := range []string{"GetSecretValue\"", "aws_secretsmanager_secret_version", "aws_ssm_parameter\""} {
		if strings.Contains(app.JSON, `"data": {"`+bad) {
			t.Errorf("the stack reads a secret at plan time (%s)", bad)
		}
	}
	if len(app.DataSources("aws_secretsmanager_secret_version")) > 0 || len(app.DataSources("aws_ssm_parameter")) > 0 {
		t.Error("the stack reads secret values at plan time; they would land in state")
	}
}

// ECS Exec: off by default; on, the service allows it and the task role
// may open exactly the SSM channels.
func TestEnableExec(t *testing.T) {
	_, def := defaultSynth(t)
	if _, svc := def.ByPath(t, "aws_ecs_service", "app/shiny/Service"); svc["enable_execute_command"] != nil {
		t.Errorf("enable_execute_command = %v by default, want unset (off)", svc["enable_execute_command"])
	}
	cfg := validConfig()
	cfg.Shiny.EnableExec = true
	_, app := synthBoth(t, cfg)
	_, svc := app.ByPath(t, "aws_ecs_service", "app/shiny/Service")
	if svc["enable_execute_command"] != true {
		t.Errorf("enable_execute_command = %v, want true", svc["enable_execute_command"])
	}
	if _, logout := app.ByPath(t, "aws_ecs_service", "app/logout/Service"); logout["enable_execute_command"] != nil {
		t.Error("the logout server gets no shell")
	}
	name, pol := app.ByPath(t, "aws_iam_role_policy", "app/shiny/ExecPolicy")
	if !strings.Contains(pol["role"].(string), "aws_iam_role.shiny_TaskRole") {
		t.Errorf("exec policy on %v, want the task role", pol["role"])
	}
	if !slices.Contains(strs(svc["depends_on"]), "aws_iam_role_policy."+name) {
		t.Errorf("service depends on %v, want the exec policy", svc["depends_on"])
	}
	_, doc := dataByPrefix(t, app, "aws_iam_policy_document", "shiny_ExecPolicyDocument")
	st := l(doc["statement"])
	if len(st) != 1 || !slices.Equal(strs(m(st[0])["actions"]), shinyservice.ExecChannels) {
		t.Errorf("exec policy = %v, want the four ssmmessages channel actions only", st)
	}
}

// taskSubnetIds: the tasks leave the ALB's subnets for private ones without
// public IPs; the plan checks the VPC and the AZs.
func TestTaskSubnets(t *testing.T) {
	cfg := validConfig()
	cfg.VpcID = "vpc-0123456789abcdef0"
	cfg.SubnetIDs = []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}
	cfg.TaskSubnetIDs = []string{"subnet-0123456789abcdef2", "subnet-0123456789abcdef3"}
	_, app := synthBoth(t, cfg)
	_, alb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	if !slices.Equal(strs(alb["subnets"]), cfg.SubnetIDs) {
		t.Errorf("ALB subnets = %v, want subnetIds", alb["subnets"])
	}
	lookups := app.DataSources("aws_subnet")
	if len(lookups) != 2 {
		t.Fatalf("subnet lookups = %v, want one per task subnet", lookups)
	}
	for _, svc := range []string{"shiny", "logout"} {
		_, s := app.ByPath(t, "aws_ecs_service", "app/"+svc+"/Service")
		nc := m(s["network_configuration"])
		subnets := strs(nc["subnets"])
		if nc["assign_public_ip"] != false || len(subnets) != 2 || !strings.Contains(subnets[0], "data.aws_subnet.") {
			t.Errorf("%s network = %v, want the looked-up task subnets without public IPs", svc, nc)
		}
	}
	var conds []string
	for _, d := range lookups {
		if !slices.Contains(cfg.TaskSubnetIDs, d["id"].(string)) {
			t.Errorf("lookup of %v", d["id"])
		}
		for _, c := range l(m(d["lifecycle"])["postcondition"]) {
			conds = append(conds, m(c)["condition"].(string))
		}
	}
	joined := strings.Join(conds, "\n")
	if strings.Count(joined, `self.vpc_id == "vpc-0123456789abcdef0"`) != 2 || !strings.Contains(joined, "length(distinct([self.availability_zone, data.aws_subnet.") {
		t.Errorf("postconditions = %s, want the VPC of each and two AZs", joined)
	}
}

// dataByPrefix returns the data source of typ whose name starts with prefix.
func dataByPrefix(t *testing.T, s synthtest.Synth, typ, prefix string) (string, map[string]any) {
	t.Helper()
	for name, d := range s.DataSources(typ) {
		if strings.HasPrefix(name, prefix) {
			return name, d
		}
	}
	t.Fatalf("no data.%s named %s*", typ, prefix)
	return "", nil
}
