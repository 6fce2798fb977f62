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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// New rejects a bad configuration with every problem named, before building
// any client.
func TestNewRejectsConfiguration(t *testing.T) {
	h, err := New(aws.Config{}, env(map[string]string{sessionmodel.EnvStaleAfter: "-1s"}), slog.New(slog.DiscardHandler))
	if err == nil || h != nil {
		t.Fatalf("New = %v, %v; want an error", h, err)
	}
	for _, f := range []string{"invalid configuration", sessionmodel.EnvTableName, sessionmodel.EnvCluster, sessionmodel.EnvService, sessionmodel.EnvStaleAfter} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// New builds a handler from the aws.Config and getenv it is given, with the
// configuration read once, the CloudWatch protocol chosen by the endpoint,
// the wall clock, and the cold-start log line on the given logger.
func TestNewBuildsHandler(t *testing.T) {
	e := validEnv()
	e[sessionmodel.EnvStaleAfter] = "45s"
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1")}
	var logs bytes.Buffer
	h, err := New(awsCfg, env(e), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := settings{Table: "sessions", Cluster: "shiny-cluster", Service: "shiny-svc", Namespace: sessionmodel.MetricNamespace,
		Limits: limits{StaleAfter: 45 * time.Second, StartupGrace: StartupGrace, MaxClockSkew: MaxClockSkew}}
	if h.cfg != want {
		t.Errorf("config = %+v, want %+v", h.cfg, want)
	}
	if h.store == nil || h.tasks == nil || h.metrics == nil || h.now == nil {
		t.Errorf("handler not fully built: %+v", h)
	}
	cw, ok := h.metrics.(*cloudwatch.Client)
	if !ok || cw.Options().Protocol.ID().Name != "awsQuery" || aws.ToString(cw.Options().BaseEndpoint) != "http://127.0.0.1:1" ||
		cw.Options().Region != "us-east-1" {
		t.Errorf("CloudWatch client not built from the given aws.Config: %+v", h.metrics)
	}
	if d := time.Since(h.now()); d < 0 || d > time.Minute {
		t.Errorf("clock is %v off the wall clock", d)
	}
	if !strings.Contains(logs.String(), `"msg":"sessionmetric ready"`) || !strings.Contains(logs.String(), `"stale_after":"45s"`) {
		t.Errorf("cold-start log = %s", logs.String())
	}

	// A nil logger is allowed.
	if h, err := New(awsCfg, env(e), nil); err != nil || h.log == nil {
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
