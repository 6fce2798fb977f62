package scripttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// shinyPort is where the Shiny server listens in its container: the session
// sidecar's default upstream is http://127.0.0.1:3838 (sessionagent/config.go).
const shinyPort = "3838"

func shinyDir(t *testing.T) string { return filepath.Join(repoRoot(t), "docker", "shiny") }

// These are static checks of the files: the image cannot be built here (no
// Docker engine). The R code itself is run by the tests in shinyapp_test.go.

func TestShinyAppHasSignOutAndReadsALBHeader(t *testing.T) {
	dir := shinyDir(t)
	app := readFile(t, filepath.Join(dir, "app", "app.R"))
	oidc := readFile(t, filepath.Join(dir, "app", "R", "oidc.R"))
	for _, c := range []struct{ file, text, want string }{
		{"app.R", app, `href = "/logout"`},
		{"app.R", app, `"Sign out"`},
		{"app.R", app, `signed_in_user(session$request)`},
		{"app.R", app, `"Not signed in."`},
		{"R/oidc.R", oidc, `HTTP_X_AMZN_OIDC_DATA`},
		{"R/oidc.R", oidc, `"given_name"`},
		{"R/oidc.R", oidc, `"family_name"`},
		{"R/oidc.R", oidc, `"email"`},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s does not contain %s", c.file, c.want)
		}
	}
}

// dockerfile is the instructions of a Dockerfile, continuation lines joined.
func dockerfile(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	cur := ""
	for _, line := range strings.Split(readFile(t, path), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		out = append(out, cur+trimmed)
		cur = ""
	}
	return out
}

func instructions(lines []string, keyword string) []string {
	var out []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], keyword) {
			out = append(out, strings.TrimSpace(l[len(f[0]):]))
		}
	}
	return out
}

// envValue is the value of NAME in the Dockerfile's ENV instructions.
func envValue(lines []string, name string) string {
	re := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(name) + `=(\S+)`)
	val := ""
	for _, env := range instructions(lines, "ENV") {
		if m := re.FindStringSubmatch(env); m != nil {
			val = m[1]
		}
	}
	return val
}

type renvLock struct {
	R struct {
		Version      string
		Repositories []struct{ Name, URL string }
	}
	Packages map[string]struct {
		Package, Version, Source, Repository string
		Requirements                         []string
	}
}

func readLock(t *testing.T) renvLock {
	t.Helper()
	var lock renvLock
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(shinyDir(t), "app", stacks.RenvLockfile))), &lock); err != nil {
		t.Fatalf("renv.lock is not valid JSON: %v", err)
	}
	return lock
}

func TestShinyDockerfile(t *testing.T) {
	dir := shinyDir(t)
	lines := dockerfile(t, filepath.Join(dir, "Dockerfile"))

	// Two stages named for the build contexts push-image passes (app, lock),
	// then one pinned rocker/shiny whose tag is a build argument.
	from := instructions(lines, "FROM")
	if want := []string{"scratch AS " + stacks.ContextApp, "scratch AS " + stacks.ContextLock, "rocker/shiny:${" + stacks.ArgRVersion + "}"}; !slices.Equal(from, want) {
		t.Errorf("FROM instructions = %q, want %q", from, want)
	}
	users := instructions(lines, "USER")
	if len(users) == 0 || users[len(users)-1] != "shiny" {
		t.Errorf("the image must run as the non-root user shiny, USER instructions: %q", users)
	}
	if !slices.Contains(instructions(lines, "EXPOSE"), shinyPort) || envValue(lines, "SHINY_PORT") != shinyPort {
		t.Errorf("the app must listen on %s (EXPOSE and SHINY_PORT), the session sidecar's upstream", shinyPort)
	}
	if hc := instructions(lines, "HEALTHCHECK"); len(hc) != 1 || !strings.Contains(hc[0], "127.0.0.1:${SHINY_PORT}/") {
		t.Errorf("want one HEALTHCHECK of http://127.0.0.1:${SHINY_PORT}/, got %q", hc)
	}
	if cmd := instructions(lines, "CMD"); len(cmd) != 1 || !strings.Contains(cmd[0], "run.R") {
		t.Errorf("want CMD running run.R (shiny::runApp), got %q", cmd)
	}
	// Everything COPY takes from the context exists there; the app comes
	// from the app stage, readable and not writable.
	for _, c := range instructions(lines, "COPY") {
		f := strings.Fields(c)
		if slices.ContainsFunc(f, func(s string) bool { return strings.HasPrefix(s, "--from=") }) {
			continue
		}
		for _, src := range f[:len(f)-1] {
			if strings.HasPrefix(src, "--") {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
				t.Errorf("COPY %s: not in the build context docker/shiny: %v", src, err)
			}
		}
	}
	if !slices.Contains(instructions(lines, "COPY"), "--from="+stacks.ContextApp+" --chmod=a=rX / ./app/") {
		t.Errorf("want the app copied from the %s stage, readable by all and writable by none: %q", stacks.ContextApp, instructions(lines, "COPY"))
	}

	// The ARG defaults build the sample as push-image does: the build
	// arguments its lockfile gives.
	args, err := stacks.LockBuildArgs([]byte(readFile(t, filepath.Join(dir, "app", stacks.RenvLockfile))))
	if err != nil {
		t.Fatal(err)
	}
	defaults := instructions(lines, "ARG")
	slices.Sort(args)
	slices.Sort(defaults)
	if !slices.Equal(args, defaults) {
		t.Errorf("ARG defaults %q differ from the sample lockfile's build arguments %q", defaults, args)
	}
}

// The lockfile is complete: the app's packages and everything they need.
func TestShinyLockfile(t *testing.T) {
	lock := readLock(t)
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(lock.R.Version) {
		t.Errorf("R.Version %q is not a release", lock.R.Version)
	}
	repos := map[string]bool{}
	for _, r := range lock.R.Repositories {
		if r.Name == "" || !strings.HasPrefix(r.URL, "https://") {
			t.Errorf("repository %+v: want a name and an https URL", r)
		}
		repos[r.Name] = true
	}
	for _, want := range []string{"shiny", "jsonlite", "base64enc", "renv"} {
		if _, ok := lock.Packages[want]; !ok {
			t.Errorf("renv.lock has no %s", want)
		}
	}
	// Base R's packages come with R; every other requirement must be locked.
	base := map[string]bool{"R": true, "base": true, "compiler": true, "datasets": true, "grDevices": true,
		"graphics": true, "grid": true, "methods": true, "parallel": true, "splines": true, "stats": true,
		"stats4": true, "tcltk": true, "tools": true, "utils": true}
	for key, p := range lock.Packages {
		if p.Package != key || p.Version == "" || p.Source != "Repository" || !repos[p.Repository] {
			t.Errorf("package %s: want Package %q, a Version, Source Repository and a known Repository, got %+v", key, key, p)
		}
		for _, req := range p.Requirements {
			if _, ok := lock.Packages[req]; !ok && !base[req] {
				t.Errorf("package %s requires %s, which renv.lock does not hold", key, req)
			}
		}
	}
}
