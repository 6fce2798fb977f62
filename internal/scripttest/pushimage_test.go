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

const (
	fakeRegion   = "eu-west-1"
	fakeRegistry = "123456789012.dkr.ecr." + fakeRegion + ".amazonaws.com"
)

// image is one line of `go run . images`: what scripts/push-image.sh pushes.
type image struct {
	name, output, tag, commitTag string
	// build are the docker build arguments after the platform and tag.
	build []string
}

// listImages runs `go run . images` in the repository, the list the script
// itself reads, so the tests follow the stacks instead of repeating them.
func listImages(t *testing.T, root string, env ...string) []image {
	t.Helper()
	res := runIn(t, root, env, "go", "run", ".", "images")
	if res.exitCode != 0 {
		t.Fatalf("go run . images exited %d:\n%s", res.exitCode, res.stderr)
	}
	var images []image
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 7 || slices.Contains(f, "") {
			t.Fatalf("go run . images: want name, output, tag, commit tag and the docker build arguments, none empty, got %q", line)
		}
		images = append(images, image{name: f[0], output: f[1], tag: f[2], commitTag: f[3], build: f[4:]})
	}
	if len(images) == 0 {
		t.Fatal("go run . images listed no images")
	}
	return images
}

// gitCommitTag is the commit part of the commit tag, as the script derives it.
func gitCommitTag(t *testing.T, root string) string {
	t.Helper()
	res := runIn(t, root, nil, "git", "rev-parse", "--short=12", "HEAD")
	if res.exitCode != 0 {
		t.Fatalf("git rev-parse: %s", res.stderr)
	}
	commit := strings.TrimSpace(res.stdout)
	if st := runIn(t, root, nil, "git", "status", "--porcelain"); strings.TrimSpace(st.stdout) != "" {
		commit += "-dirty"
	}
	return commit
}

func repositoryURL(img image) string { return fakeRegistry + "/shiny-dev/" + img.name }

// writeOutputs writes a `terraform output -json` of the ecr stack holding a
// repository URL for each image, less the outputs named in omit.
func writeOutputs(t *testing.T, images []image, url func(image) string, omit ...string) string {
	t.Helper()
	outputs := map[string]any{}
	for _, img := range images {
		outputs[img.output] = map[string]any{"sensitive": false, "type": "string", "value": url(img)}
	}
	for _, o := range omit {
		delete(outputs, o)
	}
	data, err := json.MarshalIndent(outputs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ecr-outputs.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pushImage(t *testing.T, root, outputsFile string, env ...string) result {
	t.Helper()
	return runIn(t, root, append([]string{"DRY_RUN=1", "ECR_OUTPUTS_JSON=" + outputsFile}, env...), "bash", filepath.Join(root, "scripts", "push-image.sh"))
}

// shellWords is how a shell reads a printed command line.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	res := runIn(t, "", nil, "bash", "-c", `eval "set -- $1"; printf '%s\0' "$@"`, "_", line)
	if res.exitCode != 0 {
		t.Fatalf("bash cannot read %q: %s", line, res.stderr)
	}
	return strings.Split(strings.TrimSuffix(res.stdout, "\x00"), "\x00")
}

// The dry run prints exactly: build and tag every image, in the order the
// stacks list them, before any push (a failed build pushes nothing); one
// ECR login for the registry; the commit tags; the deployed tags last.
func TestPushImageDryRunPrintsEveryCommand(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	res := pushImage(t, root, writeOutputs(t, images, repositoryURL))
	if res.exitCode != 0 {
		t.Fatalf("push-image.sh exited %d\nstdout:\n%s\nstderr:\n%s", res.exitCode, res.stdout, res.stderr)
	}

	// Each build also gets the immutable tag of its commit and app, which
	// the ECR lifecycle policy keeps for the newest builds: the rollback path.
	commit := gitCommitTag(t, root)
	var builds, commitPushes, pushes []string
	for _, img := range images {
		local := img.name + ":" + img.tag
		remote := repositoryURL(img) + ":" + img.tag
		byCommit := repositoryURL(img) + ":" + strings.Replace(img.commitTag, stacks.CommitPlaceholder, commit, 1)
		if !regexp.MustCompile(`^` + stacks.CommitTagPrefix + stacks.CommitPlaceholder + `-app[0-9a-f]{10}$`).MatchString(img.commitTag) {
			t.Errorf("%s: commit tag %q, want %sCOMMIT-appHASH (the prefix the lifecycle policy keeps)", img.name, img.commitTag, stacks.CommitTagPrefix)
		}
		builds = append(builds,
			"docker build --platform linux/amd64 --provenance=false -t "+local+" "+strings.Join(img.build, " "),
			"docker tag "+local+" "+remote,
			"docker tag "+local+" "+byCommit,
		)
		commitPushes = append(commitPushes, "docker push "+byCommit)
		pushes = append(pushes, "docker push "+remote)
	}
	want := append(builds, "aws ecr get-login-password --region "+fakeRegion+" | docker login --username AWS --password-stdin "+fakeRegistry)
	want = append(append(want, commitPushes...), pushes...)
	got := strings.Split(strings.TrimRight(res.stdout, "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed commands differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, img := range images {
		dockerfile, context := img.build[1], img.build[len(img.build)-1]
		if _, err := os.Stat(filepath.Join(root, dockerfile)); err != nil || img.build[0] != "-f" {
			t.Errorf("image %s: its Dockerfile %s does not exist", img.name, dockerfile)
		}
		if st, err := os.Stat(filepath.Join(root, context)); err != nil || !st.IsDir() {
			t.Errorf("image %s: its build context %s is not a folder", img.name, context)
		}
	}
}

// appConfig writes an environment "dev" whose shiny settings are shiny, and
// gives the environment variables that select it.
func appConfig(t *testing.T, shiny map[string]string) []string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"shiny": shiny})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dev.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{stacks.EnvVarConfigDir + "=" + dir, stacks.EnvVarEnvironment + "=dev"}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An app elsewhere on disk (its path with a space and a quote) is built
// with the project's Dockerfile: the printed command, read back by a shell,
// passes the app and its lockfile as named contexts and the lockfile's R
// and renv versions, and every image's commit tag also names the app's files.
func TestPushImageBuildsConfiguredApp(t *testing.T) {
	root := repoRoot(t)
	app := filepath.Join(t.TempDir(), "Sales app's")
	writeFile(t, filepath.Join(app, "app.R"), "shiny::shinyApp(shiny::fluidPage(), function(input, output) {})")
	writeFile(t, filepath.Join(app, stacks.RenvLockfile), `{"R": {"Version": "4.3.1", "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}]},
		"Packages": {"renv": {"Package": "renv", "Version": "1.0.7"}}}`)
	env := appConfig(t, map[string]string{"appDir": app})
	images := listImages(t, root, env...)
	res := pushImage(t, root, writeOutputs(t, images, repositoryURL), env...)
	if res.exitCode != 0 {
		t.Fatalf("push-image.sh exited %d\nstderr:\n%s", res.exitCode, res.stderr)
	}
	var builds [][]string
	tags := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		words := shellWords(t, line)
		switch {
		case len(words) > 2 && words[0] == "docker" && words[1] == "build":
			builds = append(builds, words)
		case len(words) == 3 && words[0] == "docker" && words[1] == "push" && !strings.HasSuffix(words[2], ":latest"):
			tags[words[2][strings.LastIndex(words[2], ":")+1:]] = true
		}
	}
	want := []string{"docker", "build", "--platform", "linux/amd64", "--provenance=false", "-t", stacks.ImageShiny + ":latest",
		"-f", stacks.ShinyDockerfile, "--build-context", "app=" + app, "--build-context", "lock=" + app,
		"--build-arg", "R_VERSION=4.3.1", "--build-arg", "RENV_VERSION=1.0.7", "--build-arg", "RENV_REPO=https://cloud.r-project.org", "docker/shiny"}
	if len(builds) != len(images) || !slices.Equal(builds[0], want) {
		t.Fatalf("shiny build\n got %q\nwant %q\nstdout:\n%s", builds, want, res.stdout)
	}
	if len(tags) != 1 {
		t.Fatalf("commit tags %v: want one, shared by every image", tags)
	}
	for tag := range tags {
		if !regexp.MustCompile(`^git-[0-9a-f]{12}(-dirty)?-app[0-9a-f]{10}$`).MatchString(tag) {
			t.Errorf("commit tag %q: want git-COMMIT-appHASH for an app outside the project", tag)
		}
	}
}

// With its own Dockerfile the app's folder is the whole build context; an
// app with no renv.lock is built with the sample's packages, and told so.
func TestPushImageOwnDockerfileAndNotes(t *testing.T) {
	root := repoRoot(t)
	app := t.TempDir()
	writeFile(t, filepath.Join(app, "Dockerfile"), "FROM rocker/shiny:4.4.2\n")
	writeFile(t, filepath.Join(app, "app.R"), "x")
	own := listImages(t, root, appConfig(t, map[string]string{"appDir": app, "dockerfile": filepath.Join(app, "Dockerfile")})...)
	if want := []string{"-f", filepath.Join(app, "Dockerfile"), app}; !slices.Equal(own[0].build, want) {
		t.Errorf("own Dockerfile: build %q, want %q", own[0].build, want)
	}
	res := runIn(t, root, appConfig(t, map[string]string{"appDir": app}), "go", "run", ".", "images")
	if res.exitCode != 0 || !strings.Contains(res.stderr, "note: "+app+" has no renv.lock") {
		t.Errorf("an app without renv.lock: exit %d, want a note on stderr, got:\n%s", res.exitCode, res.stderr)
	}
	if !strings.Contains(res.stdout, "lock=./"+stacks.SampleAppDir) {
		t.Errorf("want the sample's lockfile restored, got:\n%s", res.stdout)
	}
}

// A build that fails after another succeeded pushes nothing: the
// registry keeps the release it had. Docker cannot run here, so a stand-in
// on PATH records each call and fails the logout server's build.
func TestPushImageFailedBuildPushesNothing(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	bin, calls := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	writeFile(t, filepath.Join(bin, "docker"), "#!/bin/sh\necho \"docker $*\" >> "+calls+"\ncase \"$*\" in *logout-server*build*|build*logout-server*) exit 1;; esac\n")
	writeFile(t, filepath.Join(bin, "aws"), "#!/bin/sh\necho \"aws $*\" >> "+calls+"\necho password\n")
	for _, f := range []string{"docker", "aws"} {
		if err := os.Chmod(filepath.Join(bin, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	res := runIn(t, root, []string{"ECR_OUTPUTS_JSON=" + writeOutputs(t, images, repositoryURL), "PATH=" + bin + ":" + os.Getenv("PATH")},
		"bash", filepath.Join(root, "scripts", "push-image.sh"))
	log := readFile(t, calls)
	if res.exitCode == 0 {
		t.Fatalf("push-image.sh exited 0 although a build failed; calls:\n%s", log)
	}
	if !strings.Contains(log, "docker build") || !strings.Contains(log, stacks.ImageShiny+":") {
		t.Fatalf("the stand-in saw no Shiny build; calls:\n%s", log)
	}
	if strings.Contains(log, "docker push") || strings.Contains(log, "login") {
		t.Errorf("pushed or logged in after a failed build; calls:\n%s", log)
	}
}

// A wrong app folder stops push-image before it logs in or builds,
// naming the setting and the folder it looked for.
func TestPushImageMissingAppFails(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	missing := filepath.Join(t.TempDir(), "nope")
	res := pushImage(t, root, writeOutputs(t, images, repositoryURL), appConfig(t, map[string]string{"appDir": missing})...)
	if res.exitCode == 0 || res.stdout != "" {
		t.Fatalf("push-image.sh with a missing app: exit %d, stdout:\n%s", res.exitCode, res.stdout)
	}
	if !strings.Contains(res.stderr, `shiny.appDir = "`+missing+`": no such folder`) {
		t.Errorf("the error should name shiny.appDir and the folder, got:\n%s", res.stderr)
	}
}

// Each image's output is required: a missing one fails before anything is
// pushed to a wrong place, naming the output and what to do.
func TestPushImageMissingOutputFails(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	for _, missing := range images {
		t.Run(missing.name, func(t *testing.T) {
			res := pushImage(t, root, writeOutputs(t, images, repositoryURL, missing.output))
			if res.exitCode == 0 {
				t.Fatalf("push-image.sh exited 0 without output %s\nstdout:\n%s", missing.output, res.stdout)
			}
			if !strings.Contains(res.stderr, missing.output) || !strings.Contains(res.stderr, "cdktf deploy ecr") {
				t.Errorf("the error should name %s and say to deploy the ecr stack, got:\n%s", missing.output, res.stderr)
			}
			if strings.Contains(res.stdout, "docker push "+repositoryURL(missing)) {
				t.Errorf("pushed %s although its output is missing:\n%s", missing.name, res.stdout)
			}
		})
	}
}

// A repository URL that is not ECR's is refused rather than guessed at.
func TestPushImageRefusesNonECRURL(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	res := pushImage(t, root, writeOutputs(t, images, func(img image) string { return "registry.example.com/" + img.name }))
	if res.exitCode == 0 {
		t.Fatalf("push-image.sh accepted a non-ECR repository URL:\n%s", res.stdout)
	}
	if !strings.Contains(res.stderr, "is not an ECR URL") {
		t.Errorf("want an error saying the URL is not an ECR URL, got:\n%s", res.stderr)
	}
	if strings.Contains(res.stdout, "docker login") {
		t.Errorf("logged in to a non-ECR registry:\n%s", res.stdout)
	}
}

// No AWS account id is written in the scripts: the registry comes from the
// ecr stack's outputs.
func TestScriptsHoldNoAccountID(t *testing.T) {
	root := repoRoot(t)
	scripts, err := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts/*.sh found")
	}
	accountID := regexp.MustCompile(`(^|[^0-9])[0-9]{12}([^0-9]|$)`)
	for _, path := range scripts {
		for i, line := range strings.Split(readFile(t, path), "\n") {
			if accountID.MatchString(line) {
				t.Errorf("%s:%d looks like it holds an AWS account id: %s", filepath.Base(path), i+1, line)
			}
		}
	}
}
