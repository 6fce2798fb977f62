package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// -json prints exactly the measures the issue names, one object per policy.
func TestRunJSON(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "t.csv")
	var b strings.Builder
	b.WriteString("start,end\n")
	for i := range 40 {
		b.WriteString(strings.Join([]string{itoa(i * 5), itoa(i*5 + 1800)}, ",") + "\n")
	}
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	plot := filepath.Join(dir, "out.svg")
	err := run(context.Background(), []string{"-config", "../config", "-trace", csv, "-policy", "deployed", "-policy", "scheduled", "-json", "-plot", plot}, getenv(nil), &out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Policies []map[string]any `json:"policies"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(doc.Policies) != 2 || doc.Policies[0]["name"] != "deployed" || doc.Policies[1]["name"] != "scheduled" {
		t.Fatalf("policies = %v", doc.Policies)
	}
	for _, k := range []string{"task_minutes", "oracle_task_minutes", "peak_sessions_per_task", "overloaded_session_minutes", "sessions_cut", "scale_outs", "scale_ins"} {
		if _, ok := doc.Policies[0][k]; !ok {
			t.Errorf("no %q in %v", k, doc.Policies[0])
		}
	}
	if doc.Policies[0]["sessions_cut"] != float64(0) {
		t.Errorf("sessions cut: %v", doc.Policies[0]["sessions_cut"])
	}
	svg, err := os.ReadFile(plot)
	if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("busiest task")) {
		t.Errorf("plot: %v, %d bytes", err, len(svg))
	}
}

// The environment's policy comes from its config file, mapped as the stack maps it.
func TestRunUsesEnvironment(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "test.json"), []byte(`{"shiny": {"cpu": 1024, "memoryMiB": 2048, "desiredCount": 3}, "scaling": {"minTasks": 3, "maxTasks": 6}}`), 0o644)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-config", dir, "-trace", "spike", "-policy", "deployed", "-json"}, getenv(map[string]string{"SHINY_ENV": "test"}), &out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Policies []struct {
			Oracle float64 `json:"oracle_task_minutes"`
			Tasks  float64 `json:"task_minutes"`
		} `json:"policies"`
	}
	json.Unmarshal(out.Bytes(), &doc)
	// spike runs 08:00 to about 20:30 plus 30 minutes: at least 3 tasks all along.
	if len(doc.Policies) != 1 || doc.Policies[0].Tasks < 3*12*60 {
		t.Errorf("with minTasks 3: %s", out.String())
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-trace is required"},
		{[]string{"-trace", "lunch"}, `-trace "lunch": neither a built-in scenario (classroom, spike, workday) nor a readable file`},
		{[]string{"-trace", "spike", "-policy", "fastest"}, `policy "fastest": must be one of deployed, notes, target-tracking, scheduled`},
		{[]string{"-trace", "spike", "-algorithm", "random"}, `algorithm "random": must be`},
		{[]string{"-trace", "spike", "-plot", "x.pdf"}, `-plot "x.pdf": must end in .svg or .png`},
		{[]string{"-trace", "spike", "-start-delay", "0s"}, "-start-delay 0s: must be positive"},
		{[]string{"-trace", "spike", "extra"}, "unexpected arguments"},
	} {
		err := run(context.Background(), append([]string{"-config", "../config"}, tc.args...), getenv(nil), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// docs/simulate is what make simulate-docs writes today: a change of
// defaults, model or scenarios must come with regenerated docs.
func TestDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := run(context.Background(), []string{"-config", "../config", "-docs", dir}, getenv(nil), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 4 {
		t.Fatalf("wrote %v, want results.md and three plots", files)
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("..", "docs", "simulate", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/simulate/%s is stale (or missing): run make simulate-docs", filepath.Base(f))
		}
	}
}
