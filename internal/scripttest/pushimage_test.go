package scripttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	fakeRegion   = "eu-west-1"
	fakeRegistry = "123456789012.dkr.ecr." + fakeRegion + ".amazonaws.com"
)

// image is one line of `go run . images`: what scripts/push-image.sh pushes.
type image struct {
	name, output, dockerfile, context, tag, commitPrefix string
}

// listImages runs `go run . images` in the repository, the list the script
// itself reads, so the tests follow the stacks instead of repeating them.
func listImages(t *testing.T, root string) []image {
	t.Helper()
	res := runIn(t, root, nil, "go", "run", ".", "images")
	if res.exitCode != 0 {
		t.Fatalf("go run . images exited %d:\n%s", res.exitCode, res.stderr)
	}
	var images []image
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("go run . images: want 6 tab-separated fields, got %q", line)
		}
		images = append(images, image{name: f[0], output: f[1], dockerfile: f[2], context: f[3], tag: f[4], commitPrefix: f[5]})
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

func pushImage(t *testing.T, root, outputsFile string) result {
	t.Helper()
	return runIn(t, root, []string{"DRY_RUN=1", "ECR_OUTPUTS_JSON=" + outputsFile}, "bash", filepath.Join(root, "scripts", "push-image.sh"))
}

// The dry run prints exactly: one ECR login for the registry, then build, tag
// and push of every image, in the order the stacks list them.
func TestPushImageDryRunPrintsEveryCommand(t *testing.T) {
	root := repoRoot(t)
	images := listImages(t, root)
	res := pushImage(t, root, writeOutputs(t, images, repositoryURL))
	if res.exitCode != 0 {
		t.Fatalf("push-image.sh exited %d\nstdout:\n%s\nstderr:\n%s", res.exitCode, res.stdout, res.stderr)
	}

	want := []string{
		"aws ecr get-login-password --region " + fakeRegion + " | docker login --username AWS --password-stdin " + fakeRegistry,
	}
	// Each build also gets the immutable tag of its commit, which the ECR
	// lifecycle policy keeps for the newest builds: the rollback path.
	commit := gitCommitTag(t, root)
	for _, img := range images {
		local := img.name + ":" + img.tag
		remote := repositoryURL(img) + ":" + img.tag
		byCommit := repositoryURL(img) + ":" + img.commitPrefix + commit
		want = append(want,
			"docker build --platform linux/amd64 --provenance=false -f "+img.dockerfile+" -t "+local+" "+img.context,
			"docker tag "+local+" "+remote,
			"docker tag "+local+" "+byCommit,
			"docker push "+byCommit,
			"docker push "+remote,
		)
	}
	got := strings.Split(strings.TrimRight(res.stdout, "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printed commands differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, img := range images {
		if _, err := os.Stat(filepath.Join(root, img.dockerfile)); err != nil {
			t.Errorf("image %s: its Dockerfile %s does not exist", img.name, img.dockerfile)
		}
		if st, err := os.Stat(filepath.Join(root, img.context)); err != nil || !st.IsDir() {
			t.Errorf("image %s: its build context %s is not a folder", img.name, img.context)
		}
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
