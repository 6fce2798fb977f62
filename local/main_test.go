package main

import (
	"strings"
	"testing"
)

func TestLoadSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got, err := loadSettings(env(nil))
	if err != nil || got != (settings{Port: defaultPort, Tasks: 1}) {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	got, err = loadSettings(env(map[string]string{EnvPort: "0", EnvTasks: "2", EnvAppDir: "my/app"}))
	if err != nil || got != (settings{Port: 0, Tasks: 2, AppDir: "my/app"}) {
		t.Errorf("set: %+v, %v", got, err)
	}
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"port not a number": {map[string]string{EnvPort: "http"}, `LOCAL_PORT="http": must be a port number`},
		"port too large":    {map[string]string{EnvPort: "65536"}, `LOCAL_PORT="65536"`},
		"port negative":     {map[string]string{EnvPort: "-1"}, `LOCAL_PORT="-1"`},
		"port with sign":    {map[string]string{EnvPort: "+80"}, `LOCAL_PORT="+80"`},
		"no tasks":          {map[string]string{EnvTasks: "0"}, `LOCAL_TASKS="0": must be a whole number from 1 to 8`},
		"too many tasks":    {map[string]string{EnvTasks: "9"}, `LOCAL_TASKS="9"`},
		"both reported":     {map[string]string{EnvTasks: "x", EnvPort: "y"}, "LOCAL_TASKS"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadSettings(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
