package stacks

import (
	"os"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// synthBoth builds both stacks for cfg in a test app and synthesizes them.
func synthBoth(t testing.TB, cfg Config) (ecr, app synthtest.Synth) {
	t.Helper()
	a := cdktf.Testing_App(nil)
	e, ap, err := Build(a, cfg)
	if err != nil {
		t.Fatalf("build stacks: %v", err)
	}
	return synthtest.SynthStack(t, e.Stack), synthtest.SynthStack(t, ap.Stack)
}

var (
	defaultOnce            sync.Once
	defaultECR, defaultApp synthtest.Synth
)

// defaultSynth is the default (dev) environment, synthesized once per run.
func defaultSynth(t testing.TB) (ecr, app synthtest.Synth) {
	t.Helper()
	defaultOnce.Do(func() {
		cfg, err := LoadConfig(t.TempDir(), "")
		if err != nil {
			t.Fatalf("default config: %v", err)
		}
		defaultECR, defaultApp = synthBoth(t, cfg)
	})
	return defaultECR, defaultApp
}
