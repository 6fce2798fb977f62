package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// Bad config must fail before anything is synthesized: no partial output.
func TestBadConfigWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("config", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("config", "bad.json"), []byte(`{"region":"nowhere","scaling":{"maxTasks":0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SHINY_ENV": "bad"}
	err := run(func(k string) string { return env[k] }, nil)
	if err == nil {
		t.Fatal("want an error for invalid config")
	}
	for _, want := range []string{`region = "nowhere"`, "scaling.maxTasks = 0", "config/bad.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat("cdktf.out"); !os.IsNotExist(err) {
		t.Errorf("cdktf.out exists after a failed synth (err=%v)", err)
	}
}

// A stack that fails after validation (here the ALB construct refusing a
// default Cognito domain prefix with a reserved word) leaves no cdktf.out.
func TestFailedBuildLeavesNoOutput(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := stacks.DefaultConfig("dev")
	cfg.NamePrefix = "my-aws"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the config itself must be valid for this test: %v", err)
	}
	err := synth(func(string) string { return "" }, cfg, stacks.Assets{})
	if err == nil || !strings.Contains(err.Error(), "reserved word aws") {
		t.Fatalf("error = %v, want the ALB's refusal", err)
	}
	if _, err := os.Stat("cdktf.out"); !os.IsNotExist(err) {
		t.Errorf("cdktf.out exists after a failed build (err=%v)", err)
	}
}
