package stacks

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

// refRE finds references to resources and data sources in expressions.
var refRE = regexp.MustCompile(`\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)`)

// dependencyCycle returns a cycle of the stack's references and depends_on
// (what `terraform validate` refuses as "Cycle: ..."), or nil.
func dependencyCycle(t *testing.T, s synthtest.Synth) []string {
	t.Helper()
	var doc map[string]map[string]map[string]any
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s.JSON), &raw); err != nil {
		t.Fatal(err)
	}
	edges := map[string][]string{}
	for _, kind := range []string{"resource", "data"} {
		if raw[kind] == nil {
			continue
		}
		if err := json.Unmarshal(raw[kind], &doc); err != nil {
			t.Fatal(err)
		}
		prefix := map[string]string{"resource": "", "data": "data."}[kind]
		for typ, byName := range doc {
			for name, body := range byName {
				b, _ := json.Marshal(body)
				node := prefix + typ + "." + name
				for _, m := range refRE.FindAllStringSubmatch(string(b), -1) {
					if target := m[1] + m[2] + "." + m[3]; target != node {
						edges[node] = append(edges[node], target)
					}
				}
			}
		}
	}
	state := map[string]int{} // 0 new, 1 on the path, 2 done
	var path []string
	var visit func(string) []string
	visit = func(n string) []string {
		state[n] = 1
		path = append(path, n)
		for _, next := range edges[n] {
			switch state[next] {
			case 1:
				return append(slices.Clone(path[slices.Index(path, next):]), next)
			case 0:
				if c := visit(next); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = 2
		return nil
	}
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range edges {
			if !yield(k) {
				return
			}
		}
	}) {
		if state[n] == 0 {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// Terraform refuses a configuration whose references go round in a circle
// (e.g. a policy naming the service that depends on it); every option that
// adds resources or dependencies is checked here, without AWS.
func TestNoDependencyCycle(t *testing.T) {
	_, def := defaultSynth(t)
	if c := dependencyCycle(t, def); c != nil {
		t.Errorf("default environment: cycle %s", strings.Join(c, " -> "))
	}
	cfg := appSettingsConfig()
	withVPC(&cfg)
	cfg.TaskSubnetIDs = []string{"subnet-0123456789abcdef2", "subnet-0123456789abcdef3"}
	cfg.Shiny.EnableExec = true
	cfg.Auth = cognitoauthalb.AuthSettings{SignUp: cognitoauthalb.SignUpDomains, AllowedEmailDomains: []string{"example.com"}, MFA: cognitoauthalb.MFAOn}
	cfg.HostedZoneID = "Z0123456789ABCDEFGHIJ"
	_, app := synthBoth(t, cfg)
	if c := dependencyCycle(t, app); c != nil {
		t.Errorf("every option on: cycle %s", strings.Join(c, " -> "))
	}
}
