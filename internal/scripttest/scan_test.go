package scripttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every accepted finding says why: an entry of .trivyignore.yaml without a
// statement would hide a finding with no reason given.
func TestTrivyIgnoreEntriesStateReasons(t *testing.T) {
	text := readFile(t, filepath.Join(repoRoot(t), ".trivyignore.yaml"))
	var live []string // the file without comments
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			live = append(live, line)
		}
	}
	entryRE := regexp.MustCompile(`^\s*- id:\s*(\S+)\s*$`)
	statementRE := regexp.MustCompile(`^\s+statement:\s*(\S.*)?$`)
	type entry struct {
		id        string
		statement string
	}
	var entries []*entry
	inStatement := false
	for _, line := range live {
		if m := entryRE.FindStringSubmatch(line); m != nil {
			entries = append(entries, &entry{id: m[1]})
			inStatement = false
			continue
		}
		if len(entries) == 0 {
			continue
		}
		cur := entries[len(entries)-1]
		switch m := statementRE.FindStringSubmatch(line); {
		case m != nil:
			inStatement = true
			if v := strings.TrimSpace(m[1]); v != ">-" && v != ">" && v != "|" {
				cur.statement += v
			}
		case inStatement && strings.HasPrefix(line, "      "):
			cur.statement += " " + strings.TrimSpace(line)
		default:
			inStatement = false
		}
	}
	if len(entries) == 0 {
		t.Fatal("no entries found in .trivyignore.yaml: the test no longer understands its format")
	}
	for _, e := range entries {
		if words := strings.Fields(e.statement); len(words) < 8 {
			t.Errorf("suppression %s: its statement %q does not say why it is accepted", e.id, e.statement)
		}
	}
}

// requireTrivy finds trivy the way scripts/scan.sh does, without building it
// (that takes about 10 minutes): TRIVY, PATH, then toolsDir().
func requireTrivy(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TRIVY"); p != "" {
		return p
	}
	if p, err := exec.LookPath("trivy"); err == nil {
		return p
	}
	if p := filepath.Join(toolsDir(), "trivy"); isExecutable(p) {
		return p
	}
	missingTool(t, "trivy is not installed (`scripts/scan.sh --install`, which `make scan` runs on first use and `.ci/run` runs before the tests, builds it into "+toolsDir()+"): scan.sh is not run")
	return ""
}

// toolsDir is where scripts/env.sh keeps built tools: SHINY_TOOLS_DIR, or a
// per-user cache outside the checkout, so a fresh clone reuses them.
func toolsDir() string {
	if d := os.Getenv("SHINY_TOOLS_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "shiny-cdktf", "bin")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "shiny-cdktf", "bin")
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// writeStacks writes a synth output with one stack, app, holding tfJSON.
func writeStacks(t *testing.T, tfJSON string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app", "cdk.tf.json"), []byte(tfJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scan(t *testing.T, trivy, stacks string, plans ...string) result {
	t.Helper()
	root := repoRoot(t)
	return runIn(t, root, []string{"TRIVY=" + trivy, "SCAN_STACKS_DIR=" + stacks, "SCAN_WORK_DIR=" + t.TempDir()},
		"bash", append([]string{filepath.Join(root, "scripts", "scan.sh")}, plans...)...)
}

// A finding fails the scan and is printed with its id and resource; an
// accepted one is printed with the reason from .trivyignore.yaml.
func TestScanReportsFindingsAndSuppressions(t *testing.T) {
	trivy := requireTrivy(t)
	stacks := writeStacks(t, `{"resource": {"aws_lb": {"web": {
		"name": "web", "internal": false, "load_balancer_type": "application",
		"drop_invalid_header_fields": false, "subnets": ["subnet-1", "subnet-2"]}}}}`)
	res := scan(t, trivy, stacks)
	if res.exitCode != 1 {
		t.Fatalf("exit %d, want 1 (a finding)\n%s%s", res.exitCode, res.stdout, res.stderr)
	}
	findings, suppressed := section(res.stdout, "FINDINGS"), section(res.stdout, "Suppressed by .trivyignore.yaml")
	if !strings.Contains(findings, "AWS-0052") || !strings.Contains(findings, "aws_lb.web") {
		t.Errorf("AWS-0052 (ALB keeps invalid headers) on aws_lb.web should be a finding:\n%s", res.stdout)
	}
	if !strings.Contains(suppressed, "AWS-0053") || !strings.Contains(suppressed, "why: The ALB is internet-facing by design") {
		t.Errorf("AWS-0053 should be listed as suppressed, with its reason:\n%s", res.stdout)
	}
}

// A file trivy cannot read fails the scan (exit 2) instead of passing as clean.
func TestScanRefusesWhatItCannotScan(t *testing.T) {
	trivy := requireTrivy(t)
	good := writeStacks(t, `{"resource": {"aws_s3_bucket_public_access_block": {"b": {"bucket": "b",
		"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}}}}`)
	for _, c := range []struct {
		name, stacks string
		plans        []string
		want         string
	}{
		{"not a plan", good, []string{filepath.Join(repoRoot(t), "package.json")}, "not a Terraform plan"},
		{"broken stack", writeStacks(t, `{"resource": {"aws_lb": {"web": {"internal": false,`), nil, "NOT SCANNED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := scan(t, trivy, c.stacks, c.plans...)
			if res.exitCode != 2 || !strings.Contains(res.stdout+res.stderr, c.want) {
				t.Errorf("exit %d, want 2 and %q in the output:\n%s%s", res.exitCode, c.want, res.stdout, res.stderr)
			}
		})
	}
}

// section returns the lines of out from the one starting with title to the
// next line that does not start with a space.
func section(out, title string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, title):
			in = true
		case in && !strings.HasPrefix(line, " "):
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
