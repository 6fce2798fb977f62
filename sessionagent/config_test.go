package main

import (
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
	if cfg.Port != 8080 || cfg.Upstream.String() != "http://127.0.0.1:3838" || cfg.ProtectionMinutes != 60 ||
		cfg.ProtectionGrace != 30*time.Second || cfg.MetadataURI != "" || cfg.AgentURI != "" || cfg.TableName != "" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestConfigInECS(t *testing.T) {
	env := map[string]string{
		sessionmodel.EnvAgentPort:   "9000",
		sessionmodel.EnvUpstreamURL: "http://localhost:3838/app",
		sessionmodel.EnvTableName:   "shiny-sessions",
		EnvMetadataURI:              "http://169.254.170.2/v4/abc",
		EnvAgentURI:                 "http://169.254.170.2/api/abc",
		EnvProtectionMinutes:        "2880",
		EnvProtectionGrace:          "0s",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9000 || cfg.Upstream.Path != "/app" || cfg.TableName != "shiny-sessions" || cfg.ProtectionMinutes != 2880 || cfg.ProtectionGrace != 0 {
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

func TestConfigReportsAllProblems(t *testing.T) {
	env := map[string]string{sessionmodel.EnvAgentPort: "x", EnvProtectionMinutes: "0"}
	_, err := loadConfig(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), sessionmodel.EnvAgentPort) || !strings.Contains(err.Error(), EnvProtectionMinutes) {
		t.Fatalf("want both problems reported, got %v", err)
	}
}
