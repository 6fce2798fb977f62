package main

import (
	"bufio"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/local/preview"
	"github.com/shinyfargate/shiny-cdktf/stacks"
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

// The app is LOCAL_APP_DIR when set, else the environment's shiny.appDir;
// either must hold a Shiny app, and the error says which setting to fix.
func TestAppDir(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"apps/sales", "apps/own/src"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"apps/sales/app.R", "apps/own/Dockerfile", "apps/own/src/app.R"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	sales, own := stacks.ShinySettings{AppDir: "apps/sales"}, stacks.ShinySettings{AppDir: "apps/own", Dockerfile: "apps/own/Dockerfile"}
	for _, tc := range []struct {
		name, local string
		shiny       stacks.ShinySettings
		want, err   string
	}{
		{"config", "", sales, filepath.Join(root, "apps/sales"), ""},
		{"LOCAL_APP_DIR wins", "apps/own/src", sales, filepath.Join(root, "apps/own/src"), ""},
		{"config missing", "", stacks.ShinySettings{AppDir: "apps/nope"}, "", `shiny.appDir = "apps/nope": no such folder (` + filepath.Join(root, "apps/nope") + `) (or set LOCAL_APP_DIR to the app's folder)`},
		{"own Dockerfile, app below", "", own, "", "with your own shiny.dockerfile, set LOCAL_APP_DIR to the folder that holds the app"},
		{"LOCAL_APP_DIR not an app", "apps/own", sales, "", `LOCAL_APP_DIR="apps/own": no Shiny app in`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appDir(tc.local, tc.shiny, root)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("appDir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestSIGTERMLeavesNothing runs the command as `make local` does, waits for
// the URL, sends SIGTERM and checks that every process it started is gone,
// the edge's port is closed and its folder removed.
func TestSIGTERMLeavesNothing(t *testing.T) {
	if err := preview.CheckTools(); err != nil {
		if os.Getenv("REQUIRE_ALL_TOOLS") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	bin := filepath.Join(t.TempDir(), "local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), EnvPort+"=0", EnvTasks+"=2")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pids []int
	var tmp, appURL string
	var log strings.Builder
	pidRE := regexp.MustCompile(`started (\S+) \(pid (\d+)\)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if m := pidRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			pids = append(pids, n)
		}
		if _, dir, ok := strings.Cut(line, "built programs go to "); ok {
			tmp = dir
		}
		if _, u, ok := strings.Cut(line, "  Open "); ok {
			appURL = strings.TrimSpace(u)
			break
		}
	}
	if appURL == "" {
		t.Fatalf("no URL printed:\n%s", log.String())
	}
	u, err := url.Parse(appURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 5 || tmp == "" {
		t.Fatalf("want 5 processes (2 Shiny, 2 sidecars, logout) and a folder, got %v, %q:\n%s", pids, tmp, log.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still runs", pid)
		}
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+u.Port()); err == nil {
		c.Close()
		t.Errorf("the edge's port %s still answers", u.Port())
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("%s is left behind (%v)", tmp, err)
	}
}
