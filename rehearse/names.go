package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// deployedNames are the names the checks look up, read from the app stack's
// outputs: the rehearsal never rebuilds a name the stack chose.
type deployedNames struct {
	ALBDNSName       string
	UserPoolID       string
	UserPoolClientID string
	CognitoDomain    string // the hosted UI domain prefix
	Cluster          string
	ShinyService     string
	LogoutService    string
	Table            string
	Function         string
	Schedule         string
	// Alarms are the scale-out and scale-in alarms (none in "cpu" mode).
	Alarms []string
	// Policies are scale-out and scale-in, or the CPU target tracking policy.
	Policies []string
}

// outputs reads the app stack's outputs; a failed read is an error, as is a
// missing or mistyped output.
func (r *rehearsal) outputs(ctx context.Context) (deployedNames, error) {
	js, err := r.terraform(ctx, stacks.StackApp, "output", "-json")
	if err != nil {
		return deployedNames{}, fmt.Errorf("read the app stack's outputs: %w", err)
	}
	return parseOutputs([]byte(js))
}

// parseOutputs maps `terraform output -json` onto deployedNames.
func parseOutputs(js []byte) (deployedNames, error) {
	var raw map[string]struct{ Value json.RawMessage }
	if err := json.Unmarshal(js, &raw); err != nil {
		return deployedNames{}, fmt.Errorf("parse the app stack's outputs: %w", err)
	}
	var n deployedNames
	var errs []string
	str := func(name string, dst *string) {
		if err := json.Unmarshal(raw[name].Value, dst); err != nil || *dst == "" {
			errs = append(errs, fmt.Sprintf("output %s is missing or not a string (%s)", name, raw[name].Value))
		}
	}
	list := func(name string, dst *[]string) {
		if err := json.Unmarshal(raw[name].Value, dst); err != nil {
			errs = append(errs, fmt.Sprintf("output %s is missing or not a list of strings (%s)", name, raw[name].Value))
		}
	}
	var hostedUI string
	str(stacks.OutputALBDNSName, &n.ALBDNSName)
	str(stacks.OutputUserPoolID, &n.UserPoolID)
	str(stacks.OutputUserPoolClientID, &n.UserPoolClientID)
	str(stacks.OutputHostedUIDomain, &hostedUI)
	str(stacks.OutputClusterName, &n.Cluster)
	str(stacks.OutputShinyServiceName, &n.ShinyService)
	str(stacks.OutputLogoutServiceName, &n.LogoutService)
	str(stacks.OutputSessionTableName, &n.Table)
	str(stacks.OutputSessionMetricName, &n.Function)
	str(stacks.OutputSessionMetricRule, &n.Schedule)
	list(stacks.OutputScalingAlarmNames, &n.Alarms)
	list(stacks.OutputScalingPolicyNames, &n.Policies)
	n.CognitoDomain, _, _ = strings.Cut(hostedUI, ".auth.")
	if len(errs) > 0 {
		return n, fmt.Errorf("the app stack's outputs: %s", strings.Join(errs, "; "))
	}
	return n, nil
}
