package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// The README's settings table states each shared setting's default and
// range as sessionmodel defines them.
func TestReadmeSettingsTable(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, s := range sessionmodel.AgentSettings {
		prefix := fmt.Sprintf("| `%s` | `%d` |", s.Env, s.Default)
		rng := fmt.Sprintf("(%d-%d; config `%s`)", s.Min, s.Max, s.ConfigKey)
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, rng) {
				found = true
			}
		}
		if !found {
			t.Errorf("README.md has no row starting %q that says %q", prefix, rng)
		}
	}
	for _, want := range []string{
		fmt.Sprintf("| `%s` | `%d` |", sessionmodel.EnvAgentPort, sessionmodel.AgentPort),
		fmt.Sprintf("| `%s` | `%s` |", sessionmodel.EnvUpstreamURL, sessionmodel.UpstreamURL(sessionmodel.ShinyPort)),
		fmt.Sprintf("| `%s` |", sessionmodel.EnvListenHost),
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
