package stacks

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

// Helpers to walk the decoded JSON without a cast on every line.
func m(v any) map[string]any { r, _ := v.(map[string]any); return r }
func l(v any) []any          { r, _ := v.([]any); return r }
func strs(v any) []string {
	var out []string
	for _, x := range l(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func ref(s synthtest.Synth, t *testing.T, typ, path, attr string) string {
	t.Helper()
	name, _ := s.ByPath(t, typ, path)
	return synthtest.Ref(typ, name, attr)
}

// "an internet-facing ALB with SSL termination"
func TestALBIsInternetFacingWithHTTPS(t *testing.T) {
	_, app := defaultSynth(t)
	_, alb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	if alb["internal"] != false || alb["load_balancer_type"] != "application" {
		t.Errorf("ALB internal=%v type=%v, want internet-facing application", alb["internal"], alb["load_balancer_type"])
	}
	if alb["drop_invalid_header_fields"] != true {
		t.Error("ALB must drop invalid header fields")
	}
	if alb["idle_timeout"] != float64(300) {
		t.Errorf("idle_timeout = %v, want 300 (Shiny websockets)", alb["idle_timeout"])
	}
	_, https := app.ByPath(t, "aws_lb_listener", "app/alb/HTTPSListener")
	if https["port"] != float64(443) || https["protocol"] != "HTTPS" {
		t.Errorf("HTTPS listener port=%v protocol=%v", https["port"], https["protocol"])
	}
	if https["ssl_policy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Errorf("ssl_policy = %v", https["ssl_policy"])
	}
	if https["certificate_arn"] != ref(app, t, "aws_acm_certificate_validation", "app/alb/CertificateValidation", "certificate_arn") {
		t.Errorf("HTTPS listener certificate = %v, want the validated certificate", https["certificate_arn"])
	}
}

func TestHTTPRedirectsToHTTPS(t *testing.T) {
	_, app := defaultSynth(t)
	_, http := app.ByPath(t, "aws_lb_listener", "app/alb/HTTPListener")
	act := m(l(http["default_action"])[0])
	red := m(act["redirect"])
	if http["port"] != float64(80) || act["type"] != "redirect" || red["protocol"] != "HTTPS" || red["port"] != "443" || red["status_code"] != "HTTP_301" {
		t.Errorf("HTTP listener = %v", http)
	}
}

// "an SSL certificate is provisioned in ACM with DNS validation ... including the www subdomain"
func TestCertificateCoversDomainAndWWWWithDNSValidation(t *testing.T) {
	_, app := defaultSynth(t)
	app.HasResource(t, "aws_acm_certificate", map[string]any{
		"domain_name":               "shiny.example.com",
		"subject_alternative_names": []string{"www.shiny.example.com"},
		"validation_method":         "DNS",
	})
}

// Every request goes through Cognito, then to the Shiny target group.
func TestDefaultActionAuthenticatesWithCognitoThenForwardsToShiny(t *testing.T) {
	_, app := defaultSynth(t)
	_, https := app.ByPath(t, "aws_lb_listener", "app/alb/HTTPSListener")
	acts := l(https["default_action"])
	if len(acts) != 2 {
		t.Fatalf("want 2 default actions, got %v", acts)
	}
	auth, fwd := m(acts[0]), m(acts[1])
	if auth["type"] != "authenticate-cognito" || auth["order"] != float64(1) {
		t.Errorf("first action = %v, want authenticate-cognito order 1", auth)
	}
	ac := m(auth["authenticate_cognito"])
	want := map[string]any{
		"user_pool_arn":              ref(app, t, "aws_cognito_user_pool", "app/alb/UserPool", "arn"),
		"user_pool_client_id":        ref(app, t, "aws_cognito_user_pool_client", "app/alb/UserPoolClient", "id"),
		"user_pool_domain":           ref(app, t, "aws_cognito_user_pool_domain", "app/alb/UserPoolDomain", "domain"),
		"session_cookie_name":        "AWSELBAuthSessionCookie",
		"session_timeout":            float64(28800),
		"on_unauthenticated_request": "authenticate",
		"scope":                      "openid email profile",
	}
	for k, v := range want {
		if ac[k] != v {
			t.Errorf("authenticate_cognito.%s = %v, want %v", k, ac[k], v)
		}
	}
	if fwd["type"] != "forward" || fwd["order"] != float64(2) || fwd["target_group_arn"] != ref(app, t, "aws_lb_target_group", "app/shiny/TargetGroup", "arn") {
		t.Errorf("second action = %v, want forward to the shiny target group", fwd)
	}
}

// "A specific ALB rule routes /logout requests to the logout server", without authentication,
// evaluated before the www redirect.
func TestListenerRulesOrderAndActions(t *testing.T) {
	_, app := defaultSynth(t)
	httpsArn := ref(app, t, "aws_lb_listener", "app/alb/HTTPSListener", "arn")
	_, logout := app.ByPath(t, "aws_lb_listener_rule", "app/alb/LogoutRule")
	_, www := app.ByPath(t, "aws_lb_listener_rule", "app/alb/WWWRedirectRule")
	for _, r := range []map[string]any{logout, www} {
		if r["listener_arn"] != httpsArn {
			t.Errorf("rule on %v, want the HTTPS listener", r["listener_arn"])
		}
	}
	if !(logout["priority"].(float64) < www["priority"].(float64)) {
		t.Errorf("logout rule priority %v must come before www redirect %v", logout["priority"], www["priority"])
	}
	conds := l(logout["condition"])
	if len(conds) != 2 {
		t.Fatalf("logout rule conditions = %v, want a host and a path condition", conds)
	}
	if hosts := strs(m(m(conds[0])["host_header"])["values"]); !slices.Equal(hosts, []string{"shiny.example.com"}) {
		t.Errorf("logout rule hosts = %v, want the apex only (www must be redirected first, to sign out where the cookie is)", hosts)
	}
	paths := strs(m(m(conds[1])["path_pattern"])["values"])
	if !slices.Equal(paths, []string{"/logout", "/logged-out"}) {
		t.Errorf("logout rule paths = %v", paths)
	}
	acts := l(logout["action"])
	if len(acts) != 1 || m(acts[0])["type"] != "forward" || m(acts[0])["target_group_arn"] != ref(app, t, "aws_lb_target_group", "app/logout/TargetGroup", "arn") {
		t.Errorf("logout rule actions = %v, want only a forward to the logout target group (no authentication)", acts)
	}
	hosts := strs(m(m(l(www["condition"])[0])["host_header"])["values"])
	red := m(m(l(www["action"])[0])["redirect"])
	if !slices.Equal(hosts, []string{"www.shiny.example.com"}) || red["host"] != "shiny.example.com" || red["status_code"] != "HTTP_301" || red["path"] != "/#{path}" || red["query"] != "#{query}" {
		t.Errorf("www rule: hosts=%v redirect=%v", hosts, red)
	}
}

// "stickiness ... achieved using ALB-generated cookies"
func TestShinyTargetGroupUsesALBCookieStickiness(t *testing.T) {
	_, app := defaultSynth(t)
	_, tg := app.ByPath(t, "aws_lb_target_group", "app/shiny/TargetGroup")
	st := m(tg["stickiness"])
	if st["enabled"] != true || st["type"] != "lb_cookie" || st["cookie_duration"] != float64(86400) {
		t.Errorf("shiny stickiness = %v, want enabled lb_cookie for a day", st)
	}
	if tg["target_type"] != "ip" || tg["port"] != float64(sessionmodel.AgentPort) {
		t.Errorf("shiny target group target_type=%v port=%v", tg["target_type"], tg["port"])
	}
	_, ltg := app.ByPath(t, "aws_lb_target_group", "app/logout/TargetGroup")
	if _, ok := ltg["stickiness"]; ok {
		t.Errorf("logout target group needs no stickiness: %v", ltg["stickiness"])
	}
	if hc := m(ltg["health_check"]); hc["path"] != "/healthz" || hc["matcher"] != "200" {
		t.Errorf("logout health check = %v", hc)
	}
	// New sessions go to the least busy task; the logout server round-robins.
	if tg["load_balancing_algorithm_type"] != "least_outstanding_requests" || ltg["load_balancing_algorithm_type"] != "round_robin" {
		t.Errorf("algorithms: shiny %v, logout %v", tg["load_balancing_algorithm_type"], ltg["load_balancing_algorithm_type"])
	}
}

// A change that replaces a target group (a new VPC, a new port) must not
// delete a group the listener still uses or collide with its name: each has
// a name prefix and is created before the old one is destroyed.
func TestTargetGroupsSurviveReplacement(t *testing.T) {
	_, app := defaultSynth(t)
	for svc, prefix := range map[string]string{"shiny": "shiny", "logout": "logout"} {
		_, tg := app.ByPath(t, "aws_lb_target_group", "app/"+svc+"/TargetGroup")
		if tg["name"] != nil || tg["name_prefix"] != prefix {
			t.Errorf("%s: name=%v name_prefix=%v, want only the prefix %q", svc, tg["name"], tg["name_prefix"], prefix)
		}
		if m(tg["lifecycle"])["create_before_destroy"] != true {
			t.Errorf("%s: lifecycle = %v, want create_before_destroy", svc, tg["lifecycle"])
		}
	}
}

// "the ALB has a dedicated security group open to the internet on port 443, while the ECS
// service security group restricts access to traffic solely from the ALB"
func TestSecurityGroupRules(t *testing.T) {
	_, app := defaultSynth(t)
	albSG := ref(app, t, "aws_security_group", "app/alb/SecurityGroup", "id")
	_, alb := app.ByPath(t, "aws_security_group", "app/alb/SecurityGroup")
	var ports []float64
	for _, r := range l(alb["ingress"]) {
		rule := m(r)
		ports = append(ports, rule["from_port"].(float64))
		if !slices.Equal(strs(rule["cidr_blocks"]), []string{"0.0.0.0/0"}) || rule["protocol"] != "tcp" || rule["from_port"] != rule["to_port"] {
			t.Errorf("ALB ingress rule = %v", rule)
		}
	}
	if !slices.Equal(ports, []float64{443, 80}) {
		t.Errorf("ALB ingress ports = %v, want 443 and 80", ports)
	}
	// The Shiny task is reached through its session sidecar's port.
	for svc, port := range map[string]float64{"shiny": sessionmodel.AgentPort, "logout": LogoutPort} {
		_, sg := app.ByPath(t, "aws_security_group", "app/"+svc+"/SecurityGroup")
		ing := l(sg["ingress"])
		if len(ing) != 1 {
			t.Fatalf("%s SG: want exactly one ingress rule, got %v", svc, ing)
		}
		rule := m(ing[0])
		if !slices.Equal(strs(rule["security_groups"]), []string{albSG}) || len(strs(rule["cidr_blocks"])) != 0 || rule["from_port"] != port || rule["to_port"] != port {
			t.Errorf("%s SG ingress = %v, want only the ALB SG on %v", svc, rule, port)
		}
	}
}

// Out of the ALB: HTTPS to Cognito, and the target port inside the VPC only.
// No security group sends anything but HTTPS to the internet.
func TestSecurityGroupEgress(t *testing.T) {
	_, app := defaultSynth(t)
	_, alb := app.ByPath(t, "aws_security_group", "app/alb/SecurityGroup")
	eg := l(alb["egress"])
	if len(eg) != 2 {
		t.Fatalf("ALB egress = %v, want HTTPS out and the target port into the VPC", eg)
	}
	tasks := m(eg[1])
	if tasks["from_port"] != float64(8080) || tasks["to_port"] != float64(8080) || !slices.Equal(strs(tasks["cidr_blocks"]), []string{"${data.aws_vpc.default-vpc.cidr_block}"}) {
		t.Errorf("ALB egress to tasks = %v", tasks)
	}
	for _, path := range []string{"app/alb/SecurityGroup", "app/shiny/SecurityGroup", "app/logout/SecurityGroup"} {
		_, sg := app.ByPath(t, "aws_security_group", path)
		for _, r := range l(sg["egress"]) {
			rule := m(r)
			if slices.Contains(strs(rule["cidr_blocks"]), "0.0.0.0/0") && (rule["from_port"] != float64(443) || rule["to_port"] != float64(443)) {
				t.Errorf("%s sends %v-%v to the internet; only 443 may go out", path, rule["from_port"], rule["to_port"])
			}
		}
	}
}

// AWS accepts only these characters in security group and rule descriptions
// (the provider checks at plan time, which validate does not reach).
var sgDescriptionRE = regexp.MustCompile(`^[0-9A-Za-z_ .:/()#,@\[\]+=&;{}!$*-]*$`)

func TestSecurityGroupDescriptionsAreAccepted(t *testing.T) {
	_, app := defaultSynth(t)
	for name, sg := range app.Resources("aws_security_group") {
		descs := []any{sg["description"]}
		for _, dir := range []string{"ingress", "egress"} {
			for _, r := range l(sg[dir]) {
				descs = append(descs, m(r)["description"])
			}
		}
		for _, d := range descs {
			if s, _ := d.(string); !sgDescriptionRE.MatchString(s) {
				t.Errorf("%s: description %q has characters AWS refuses", name, s)
			}
		}
	}
}

func TestCustomIngressCIDRs(t *testing.T) {
	cfg := validConfig()
	cfg.AllowedIngressCIDRs = []string{"203.0.113.0/24", "198.51.100.0/24"}
	_, app := synthBoth(t, cfg)
	_, alb := app.ByPath(t, "aws_security_group", "app/alb/SecurityGroup")
	for _, r := range l(alb["ingress"]) {
		if got := strs(m(r)["cidr_blocks"]); !slices.Equal(got, cfg.AllowedIngressCIDRs) {
			t.Errorf("ingress cidrs = %v, want %v", got, cfg.AllowedIngressCIDRs)
		}
	}
}

// The Cognito user pool exactly as the notes describe it.
func TestCognitoUserPool(t *testing.T) {
	_, app := defaultSynth(t)
	_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	if !slices.Equal(strs(pool["username_attributes"]), []string{"email"}) {
		t.Errorf("username_attributes = %v, want email sign-in", pool["username_attributes"])
	}
	if !slices.Equal(strs(pool["auto_verified_attributes"]), []string{"email"}) {
		t.Errorf("auto_verified_attributes = %v", pool["auto_verified_attributes"])
	}
	if m(pool["admin_create_user_config"])["allow_admin_create_user_only"] != false {
		t.Error("public sign-up must be allowed")
	}
	want := map[string]bool{"email": true, "given_name": true, "family_name": true, "phone_number": false, "role": false, "type": false}
	got := map[string]bool{}
	for _, a := range l(pool["schema"]) {
		attr := m(a)
		got[attr["name"].(string)] = attr["required"].(bool)
		if attr["attribute_data_type"] != "String" {
			t.Errorf("attribute %v type %v", attr["name"], attr["attribute_data_type"])
		}
	}
	if len(got) != len(want) {
		t.Errorf("schema attributes = %v, want %v", got, want)
	}
	for name, req := range want {
		if r, ok := got[name]; !ok || r != req {
			t.Errorf("schema %s: present=%v required=%v, want required=%v", name, ok, r, req)
		}
	}
	_, domain := app.ByPath(t, "aws_cognito_user_pool_domain", "app/alb/UserPoolDomain")
	if domain["domain"] != defaultDomainPrefix(t, app) || domain["user_pool_id"] != ref(app, t, "aws_cognito_user_pool", "app/alb/UserPool", "id") {
		t.Errorf("user pool domain = %v", domain)
	}
}

// defaultDomainPrefix is the Cognito domain prefix of an environment that
// sets none: NAMEPREFIX-login- and 8 hex digits of a hash of the account id,
// looked up at plan time (unique across accounts, stable for one).
func defaultDomainPrefix(t *testing.T, app synthtest.Synth) string {
	t.Helper()
	var account string
	for name := range app.DataSources("aws_caller_identity") {
		account = "data.aws_caller_identity." + name + ".account_id"
	}
	if account == "" {
		t.Fatal("no data.aws_caller_identity: the default Cognito domain prefix needs the account id")
	}
	return "shiny-dev-login-${substr(sha256(" + account + "), 0, 8)}"
}

// An explicit cognitoDomainPrefix is used as given, without an account lookup.
func TestExplicitCognitoDomainPrefix(t *testing.T) {
	cfg := validConfig()
	cfg.CognitoDomainPrefix = "acme-shiny-login"
	_, app := synthBoth(t, cfg)
	if _, domain := app.ByPath(t, "aws_cognito_user_pool_domain", "app/alb/UserPoolDomain"); domain["domain"] != "acme-shiny-login" {
		t.Errorf("domain = %v, want acme-shiny-login", domain["domain"])
	}
	if ds := app.DataSources("aws_caller_identity"); len(ds) != 0 {
		t.Errorf("data.aws_caller_identity = %v, want none with an explicit prefix", ds)
	}
}

func TestCognitoClientOAuth(t *testing.T) {
	_, app := defaultSynth(t)
	_, c := app.ByPath(t, "aws_cognito_user_pool_client", "app/alb/UserPoolClient")
	checks := map[string][]string{
		"allowed_oauth_flows":          {"code"},
		"allowed_oauth_scopes":         {"openid", "email", "profile"},
		"supported_identity_providers": {"COGNITO"},
		"callback_urls":                {"https://shiny.example.com/oauth2/idpresponse", "https://www.shiny.example.com/oauth2/idpresponse"},
		"logout_urls":                  {"https://shiny.example.com/logged-out", "https://www.shiny.example.com/logged-out"},
	}
	for k, want := range checks {
		if got := strs(c[k]); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if c["generate_secret"] != true || c["allowed_oauth_flows_user_pool_client"] != true {
		t.Errorf("client generate_secret=%v oauth enabled=%v", c["generate_secret"], c["allowed_oauth_flows_user_pool_client"])
	}
}

// The logout server gets its configuration from the Cognito resources, so it
// always matches the client's logout URLs.
func TestLogoutServerConfiguration(t *testing.T) {
	_, app := defaultSynth(t)
	_, td := app.ByPath(t, "aws_ecs_task_definition", "app/logout/TaskDefinition")
	var defs []struct {
		Name         string
		Environment  []struct{ Name, Value string }
		PortMappings []struct{ ContainerPort int }
	}
	if err := json.Unmarshal([]byte(td["container_definitions"].(string)), &defs); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range defs[0].Environment {
		env[e.Name] = e.Value
	}
	want := map[string]string{
		"COGNITO_CLIENT_ID":     ref(app, t, "aws_cognito_user_pool_client", "app/alb/UserPoolClient", "id"),
		"COGNITO_DOMAIN_PREFIX": ref(app, t, "aws_cognito_user_pool_domain", "app/alb/UserPoolDomain", "domain"),
		"COGNITO_REGION":        "us-east-1",
		"LOGOUT_REDIRECT_URI":   "https://shiny.example.com/logged-out",
		"AUTH_COOKIE_NAME":      "AWSELBAuthSessionCookie",
		"LOGOUT_PORT":           "8080",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("logout env %s = %q, want %q", k, env[k], v)
		}
	}
	if defs[0].PortMappings[0].ContainerPort != 8080 {
		t.Errorf("logout port mapping = %v, want the port it listens on (8080)", defs[0].PortMappings)
	}
}

// Images are pinned by digest: the tag is looked up at plan time.
func TestImagesPinnedByDigest(t *testing.T) {
	_, app := defaultSynth(t)
	for _, svc := range []struct{ path, repo string }{{"app/shiny/TaskDefinition", "shiny-repository"}, {"app/shiny/TaskDefinition", "session-agent"}, {"app/logout/TaskDefinition", "logout-server"}} {
		_, td := app.ByPath(t, "aws_ecs_task_definition", svc.path)
		want := `"image":"${data.aws_ecr_repository.repository-` + svc.repo + `.repository_url}@${data.aws_ecr_image.image-` + svc.repo + `.image_digest}"`
		if !strings.Contains(td["container_definitions"].(string), want) {
			t.Errorf("%s: image is not REPO@DIGEST:\n%s", svc.path, td["container_definitions"])
		}
	}
	app.HasDataSource(t, "aws_ecr_image", map[string]any{"image_tag": "latest", "repository_name": "${data.aws_ecr_repository.repository-shiny-repository.name}"})
	app.HasDataSource(t, "aws_ecr_repository", map[string]any{"name": "shiny-dev/shiny-repository"})
}

func TestServicesOnFargateIgnoreDesiredCount(t *testing.T) {
	_, app := defaultSynth(t)
	for _, svc := range []string{"shiny", "logout"} {
		_, s := app.ByPath(t, "aws_ecs_service", "app/"+svc+"/Service")
		if s["launch_type"] != "FARGATE" || s["cluster"] != "${aws_ecs_cluster.cluster.arn}" {
			t.Errorf("%s: launch_type=%v cluster=%v", svc, s["launch_type"], s["cluster"])
		}
		// Autoscaling owns the Shiny count; the logout server's count is Terraform's.
		ignored := strs(m(s["lifecycle"])["ignore_changes"])
		if wantIgnored := map[string][]string{"shiny": {"desired_count"}}[svc]; !slices.Equal(ignored, wantIgnored) {
			t.Errorf("%s: lifecycle ignore_changes = %v, want %v", svc, ignored, wantIgnored)
		}
		cb := m(s["deployment_circuit_breaker"])
		if cb["enable"] != true || cb["rollback"] != true {
			t.Errorf("%s: circuit breaker = %v", svc, cb)
		}
		addr := func(typ, path string) string {
			name, _ := app.ByPath(t, typ, path)
			return typ + "." + name
		}
		// The roles' policies exist from the first image pull and sidecar
		// call; the target group is behind the listener (and its rule)
		// before ECS registers targets.
		want := []string{addr("aws_iam_role_policy", "app/"+svc+"/ExecutionPolicy"), addr("aws_lb_listener", "app/alb/HTTPSListener")}
		if svc == "logout" {
			want = append(want, addr("aws_lb_listener_rule", "app/alb/LogoutRule"))
		} else {
			want = append(want, addr("aws_iam_role_policy", "app/scaling/AgentPolicy"))
		}
		if got := strs(s["depends_on"]); !slices.Equal(got, want) {
			t.Errorf("%s: depends_on = %v, want %v", svc, got, want)
		}
		nc := m(s["network_configuration"])
		if nc["assign_public_ip"] != true {
			t.Errorf("%s: default VPC tasks need a public IP to pull images: %v", svc, nc)
		}
	}
}

// "CloudWatch is configured for centralized log management"
func TestLogGroupsPerService(t *testing.T) {
	cfg := validConfig()
	cfg.LogRetentionDays = 90
	_, app := synthBoth(t, cfg)
	for _, svc := range []string{"shiny", "logout"} {
		_, lg := app.ByPath(t, "aws_cloudwatch_log_group", "app/"+svc+"/LogGroup")
		if lg["name"] != "/ecs/shiny-dev-"+svc || lg["retention_in_days"] != float64(90) {
			t.Errorf("%s log group = %v", svc, lg)
		}
		_, td := app.ByPath(t, "aws_ecs_task_definition", "app/"+svc+"/TaskDefinition")
		if !strings.Contains(td["container_definitions"].(string), `"logDriver":"awslogs"`) {
			t.Errorf("%s: no awslogs driver", svc)
		}
	}
}

// The execution role pulls from its own repository and writes its own log group only.
func TestExecutionRoleLeastPrivilege(t *testing.T) {
	_, app := defaultSynth(t)
	for _, svc := range []string{"shiny", "logout"} {
		doc := app.DataSources("aws_iam_policy_document")
		var found bool
		for name, d := range doc {
			if !strings.HasPrefix(name, svc+"_ExecutionPolicyDocument") {
				continue
			}
			found = true
			for _, st := range l(d["statement"]) {
				s := m(st)
				res := strs(s["resources"])
				if slices.Contains(res, "*") && !slices.Equal(strs(s["actions"]), []string{"ecr:GetAuthorizationToken"}) {
					t.Errorf("%s: wildcard resource for %v", svc, s["actions"])
				}
			}
		}
		if !found {
			t.Errorf("%s: no execution policy document", svc)
		}
	}
	if n := len(app.Resources("aws_iam_role_policy_attachment")); n != 0 {
		t.Errorf("%d managed policy attachments; want inline least-privilege policies only", n)
	}
}

func TestOutputs(t *testing.T) {
	_, app := defaultSynth(t)
	outs := app.Outputs()
	for _, name := range []string{"app_url", "alb_dns_name", "user_pool_id", "user_pool_client_id", "hosted_ui_domain", "cluster_name", "shiny_service_name", "logout_service_name", "certificate_validation_records"} {
		if _, ok := outs[name]; !ok {
			t.Errorf("missing output %s", name)
		}
	}
	hostedUI := "${" + strings.Trim(ref(app, t, "aws_cognito_user_pool_domain", "app/alb/UserPoolDomain", "domain"), "${}") + "}.auth.us-east-1.amazoncognito.com"
	if outs["app_url"]["value"] != "https://shiny.example.com" || outs["hosted_ui_domain"]["value"] != hostedUI {
		t.Errorf("app_url=%v hosted_ui_domain=%v", outs["app_url"]["value"], outs["hosted_ui_domain"]["value"])
	}
}

func TestHostedZoneCreatesValidationAndAliasRecords(t *testing.T) {
	cfg := validConfig()
	cfg.HostedZoneID = "Z0123456789ABCDEFGHIJ"
	_, app := synthBoth(t, cfg)
	_, val := app.ByPath(t, "aws_route53_record", "app/alb/ValidationRecords")
	if val["zone_id"] != cfg.HostedZoneID || val["for_each"] == nil {
		t.Errorf("validation records = %v", val)
	}
	_, cv := app.ByPath(t, "aws_acm_certificate_validation", "app/alb/CertificateValidation")
	if cv["validation_record_fqdns"] == nil {
		t.Errorf("certificate validation does not wait for the records: %v", cv)
	}
	for path, host := range map[string]string{"app/alb/AliasApex": "shiny.example.com", "app/alb/AliasWWW": "www.shiny.example.com"} {
		_, r := app.ByPath(t, "aws_route53_record", path)
		alias := m(r["alias"])
		if r["name"] != host || r["type"] != "A" || alias["name"] != ref(app, t, "aws_lb", "app/alb/LoadBalancer", "dns_name") {
			t.Errorf("%s = %v", path, r)
		}
	}
	if _, ok := app.Outputs()["certificate_validation_records"]; ok {
		t.Error("with a hosted zone, validation records are created, not output")
	}
}

// Deletion protection is on unless allowDeletion says otherwise: the zero
// value is the safe one.
func TestAllowDeletion(t *testing.T) {
	for _, allow := range []bool{false, true} {
		cfg := validConfig()
		cfg.AllowDeletion = allow
		_, app := synthBoth(t, cfg)
		_, lb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
		_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
		want := map[bool]string{false: "ACTIVE", true: "INACTIVE"}[allow]
		if lb["enable_deletion_protection"] != !allow || pool["deletion_protection"] != want {
			t.Errorf("allowDeletion=%v: ALB deletion protection %v, user pool %v", allow, lb["enable_deletion_protection"], pool["deletion_protection"])
		}
	}
}

func TestConfiguredVPC(t *testing.T) {
	cfg := validConfig()
	cfg.VpcID = "vpc-0123456789abcdef0"
	cfg.SubnetIDs = []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}
	_, app := synthBoth(t, cfg)
	for name, v := range app.DataSources("aws_vpc") {
		if v["default"] != nil || v["id"] != cfg.VpcID {
			t.Errorf("data.aws_vpc.%s = %v, want only a lookup of %s (for its CIDR)", name, v, cfg.VpcID)
		}
	}
	_, alb := app.ByPath(t, "aws_lb", "app/alb/LoadBalancer")
	if !slices.Equal(strs(alb["subnets"]), cfg.SubnetIDs) {
		t.Errorf("ALB subnets = %v", alb["subnets"])
	}
	_, svc := app.ByPath(t, "aws_ecs_service", "app/shiny/Service")
	nc := m(svc["network_configuration"])
	if nc["assign_public_ip"] != false || !slices.Equal(strs(nc["subnets"]), cfg.SubnetIDs) {
		t.Errorf("service network = %v, want configured subnets without public IPs", nc)
	}
}

// The app reads every attribute it shows from x-amzn-oidc-data, custom ones
// included: the client's read_attributes name them all.
func TestClientReadsAppAttributes(t *testing.T) {
	_, app := defaultSynth(t)
	_, client := app.ByPath(t, "aws_cognito_user_pool_client", "app/alb/UserPoolClient")
	got := strs(client["read_attributes"])
	for _, want := range []string{"email", "given_name", "family_name", "custom:role", "custom:type"} {
		if !slices.Contains(got, want) {
			t.Errorf("read_attributes = %v, want %s among them", got, want)
		}
	}
}

// Without SES settings Cognito sends email itself (its daily quota); with
// them, through the configured SES identity.
func TestCognitoEmailThroughSES(t *testing.T) {
	_, app := defaultSynth(t)
	if _, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool"); pool["email_configuration"] != nil {
		t.Errorf("email_configuration = %v, want none by default", pool["email_configuration"])
	}
	cfg := validConfig()
	cfg.Cognito.SESFromAddress = "Shiny <noreply@example.com>"
	cfg.Cognito.SESIdentityArn = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
	_, app = synthBoth(t, cfg)
	_, pool := app.ByPath(t, "aws_cognito_user_pool", "app/alb/UserPool")
	ec := m(pool["email_configuration"])
	if ec["email_sending_account"] != "DEVELOPER" || ec["source_arn"] != cfg.Cognito.SESIdentityArn || ec["from_email_address"] != cfg.Cognito.SESFromAddress {
		t.Errorf("email_configuration = %v, want SES (DEVELOPER) from the configured identity", ec)
	}
}

// The sidecar's own endpoints are answered 404 by the ALB, before sign-in,
// on every host: only target group health checks (which bypass listener
// rules) reach them.
func TestSidecarPathsAreNotForUsers(t *testing.T) {
	_, app := defaultSynth(t)
	_, r := app.ByPath(t, "aws_lb_listener_rule", "app/alb/PrivatePathsRule")
	conds := l(r["condition"])
	if len(conds) != 1 || !slices.Equal(strs(m(m(conds[0])["path_pattern"])["values"]), []string{"/__sessionagent", "/__sessionagent/*"}) {
		t.Errorf("conditions = %v, want only the paths /__sessionagent and /__sessionagent/*", conds)
	}
	acts := l(r["action"])
	if len(acts) != 1 || m(acts[0])["type"] != "fixed-response" || m(m(acts[0])["fixed_response"])["status_code"] != "404" {
		t.Errorf("actions = %v, want a fixed 404", acts)
	}
	_, logout := app.ByPath(t, "aws_lb_listener_rule", "app/alb/LogoutRule")
	if !(r["priority"].(float64) < logout["priority"].(float64)) {
		t.Errorf("priority %v, want it evaluated first", r["priority"])
	}
}
