package main

import (
	"strings"
	"testing"
)

func TestParseOutputs(t *testing.T) {
	js := `{
	  "alb_dns_name": {"value": "shiny-dev-1.elb.amazonaws.com"},
	  "user_pool_id": {"value": "us-east-1_abc"},
	  "user_pool_client_id": {"value": "client1"},
	  "hosted_ui_domain": {"value": "shiny-dev-login-0a1b2c3d.auth.us-east-1.amazoncognito.com"},
	  "cluster_name": {"value": "shiny-dev"},
	  "shiny_service_name": {"value": "shiny-dev-shiny"},
	  "logout_service_name": {"value": "shiny-dev-logout"},
	  "session_table_name": {"value": "shiny-dev-sessions"},
	  "sessionmetric_function_name": {"value": "shiny-dev-sessionmetric"},
	  "sessionmetric_schedule_name": {"value": "shiny-dev-sessionmetric"},
	  "scaling_alarm_names": {"value": ["a-high", "a-low"]},
	  "scaling_policy_names": {"value": ["p-out", "p-in"]}
	}`
	n, err := parseOutputs([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if n.CognitoDomain != "shiny-dev-login-0a1b2c3d" || n.ShinyService != "shiny-dev-shiny" || len(n.Alarms) != 2 || n.Policies[1] != "p-in" {
		t.Errorf("names = %+v", n)
	}
}

// A missing or mistyped output is reported by name, never read as "".
func TestParseOutputsReportsMissing(t *testing.T) {
	_, err := parseOutputs([]byte(`{"cluster_name": {"value": 3}}`))
	for _, want := range []string{"output cluster_name is missing or not a string (3)", "output user_pool_id is missing", "output scaling_alarm_names is missing or not a list"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
	if _, err := parseOutputs([]byte(`not json`)); err == nil {
		t.Error("want an error for output that is not JSON")
	}
}
