package ecsagent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestApplyProtection(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		body string
		want Protection
		err  string
	}{
		{`{"ProtectionEnabled":true,"ExpiresInMinutes":60}`, Protection{Enabled: true, Expires: now.Add(time.Hour)}, ""},
		{`{"ProtectionEnabled":true}`, Protection{Enabled: true, Expires: now.Add(120 * time.Minute)}, ""},
		{`{"ProtectionEnabled":true,"ExpiresInMinutes":2880}`, Protection{Enabled: true, Expires: now.Add(48 * time.Hour)}, ""},
		{`{"ProtectionEnabled":false}`, Protection{}, ""},
		{`{"ProtectionEnabled":false,"ExpiresInMinutes":5}`, Protection{}, ""},
		{`{"ProtectionEnabled":true,"ExpiresInMinutes":0}`, Protection{}, "ExpiresInMinutes=0"},
		{`{"ProtectionEnabled":true,"ExpiresInMinutes":2881}`, Protection{}, "ExpiresInMinutes=2881"},
		{`{"ExpiresInMinutes":5}`, Protection{}, "ProtectionEnabled is required"},
		{`{"ProtectionEnabled":"yes"}`, Protection{}, "invalid request body"},
		{`not json`, Protection{}, "invalid request body"},
	}
	for _, tt := range tests {
		got, err := ApplyProtection([]byte(tt.body), now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.body, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.body, got, err, tt.want)
		}
	}
}

// TestServer drives the endpoints the way the sidecar and ECS docs do.
func TestServer(t *testing.T) {
	s := httptest.NewServer(New([]Task{{ID: "t1", ARN: "arn:aws:ecs:us-east-1:1:task/c/t1", Cluster: "c", Family: "f"}}))
	defer s.Close()
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var v map[string]any
		_ = json.Unmarshal(raw, &v)
		return resp.StatusCode, v
	}
	if code, v := do("GET", "/v4/t1/task", ""); code != 200 || v["TaskARN"] != "arn:aws:ecs:us-east-1:1:task/c/t1" {
		t.Errorf("metadata: %d %v", code, v)
	}
	if code, _ := do("GET", "/v4/t2/task", ""); code != 404 {
		t.Errorf("unknown task: %d", code)
	}
	uri := AgentURI(s.URL, "t1") + ProtectionPath
	path := strings.TrimPrefix(uri, s.URL)
	if _, v := do("GET", path, ""); v["protection"].(map[string]any)["ProtectionEnabled"] != false {
		t.Errorf("new task protected: %v", v)
	}
	if code, v := do("PUT", path, `{"ProtectionEnabled":true,"ExpiresInMinutes":60}`); code != 200 || v["protection"].(map[string]any)["ProtectionEnabled"] != true {
		t.Errorf("enable: %d %v", code, v)
	}
	if _, v := do("GET", path, ""); v["protection"].(map[string]any)["TaskArn"] != "arn:aws:ecs:us-east-1:1:task/c/t1" || v["protection"].(map[string]any)["ProtectionEnabled"] != true {
		t.Errorf("state after enable: %v", v)
	}
	if code, v := do("PUT", path, `{"ProtectionEnabled":true,"ExpiresInMinutes":9999}`); code != 400 || v["error"] == nil {
		t.Errorf("invalid minutes: %d %v", code, v)
	}
	if code, _ := do("PUT", path, `{"ProtectionEnabled":false}`); code != 200 {
		t.Errorf("disable: %d", code)
	}
	if h := New(nil).History("t1"); len(h) != 0 {
		t.Errorf("history of another server: %v", h)
	}
	if code, _ := do("DELETE", path, ""); code != 405 {
		t.Errorf("DELETE: %d", code)
	}
}
