package metricpublisher

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// New rejects a bad configuration with every problem named, before building
// any client.
func TestNewRejectsConfiguration(t *testing.T) {
	h, err := New(context.Background(), env(map[string]string{sessionmodel.EnvStaleAfter: "-1s"}), slog.New(slog.DiscardHandler))
	if err == nil || h != nil {
		t.Fatalf("New = %v, %v; want an error", h, err)
	}
	for _, f := range []string{"invalid configuration", sessionmodel.EnvTableName, sessionmodel.EnvCluster, sessionmodel.EnvService, sessionmodel.EnvStaleAfter} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// New builds a handler from the environment, with the configuration read
// once, the CloudWatch protocol chosen by getenv, the wall clock, and the
// cold-start log line on the given logger.
func TestNewBuildsHandler(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "45s"
	e["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
	var logs bytes.Buffer
	h, err := New(context.Background(), env(e), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: sessionmodel.MetricNamespace, StaleAfter: 45 * time.Second}
	if h.cfg != want {
		t.Errorf("config = %+v, want %+v", h.cfg, want)
	}
	if h.store == nil || h.tasks == nil || h.metrics == nil || h.now == nil || h.scanLimit != 0 {
		t.Errorf("handler not fully built: %+v", h)
	}
	if d := time.Since(h.now()); d < 0 || d > time.Minute {
		t.Errorf("clock is %v off the wall clock", d)
	}
	if !strings.Contains(logs.String(), `"msg":"sessionmetric ready"`) || !strings.Contains(logs.String(), `"staleAfter":"45s"`) {
		t.Errorf("cold-start log = %s", logs.String())
	}

	// A nil logger is allowed.
	if h, err := New(context.Background(), env(e), nil); err != nil || h.log == nil {
		t.Fatalf("New with nil logger = %v, %v", h, err)
	}
}

// Run is what Handle does, without the Lambda event.
func TestRunIsHandle(t *testing.T) {
	a, b := newFixture(), newFixture()
	outA, errA := a.h.Run(context.Background())
	outB, errB := b.h.Handle(context.Background(), events.EventBridgeEvent{})
	if errA != nil || errB != nil {
		t.Fatalf("Run: %v, Handle: %v", errA, errB)
	}
	if outA != outB || !reflect.DeepEqual(a.calls, b.calls) {
		t.Errorf("Run = %+v %v, Handle = %+v %v", outA, a.calls, outB, b.calls)
	}
}
