package sessionmodel

import (
	"strings"
	"testing"
)

func TestIntSettingDefaultsAreValid(t *testing.T) {
	for _, s := range AgentSettings {
		if err := s.Check(s.Default); err != nil {
			t.Errorf("%s: default %d: %v", s.ConfigKey, s.Default, err)
		}
		if v, err := s.Parse(""); err != nil || v != s.Default {
			t.Errorf("%s: unset gives %d, %v; want the default %d", s.Env, v, err, s.Default)
		}
	}
}

func TestIntSettingBounds(t *testing.T) {
	for _, s := range AgentSettings {
		for _, v := range []int{s.Min, s.Max} {
			if got, err := s.Parse(s.EnvValue(v)); err != nil || got != v {
				t.Errorf("%s=%d: %d, %v", s.Env, v, got, err)
			}
		}
	}
}

// One negative case per setting and kind of bad value; each message names
// the variable (or config key), the value and the range.
func TestIntSettingRejects(t *testing.T) {
	for _, s := range AgentSettings {
		for _, raw := range []string{s.EnvValue(s.Min - 1), s.EnvValue(s.Max + 1), "ten", "1.5", " 5"} {
			_, err := s.Parse(raw)
			want := s.Env + `="` + raw + `": must be a whole number of ` + s.Unit
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s=%q: error %v, want one starting %q", s.Env, raw, err, want)
			}
		}
		err := s.ConfigError(s.Max + 1)
		want := s.ConfigKey + " = " + s.EnvValue(s.Max+1) + ": must be"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("config %s: error %v, want one starting %q", s.ConfigKey, err, want)
		}
		if err := s.ConfigError(s.Default); err != nil {
			t.Errorf("config %s default: %v", s.ConfigKey, err)
		}
	}
}

func TestValidTableName(t *testing.T) {
	for _, ok := range []string{"abc", "shiny-dev-sessions", "A_b.c-1", strings.Repeat("a", 255)} {
		if err := ValidTableName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ab", "my table", "tábla", strings.Repeat("a", 256)} {
		if err := ValidTableName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidListenHost(t *testing.T) {
	for _, ok := range []string{"", "127.0.0.1", "0.0.0.0", "::1"} {
		if err := ValidListenHost(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"localhost", "127.0.0.1:8080", "http://127.0.0.1"} {
		if err := ValidListenHost(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUpstreamURL(t *testing.T) {
	if got := UpstreamURL(ShinyPort); got != "http://127.0.0.1:3838" {
		t.Fatal(got)
	}
}
