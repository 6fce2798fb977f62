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

// testAssets builds the assets once per test run (every synth packages them).
var testAssets = sync.OnceValues(func() (Assets, error) { return BuildAssets(".cache") })

// assets returns the built assets or fails the test.
func assets(t testing.TB) Assets {
	t.Helper()
	a, err := testAssets()
	if err != nil {
		t.Fatalf("build the assets: %v", err)
	}
	return a
}

// synthBoth builds both stacks for cfg in a test app and synthesizes them.
func synthBoth(t testing.TB, cfg Config) (ecr, app synthtest.Synth) {
	t.Helper()
	a := cdktf.Testing_App(nil)
	e, ap, err := Build(a, cfg, assets(t))
	if err != nil {
		t.Fatalf("build stacks: %v", err)
	}
	return synthtest.SynthStack(t, e.Stack), synthtest.SynthStack(t, ap.Stack)
}

var (
	defaultOnce            sync.Once
	defaultECR, defaultApp synthtest.Synth
	defaultErr             error
)

// defaultSynth is the default (dev) environment, synthesized once per run;
// a failure is reported to every test that needs it.
func defaultSynth(t testing.TB) (ecr, app synthtest.Synth) {
	t.Helper()
	defaultOnce.Do(func() {
		cfg, err := LoadConfig(t.TempDir(), "")
		if err != nil {
			defaultErr = err
			return
		}
		e, ap, err := Build(cdktf.Testing_App(nil), cfg, assets(t))
		if err != nil {
			defaultErr = err
			return
		}
		defaultECR, defaultApp = synthtest.SynthStack(t, e.Stack), synthtest.SynthStack(t, ap.Stack)
	})
	if defaultErr != nil {
		t.Fatalf("the default environment does not synthesize: %v", defaultErr)
	}
	return defaultECR, defaultApp
}
