package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/coder/websocket"

	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func TestNextOutdatedSince(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		since    time.Time
		outdated bool
		want     time.Time
	}{
		{"current", time.Time{}, false, time.Time{}},
		{"learns it is outdated", time.Time{}, true, t0},
		{"still outdated: the first moment counts", t0.Add(-time.Hour), true, t0.Add(-time.Hour)},
		{"the service deploys this definition again (rollback)", t0.Add(-time.Hour), false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextOutdatedSince(tc.since, tc.outdated, t0); !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTaskDefinitionOf(t *testing.T) {
	got, err := taskDefinitionOf("arn:aws:ecs:us-east-1:123456789012:task-definition/shiny-dev-shiny:42")
	if err != nil || got != "shiny-dev-shiny:42" {
		t.Fatalf("%q, %v", got, err)
	}
	for _, bad := range []string{"", "shiny:42", "arn:aws:ecs:us-east-1:123456789012:task-definition/shiny"} {
		if _, err := taskDefinitionOf(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The watcher's answers: a deadline once the service deploys another
// definition, none again after a rollback.
func TestDeploymentWatcherDeadline(t *testing.T) {
	log, _ := testLogger(t)
	w := newDeploymentWatcher(nil, "c", "s", "shiny:3", 15*time.Minute, time.Minute, log)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	w.update("shiny:3", t0)
	if !w.deadline().IsZero() {
		t.Fatal("a current task drains")
	}
	w.update("shiny:4", t0)
	if got := w.deadline(); !got.Equal(t0.Add(15 * time.Minute)) {
		t.Fatalf("deadline %v, want 15 minutes after learning", got)
	}
	select {
	case <-w.notify:
	default:
		t.Fatal("the protector was not told")
	}
	w.update("shiny:4", t0.Add(time.Minute))
	if got := w.deadline(); !got.Equal(t0.Add(15 * time.Minute)) {
		t.Fatalf("deadline moved to %v", got)
	}
	w.update("shiny:3", t0.Add(2*time.Minute))
	if !w.deadline().IsZero() {
		t.Fatal("still draining after a rollback")
	}
}

func ecsClient(t *testing.T, m *motoserver.Server) *ecs.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DisableKeepAlives = true })
	return ecs.NewFromConfig(aws.Config{
		Region:       m.Region,
		HTTPClient:   httpClient,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(m.URL),
	})
}

// setUpServices creates, in moto, cluster c with the task definition family
// "shiny" at revisions 1 to 4, a service "current" that deploys shiny:3 (the
// metadata stand-in's task) and a service "outdated" that deploys shiny:4.
// (moto's UpdateService does not update a service's deployments, so a
// rollout is modelled by two services.)
func setUpServices(t *testing.T, c *ecs.Client) {
	ctx := context.Background()
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("shiny"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{
				Name: aws.String("shiny"), Image: aws.String("shiny:latest"), Memory: aws.Int32(512),
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, td := range map[string]string{"current": "shiny:3", "outdated": "shiny:4"} {
		if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{
			Cluster: aws.String("c"), ServiceName: aws.String(name), TaskDefinition: aws.String(td), DesiredCount: aws.Int32(1),
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// testRunDrain runs the whole sidecar with a session open, against moto's
// ECS (awsEnv), with SESSION_DRAIN_MINUTES=0: in service "outdated" it turns
// protection off although the session stays open; in "current" it keeps it.
func testRunDrain(t *testing.T, awsEnv []string, table string) {
	for _, tc := range []struct {
		service string
		drains  bool
	}{{"current", false}, {"outdated", true}} {
		t.Run(tc.service, func(t *testing.T) {
			e := newInECS(t, awsEnv, table, 0, map[string]string{
				sessionmodel.EnvCluster:       "c",
				sessionmodel.EnvService:       tc.service,
				sessionmodel.DrainMinutes.Env: "0",
			})
			std, logs := e.std, e.logs
			base, stop := startRun(t, e.env, logs)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := dialWS(t, ctx, base, testClient(t))
			defer c.CloseNow()
			echo(t, ctx, c, "a user")
			// The watcher reads the service every 50 ms: give it several reads.
			eventually(t, 10*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"drain on"`) }, "drain not started")
			time.Sleep(300 * time.Millisecond)
			if strings.Contains(logs.String(), "cannot read the service's deployment") {
				t.Fatal("DescribeServices failed")
			}
			if tc.drains {
				if !strings.Contains(logs.String(), "this task drains") {
					t.Fatal("the outdated task did not learn it is outdated")
				}
				// Protection may have gone on before the watcher learned; it
				// must be off now, with the session still open.
				eventually(t, 5*time.Second, func() bool {
					recs := std.recorded()
					return len(recs) == 0 || recs[len(recs)-1].RawBody == `{"ProtectionEnabled":false}`
				}, "outdated task with an open session is still protected: %+v", std.recorded())
			} else {
				eventually(t, 5*time.Second, func() bool { return std.count() >= 1 }, "protection never requested")
				for _, r := range std.recorded() {
					if r.Body["ProtectionEnabled"] != true {
						t.Fatalf("current task turned protection off with a session open: %s", r.RawBody)
					}
				}
				if strings.Contains(logs.String(), "this task drains") {
					t.Fatal("a current task drains")
				}
			}
			echo(t, ctx, c, "still served while draining")
			c.Close(websocket.StatusNormalClosure, "")
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
