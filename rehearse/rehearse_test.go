package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

func getenv(k string) string {
	if k == stacks.EnvVarEnvironment {
		return "" // the default environment, whatever the caller's shell says
	}
	return os.Getenv(k)
}

// statePaths are where Terraform state could be left behind in the project.
func leftovers(t *testing.T) []string {
	t.Helper()
	m, _ := filepath.Glob("../terraform.*.tfstate*")
	m2, _ := filepath.Glob("../cdktf.out/stacks/*/rehearsal_override.tf.json")
	return append(m, m2...)
}

func motoProcesses(t *testing.T) string {
	out, _ := exec.Command("pgrep", "-af", "shims.py -H 127.0.0.1").Output()
	return string(out)
}

// The whole rehearsal against moto: deploy in the notes' order, check,
// re-plan clean, destroy; nothing left behind.
func TestRehearsal(t *testing.T) {
	before := motoProcesses(t)
	var out bytes.Buffer
	// Three deploys (ecr, app, app in its own VPC) and two destroys.
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	rep, err := rehearse(ctx, getenv, &out, Options{Root: ".."})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resources[stacks.StackECR] < 6 || rep.Resources[stacks.StackApp] < 40 {
		t.Errorf("deployed %v resources, want the full ecr and app stacks", rep.Resources)
	}
	for _, want := range []string{"every request first authenticates with the Cognito user pool", "rule 10: /logout and /logged-out on shiny.example.com (not www, which is redirected first) go to the logout server without authentication", "sessions-high alarm triggers the scale-out policy", "the scale-out alarm's own metric and dimensions have the published datapoint"} {
		if !strings.Contains(out.String(), "ok   "+want) {
			t.Errorf("check %q did not pass", want)
		}
	}
	if l := leftovers(t); len(l) > 0 {
		t.Errorf("rehearsal left files behind: %v", l)
	}
	if after := motoProcesses(t); after != before {
		t.Errorf("moto still running after the rehearsal:\n%s", after)
	}
	for _, stack := range []string{stacks.StackECR, stacks.StackApp} {
		if _, err := os.Stat(filepath.Join("..", ".cache", "rehearsal", stack+".plan.json")); err != nil {
			t.Errorf("no plan JSON for the security scan: %v", err)
		}
	}
}

// Without `make push-image`, the app deploy fails at plan with the message
// that names the repository and the tag.
func TestMissingImageFailsAtPlan(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := rehearse(ctx, getenv, &out, Options{Root: "..", SkipPush: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	cfg := stacks.DefaultConfig("dev")
	for _, img := range stacks.ImageSpecs {
		want := stacks.MissingImageMessage(cfg.RepositoryName(img.Name), cfg.ImageTag)
		if !strings.Contains(rep.AppDeployError, want) {
			t.Errorf("app deploy output lacks %q:\n%s", want, rep.AppDeployError)
		}
	}
	if strings.Contains(rep.AppDeployError, "Apply complete") || strings.Contains(rep.AppDeployError, "Creating...") {
		t.Errorf("the app deploy created resources before failing:\n%s", rep.AppDeployError)
	}
}
