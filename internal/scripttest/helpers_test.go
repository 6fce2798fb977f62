package scripttest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the project folder: this package lives in internal/scripttest.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// result is what a finished command left behind.
type result struct {
	stdout, stderr string
	exitCode       int
}

// runIn runs name args in dir with the test's environment plus env
// (KEY=VALUE entries, later ones win) and returns its output and exit code.
// Failing to start the command at all fails the test.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), exitCode: code}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// missingTool skips a test whose tool is absent on a developer's machine, and
// fails it where every tool must be present: .ci/run sets REQUIRE_ALL_TOOLS=1
// after installing them, so CI never passes by skipping.
func missingTool(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("REQUIRE_ALL_TOOLS") == "1" {
		t.Fatal(msg + " (REQUIRE_ALL_TOOLS=1)")
	}
	t.Skip(msg)
}
