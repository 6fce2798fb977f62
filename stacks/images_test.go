package stacks

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// lockfile is an renv.lock for R rVersion from CRAN, with renv when
// renvVersion is set.
func lockfile(rVersion, renvVersion string) string {
	pkgs := `"shiny": {"Package": "shiny", "Version": "1.8.1"}`
	if renvVersion != "" {
		pkgs += `, "renv": {"Package": "renv", "Version": "` + renvVersion + `"}`
	}
	return `{"R": {"Version": "` + rVersion + `", "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]}, "Packages": {` + pkgs + `}}`
}

func TestLockBuildArgs(t *testing.T) {
	for _, tc := range []struct {
		name, lock string
		want       []string
		err        string
	}{
		{"with renv", lockfile("4.3.1", "1.0.7"), []string{"R_VERSION=4.3.1", "RENV_VERSION=1.0.7", "RENV_REPO=https://cloud.r-project.org"}, ""},
		{"without renv", lockfile("4.4.2", ""), []string{"R_VERSION=4.4.2", "RENV_REPO=https://cloud.r-project.org"}, ""},
		{"R 3", lockfile("3.6.3", "1.0.7"), nil, `R.Version = "3.6.3": rocker/shiny images start at R 4.0.0; build with your own shiny.dockerfile`},
		{"R 10", lockfile("10.0.0", ""), nil, `R.Version = "10.0.0"`},
		{"no R version", `{"R": {"Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]}}`, nil, `R.Version = "": must be an R version such as 4.4.2`},
		{"R version with shell", lockfile("4.4.2; rm -rf /", ""), nil, `R.Version = "4.4.2; rm -rf /"`},
		{"no repository", `{"R": {"Version": "4.4.2", "Repositories": []}}`, nil, "R.Repositories: the first must have an https URL"},
		{"http repository", strings.Replace(lockfile("4.4.2", ""), "https://", "http://", 1), nil, "R.Repositories: the first must have an https URL"},
		{"bad renv version", lockfile("4.4.2", "latest"), nil, `Packages.renv.Version = "latest"`},
		{"development renv", lockfile("4.4.2", "1.0.7.9000"), nil, `Packages.renv.Version = "1.0.7.9000"`},
		{"renv from GitHub", strings.Replace(lockfile("4.4.2", "1.0.7"), `"Version": "1.0.7"`, `"Version": "1.0.7", "Source": "GitHub"`, 1), nil, `Packages.renv.Source = "GitHub": the image installs renv from the lockfile's repository`},
		{"not JSON", `R 4.4.2`, nil, "not an renv lockfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LockBuildArgs([]byte(tc.lock))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("LockBuildArgs = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// project is a folder with the parts of this project that PlanImages reads:
// the sample app and its lockfile.
func project(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write(t, filepath.Join(root, SampleAppDir, "app.R"), "shiny::shinyApp(NULL, NULL)")
	write(t, filepath.Join(root, SampleAppDir, RenvLockfile), lockfile("4.4.2", "1.1.1"))
	return root
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func shinyPlan(t *testing.T, root string, s ShinySettings) (ImageBuild, Plan) {
	t.Helper()
	cfg := validConfig()
	cfg.Shiny.AppDir, cfg.Shiny.Dockerfile = s.AppDir, s.Dockerfile
	plan, err := PlanImages(cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Builds) != len(ImageSpecs) {
		t.Fatalf("%d builds, want one per image (%d)", len(plan.Builds), len(ImageSpecs))
	}
	for i, b := range plan.Builds {
		if b.Name != ImageSpecs[i].Name {
			t.Fatalf("build %d is %s, want %s", i, b.Name, ImageSpecs[i].Name)
		}
		if b.Name != ImageShiny && !slices.Equal(b.DockerArgs(), []string{"-f", ImageSpecs[i].Dockerfile, ImageSpecs[i].Context}) {
			t.Errorf("%s does not follow the app: %q", b.Name, b.DockerArgs())
		}
	}
	return plan.Builds[0], plan
}

// suffixRE is the commit tag's suffix: a hash of the app's files.
var suffixRE = regexp.MustCompile(`^-app[0-9a-f]{10}$`)

// The sample app builds from the project's files, with its lockfile's
// arguments and no note.
func TestPlanSampleApp(t *testing.T) {
	root := project(t)
	b, plan := shinyPlan(t, root, ShinySettings{AppDir: SampleAppDir})
	want := []string{"-f", ShinyDockerfile, "--build-context", "app=./" + SampleAppDir, "--build-context", "lock=./" + SampleAppDir,
		"--build-arg", "R_VERSION=4.4.2", "--build-arg", "RENV_VERSION=1.1.1", "--build-arg", "RENV_REPO=https://cloud.r-project.org", "docker/shiny"}
	if !slices.Equal(b.DockerArgs(), want) {
		t.Errorf("docker build args\n got %q\nwant %q", b.DockerArgs(), want)
	}
	if !suffixRE.MatchString(plan.CommitTagSuffix) || len(plan.Notes) != 0 {
		t.Errorf("suffix %q, notes %q: want -app and 10 hex digits, no notes", plan.CommitTagSuffix, plan.Notes)
	}
}

// An app elsewhere on disk: its folder and lockfile are the named contexts,
// its R version the base image's, and the commit tag names its files: the
// same files the same name, other files another, wherever they are.
func TestPlanAppElsewhere(t *testing.T) {
	root, app := project(t), filepath.Join(t.TempDir(), "sales app")
	write(t, filepath.Join(app, "ui.R"), "fluidPage()")
	write(t, filepath.Join(app, "server.R"), "function(input, output) {}")
	write(t, filepath.Join(app, RenvLockfile), lockfile("4.3.1", "1.0.7"))
	b, plan := shinyPlan(t, root, ShinySettings{AppDir: app})
	want := []string{"-f", ShinyDockerfile, "--build-context", "app=" + app, "--build-context", "lock=" + app,
		"--build-arg", "R_VERSION=4.3.1", "--build-arg", "RENV_VERSION=1.0.7", "--build-arg", "RENV_REPO=https://cloud.r-project.org", "docker/shiny"}
	if !slices.Equal(b.DockerArgs(), want) {
		t.Errorf("docker build args\n got %q\nwant %q", b.DockerArgs(), want)
	}
	if len(plan.Notes) != 0 {
		t.Errorf("notes %q, want none", plan.Notes)
	}
	first := plan.CommitTagSuffix
	if !suffixRE.MatchString(first) {
		t.Fatalf("commit tag suffix %q, want -app and 10 hex digits", first)
	}
	if _, again := shinyPlan(t, root, ShinySettings{AppDir: app}); again.CommitTagSuffix != first {
		t.Errorf("same files, suffix %q then %q: want it stable", first, again.CommitTagSuffix)
	}
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.CopyFS(moved, os.DirFS(app)); err != nil {
		t.Fatal(err)
	}
	if _, copied := shinyPlan(t, root, ShinySettings{AppDir: moved}); copied.CommitTagSuffix != first {
		t.Errorf("the same files in another folder: suffix %q, want %q", copied.CommitTagSuffix, first)
	}
	// A link to the folder: the files behind it are hashed and sent.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(app, link); err != nil {
		t.Fatal(err)
	}
	linked, viaLink := shinyPlan(t, root, ShinySettings{AppDir: link})
	if viaLink.CommitTagSuffix != first || !slices.Contains(linked.Contexts, "app="+app) {
		t.Errorf("through a link: suffix %q (want %q), contexts %q (want the folder itself)", viaLink.CommitTagSuffix, first, linked.Contexts)
	}
	write(t, filepath.Join(app, "server.R"), "function(input, output) { 1 }")
	if _, changed := shinyPlan(t, root, ShinySettings{AppDir: link}); changed.CommitTagSuffix == first {
		t.Errorf("an edited server.R kept the suffix %q: two builds would share a commit tag", first)
	}
	// What the build leaves out does not name the image.
	write(t, filepath.Join(app, ".dockerignore"), "data/\n")
	_, ignoring := shinyPlan(t, root, ShinySettings{AppDir: app})
	write(t, filepath.Join(app, "data", "big.csv"), "1,2,3")
	if _, withData := shinyPlan(t, root, ShinySettings{AppDir: app}); withData.CommitTagSuffix != ignoring.CommitTagSuffix {
		t.Errorf("a file in .dockerignore changed the suffix from %q to %q", ignoring.CommitTagSuffix, withData.CommitTagSuffix)
	}
}

// A relative folder is passed as ./PATH: never read as an option or as a
// remote context.
func TestPlanPathsAreNeverOptions(t *testing.T) {
	root := project(t)
	for _, dir := range []string{"-app", "github.com/team/app"} {
		write(t, filepath.Join(root, dir, "app.R"), "x")
		b, _ := shinyPlan(t, root, ShinySettings{AppDir: dir})
		if !slices.Contains(b.Contexts, "app=./"+dir) {
			t.Errorf("appDir %q: contexts %q, want app=./%s", dir, b.Contexts, dir)
		}
	}
}

// Without a renv.lock the sample's lockfile is restored, and the user is
// told; files an image must not carry are pointed out, unless the app's
// .dockerignore leaves them out, and a .Renviron is refused.
func TestPlanNotes(t *testing.T) {
	root := project(t)
	app := filepath.Join(root, "apps", "plain")
	write(t, filepath.Join(app, "app.R"), "x")
	write(t, filepath.Join(app, "renv", "library", "R-4.4", "x"), "binary")
	write(t, filepath.Join(app, ".Rhistory"), "Sys.setenv(TOKEN = 'x')")
	b, plan := shinyPlan(t, root, ShinySettings{AppDir: "apps/plain"})
	if !slices.Contains(b.Contexts, "lock=./"+SampleAppDir) {
		t.Errorf("contexts %q: want the sample's lockfile", b.Contexts)
	}
	if len(plan.Notes) != 2 || !strings.Contains(plan.Notes[0], "./apps/plain: .Rhistory, renv/library would go into the image") ||
		!strings.Contains(plan.Notes[1], "./apps/plain has no renv.lock") {
		t.Errorf("notes %q: want the private files and the missing renv.lock", plan.Notes)
	}
	write(t, filepath.Join(app, ".dockerignore"), ".Rhistory\nrenv/library\n")
	if _, plan := shinyPlan(t, root, ShinySettings{AppDir: "apps/plain"}); len(plan.Notes) != 1 {
		t.Errorf("notes %q: the .dockerignore answers the first", plan.Notes)
	}
	write(t, filepath.Join(app, ".Renviron"), "API_KEY=secret")
	cfg := validConfig()
	cfg.Shiny.AppDir = "apps/plain"
	if _, err := PlanImages(cfg, root); err == nil || !strings.Contains(err.Error(), "./apps/plain/.Renviron would go into the image, where anyone who may pull it reads it") {
		t.Errorf("a .Renviron: err = %v, want it refused", err)
	}
	write(t, filepath.Join(app, ".dockerignore"), ".Rhistory\nrenv/library\n.Renviron\n")
	if _, err := PlanImages(cfg, root); err != nil {
		t.Errorf("a .Renviron the .dockerignore leaves out: %v", err)
	}
}

// With its own Dockerfile the app's folder is the context, as given.
func TestPlanOwnDockerfile(t *testing.T) {
	root, app := project(t), t.TempDir()
	write(t, filepath.Join(app, "Dockerfile"), "FROM rocker/shiny:4.4.2")
	write(t, filepath.Join(app, "src", "app.R"), "x")
	b, plan := shinyPlan(t, root, ShinySettings{AppDir: app, Dockerfile: filepath.Join(app, "Dockerfile")})
	if want := []string{"-f", filepath.Join(app, "Dockerfile"), app}; !slices.Equal(b.DockerArgs(), want) {
		t.Errorf("docker build args %q, want %q", b.DockerArgs(), want)
	}
	if !suffixRE.MatchString(plan.CommitTagSuffix) {
		t.Errorf("suffix %q: want one that names the app's files and Dockerfile", plan.CommitTagSuffix)
	}
}

func TestPlanErrors(t *testing.T) {
	root := project(t)
	write(t, filepath.Join(root, "apps", "half", "ui.R"), "x")
	write(t, filepath.Join(root, "apps", "badlock", "app.R"), "x")
	write(t, filepath.Join(root, "apps", "badlock", RenvLockfile), lockfile("3.6.0", ""))
	write(t, filepath.Join(root, "apps", "file"), "x")
	for _, tc := range []struct {
		name string
		s    ShinySettings
		want string
	}{
		{"missing", ShinySettings{AppDir: "apps/nope"}, `shiny.appDir = "apps/nope": no such folder (` + filepath.Join(root, "apps", "nope") + `)`},
		{"a file", ShinySettings{AppDir: "apps/file"}, `shiny.appDir = "apps/file": no such folder`},
		{"no server.R", ShinySettings{AppDir: "apps/half"}, `shiny.appDir = "apps/half": no Shiny app in ` + filepath.Join(root, "apps", "half") + `: it needs app.R, or ui.R and server.R`},
		{"old R", ShinySettings{AppDir: "apps/badlock"}, `./apps/badlock/renv.lock: R.Version = "3.6.0"`},
		{"missing Dockerfile", ShinySettings{AppDir: "apps/half", Dockerfile: "apps/half/Dockerfile"}, `shiny.dockerfile = "apps/half/Dockerfile": no such file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Shiny.AppDir, cfg.Shiny.Dockerfile = tc.s.AppDir, tc.s.Dockerfile
			_, err := PlanImages(cfg, root)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
