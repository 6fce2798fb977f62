package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != sessionmodel.AgentPort || cfg.Upstream.String() != sessionmodel.UpstreamURL(sessionmodel.ShinyPort) ||
		cfg.ProtectionMinutes != 60 || cfg.ProtectionGrace != 30*time.Second || cfg.MetadataURI != "" || cfg.AgentURI != "" ||
		cfg.TableName != "" || cfg.ListenHost != "" || cfg.Cluster != "" || cfg.Service != "" ||
		cfg.IdleTimeout != 30*time.Minute || cfg.Drain != 15*time.Minute || cfg.MaxPerUser != 10 || cfg.BusyGrace != 600*time.Second {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestConfigInECS(t *testing.T) {
	env := map[string]string{
		sessionmodel.EnvAgentPort:           "9000",
		sessionmodel.EnvUpstreamURL:         "http://localhost:3838/app",
		sessionmodel.EnvTableName:           "shiny-sessions",
		EnvMetadataURI:                      "http://169.254.170.2/v4/abc",
		EnvAgentURI:                         "http://169.254.170.2/api/abc",
		EnvProtectionMinutes:                "2880",
		EnvProtectionGrace:                  "0s",
		sessionmodel.EnvCluster:             "shiny-dev",
		sessionmodel.EnvService:             "shiny-dev-shiny",
		sessionmodel.EnvListenHost:          "127.0.0.1",
		sessionmodel.IdleTimeoutMinutes.Env: "5",
		sessionmodel.DrainMinutes.Env:       "0",
		sessionmodel.MaxSessionsPerUser.Env: "3",
		sessionmodel.BusyGraceSeconds.Env:   "120",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9000 || cfg.Upstream.Path != "/app" || cfg.TableName != "shiny-sessions" || cfg.ProtectionMinutes != 2880 || cfg.ProtectionGrace != 0 ||
		cfg.Cluster != "shiny-dev" || cfg.Service != "shiny-dev-shiny" || cfg.ListenHost != "127.0.0.1" ||
		cfg.IdleTimeout != 5*time.Minute || cfg.Drain != 0 || cfg.MaxPerUser != 3 || cfg.BusyGrace != 2*time.Minute {
		t.Fatalf("config: %+v", cfg)
	}
}

// One case per rule: the error names the variable and the value.
func TestConfigValidation(t *testing.T) {
	ecs := map[string]string{EnvMetadataURI: "http://169.254.170.2/v4/abc", sessionmodel.EnvTableName: "t-1"}
	for _, tc := range []struct {
		name, key, value string
		base             map[string]string
	}{
		{"port not a number", sessionmodel.EnvAgentPort, "eighty", nil},
		{"port zero", sessionmodel.EnvAgentPort, "0", nil},
		{"port too large", sessionmodel.EnvAgentPort, "65536", nil},
		{"upstream https", sessionmodel.EnvUpstreamURL, "https://127.0.0.1:3838", nil},
		{"upstream without scheme", sessionmodel.EnvUpstreamURL, "127.0.0.1:3838", nil},
		{"upstream without host", sessionmodel.EnvUpstreamURL, "http://", nil},
		{"upstream with query", sessionmodel.EnvUpstreamURL, "http://127.0.0.1:3838/?a=1", nil},
		{"upstream bad port", sessionmodel.EnvUpstreamURL, "http://127.0.0.1:99999", nil},
		{"table missing in ECS", sessionmodel.EnvTableName, "", ecs},
		{"table name invalid", sessionmodel.EnvTableName, "my table", nil},
		{"metadata URI not http", EnvMetadataURI, "unix:///var/run/ecs.sock", ecs},
		{"agent URI not a URL", EnvAgentURI, "::nonsense", nil},
		{"protection minutes zero", EnvProtectionMinutes, "0", nil},
		{"protection minutes too large", EnvProtectionMinutes, "2881", nil},
		{"protection minutes not a number", EnvProtectionMinutes, "1h", nil},
		{"grace negative", EnvProtectionGrace, "-1s", nil},
		{"grace too long", EnvProtectionGrace, "11m", nil},
		{"grace not a duration", EnvProtectionGrace, "30", nil},
		{"listen host a name", sessionmodel.EnvListenHost, "localhost", nil},
		{"cluster without service", sessionmodel.EnvService, "", map[string]string{sessionmodel.EnvCluster: "c"}},
		{"service without cluster", sessionmodel.EnvCluster, "", map[string]string{sessionmodel.EnvService: "s"}},
		{"idle timeout zero", sessionmodel.IdleTimeoutMinutes.Env, "0", nil},
		{"idle timeout a duration", sessionmodel.IdleTimeoutMinutes.Env, "30m", nil},
		{"drain negative", sessionmodel.DrainMinutes.Env, "-1", nil},
		{"drain too long", sessionmodel.DrainMinutes.Env, "1441", nil},
		{"sessions per user zero", sessionmodel.MaxSessionsPerUser.Env, "0", nil},
		{"busy grace too long", sessionmodel.BusyGraceSeconds.Env, "3601", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.base {
				env[k] = v
			}
			env[tc.key] = tc.value
			_, err := loadConfig(func(k string) string { return env[k] })
			if err == nil {
				t.Fatalf("%s=%q accepted", tc.key, tc.value)
			}
			if want := tc.key + "=" + `"` + tc.value + `"`; !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not name %s", err, want)
			}
		})
	}
}

// Every problem, in a fixed order (the order of the variables in
// loadConfig), whatever the map order of the environment.
func TestConfigReportsAllProblemsInOrder(t *testing.T) {
	env := map[string]string{
		sessionmodel.BusyGraceSeconds.Env: "-1",
		sessionmodel.EnvAgentPort:         "x",
		EnvProtectionMinutes:              "0",
		sessionmodel.EnvListenHost:        "any",
	}
	var first string
	for range 20 {
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil {
			t.Fatal("accepted")
		}
		msg := err.Error()
		pos := func(s string) int { return strings.Index(msg, s+"=") }
		if !(pos(sessionmodel.EnvListenHost) < pos(sessionmodel.EnvAgentPort) && pos(sessionmodel.EnvAgentPort) < pos(EnvProtectionMinutes) &&
			pos(EnvProtectionMinutes) < pos(sessionmodel.BusyGraceSeconds.Env) && pos(sessionmodel.EnvListenHost) >= 0) {
			t.Fatalf("problems missing or out of order:\n%s", msg)
		}
		if first == "" {
			first = msg
		} else if msg != first {
			t.Fatalf("message changed between runs:\n%s\n%s", first, msg)
		}
	}
}

func TestRunRefusesECSWithoutAWSCredentials(t *testing.T) {
	env := map[string]string{EnvMetadataURI: "http://127.0.0.1:1/v4/x", sessionmodel.EnvTableName: "t-1", sessionmodel.EnvListenHost: "127.0.0.1"}
	err := run(context.Background(), func(k string) string { return env[k] }, &logBuffer{})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("run without credentials: %v", err)
	}
}
