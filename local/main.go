// Command local runs the app as users meet it, on this machine, with no AWS
// account and no Docker (`make local`): the Shiny app under R behind its
// session sidecar (LOCAL_TASKS tasks), the session table in moto, stand-ins
// for the ECS agent and task metadata, the logout server, and an edge that
// plays the ALB (listener rules, Cognito sign-in, stickiness, x-amzn-oidc-*
// headers) with a stand-in for the Cognito hosted UI. See package preview.
//
// Settings (environment):
//
//	LOCAL_PORT     the edge's port (default 8443; 0 picks a free one)
//	LOCAL_TASKS    how many tasks (default 1, at most 8)
//	LOCAL_APP_DIR  the Shiny app to run (default: the environment's shiny.appDir)
//	SHINY_ENV      the environment whose config/NAME.json is used (default dev)
//
// Ctrl-C or SIGTERM stops every process it started and removes its files.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/shinyfargate/shiny-cdktf/local/preview"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// Environment variables read by `make local`.
const (
	EnvPort   = "LOCAL_PORT"
	EnvTasks  = "LOCAL_TASKS"
	EnvAppDir = "LOCAL_APP_DIR"
)

const (
	defaultPort = 8443
	maxTasks    = 8
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// settings are the validated LOCAL_* settings.
type settings struct {
	Port   int
	Tasks  int
	AppDir string
}

// loadSettings reads the LOCAL_* variables, with defaults, and reports every
// invalid one.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{Port: defaultPort, Tasks: 1, AppDir: getenv(EnvAppDir)}
	var errs []error
	if v := getenv(EnvPort); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 || strconv.Itoa(n) != v {
			errs = append(errs, fmt.Errorf("%s=%q: must be a port number from 1 to 65535, or 0 for a free port", EnvPort, v))
		}
		s.Port = n
	}
	if v := getenv(EnvTasks); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTasks || strconv.Itoa(n) != v {
			errs = append(errs, fmt.Errorf("%s=%q: must be a whole number from 1 to %d", EnvTasks, v, maxTasks))
		}
		s.Tasks = n
	}
	if len(errs) > 0 {
		return settings{}, joinErrs(errs)
	}
	return s, nil
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "docker", "shiny", "run.R")); err != nil {
		return fmt.Errorf("run it from the repository's root folder (no docker/shiny/run.R in %s)", root)
	}
	cfg, err := stacks.LoadConfig(stacks.ConfigDir(getenv), getenv(stacks.EnvVarEnvironment))
	if err != nil {
		return err
	}
	app, err := appDir(s.AppDir, cfg.Shiny, root)
	if err != nil {
		return err
	}
	p, err := preview.Start(ctx, preview.Options{Root: root, Config: cfg, AppDir: app, Tasks: s.Tasks, Port: s.Port, Out: stdout})
	if err != nil {
		return err
	}
	defer p.Stop()
	fmt.Fprintf(stdout, `
  Open %s
  (sign in with any email on the stand-in for the Cognito hosted UI; the certificate is
  self-signed, so the browser asks once for %s and once for the sign-in page)
  %d task(s), session table %q in moto at %s. Ctrl-C stops everything.

`, p.URL, preview.Domain, len(p.Tasks), p.Table, p.Moto.URL)
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "local: stopping")
		return nil
	case err := <-p.Failed():
		return fmt.Errorf("%w; stopping everything", err)
	}
}

// appDir is the app to run: LOCAL_APP_DIR (relative to the working
// folder) when set, else the environment's shiny.appDir, the app that
// `make push-image` builds.
func appDir(local string, shiny stacks.ShinySettings, root string) (string, error) {
	dir := local
	if dir == "" {
		var err error
		if dir, err = shiny.ShinyApp(root); err != nil {
			return "", fmt.Errorf("%w (or set %s to the app's folder)", err, EnvAppDir)
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := stacks.CheckShinyApp(dir); err != nil {
		if local != "" {
			return "", fmt.Errorf("%s=%q: %w", EnvAppDir, local, err)
		}
		return "", fmt.Errorf("shiny.appDir = %q: %w; with your own shiny.dockerfile, set %s to the folder that holds the app", shiny.AppDir, err, EnvAppDir)
	}
	return dir, nil
}

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msg := "invalid settings:"
	for _, e := range errs {
		msg += "\n  " + e.Error()
	}
	return fmt.Errorf("%s", msg)
}
