package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// Image names: the repositories the notes name, and the session sidecar's.
const (
	ImageShiny        = "shiny-repository"
	ImageLogout       = "logout-server"
	ImageSessionAgent = "session-agent"
)

// The Shiny image's files in this project.
const (
	// SampleAppDir is the sample app, the default shiny.appDir.
	SampleAppDir = "docker/shiny/app"
	// ShinyDockerfile is the project's Dockerfile for Shiny apps: R from
	// rocker/shiny, renv restore, non-root, tini, health check.
	ShinyDockerfile = "docker/shiny/Dockerfile"
	// shinyBuildDir is its build context (run.R, restore.R, the sample app).
	shinyBuildDir = "docker/shiny"
	// RenvLockfile is the file renv::snapshot() writes in an app's folder.
	RenvLockfile = "renv.lock"
)

// Named build contexts of ShinyDockerfile (docker build --build-context
// NAME=DIR): its stages of the same names hold the sample app and its
// lockfile, so a plain `docker build docker/shiny` builds the sample.
const (
	ContextApp  = "app"
	ContextLock = "lock"
)

// Build arguments of ShinyDockerfile, taken from the app's renv.lock.
const (
	ArgRVersion    = "R_VERSION"
	ArgRenvVersion = "RENV_VERSION"
	ArgRenvRepo    = "RENV_REPO"
)

// MinRVersion is the oldest R that rocker/shiny has images for.
const MinRVersion = 4

// ImageSpec is one image: its repository and how `make push-image` builds it
// by default.
type ImageSpec struct {
	// Name is the repository name after the prefix, e.g. shiny-repository.
	Name string
	// Dockerfile and Context are the docker build arguments, relative to the project.
	Dockerfile string
	Context    string
}

// ImageSpecs lists every image the ecr stack holds and `make push-image`
// pushes. The Shiny image's build follows shiny.appDir and shiny.dockerfile
// (see PlanImages).
var ImageSpecs = []ImageSpec{
	{Name: ImageShiny, Dockerfile: ShinyDockerfile, Context: shinyBuildDir},
	{Name: ImageLogout, Dockerfile: "docker/logout.Dockerfile", Context: "."},
	{Name: ImageSessionAgent, Dockerfile: "docker/sessionagent.Dockerfile", Context: "."},
}

// ImageBuild is how `make push-image` builds one image for an environment.
type ImageBuild struct {
	ImageSpec
	// Contexts are named build contexts, NAME=DIR.
	Contexts []string
	// Args are build arguments, NAME=VALUE.
	Args []string
}

// DockerArgs are the arguments of `docker build` after the platform and
// tag options: the Dockerfile, the named contexts, the build arguments and
// the context.
func (b ImageBuild) DockerArgs() []string {
	args := []string{"-f", b.Dockerfile}
	for _, c := range b.Contexts {
		args = append(args, "--build-context", c)
	}
	for _, a := range b.Args {
		args = append(args, "--build-arg", a)
	}
	return append(args, b.Context)
}

// Plan is what `make push-image` builds: every image, and the suffix of the
// commit tag that names the app's files.
type Plan struct {
	Builds []ImageBuild
	// CommitTagSuffix follows git-COMMIT in the commit tag: "-app" and 10
	// hex digits of a hash of the app's files that the build sends (and of
	// its own Dockerfile). The project's commit does not name them: the app
	// may live elsewhere, or be untracked.
	CommitTagSuffix string
	// Notes are what the user should know about the build; not errors.
	Notes []string
}

// validateBuild checks the form of shiny.appDir and shiny.dockerfile; that
// they exist is checked where they are used (ShinyApp), so a machine that
// only synthesizes needs no copy of the app.
func (s ShinySettings) validateBuild(p *check.Problems) {
	for _, f := range []struct {
		key, value string
		required   bool
	}{{"appDir", s.AppDir, true}, {"dockerfile", s.Dockerfile, false}} {
		switch {
		case f.value == "" && f.required:
			p.Add(f.key, f.value, "must be a folder: a path relative to this project's folder, or absolute")
		case strings.ContainsFunc(f.value, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			p.Add(f.key, f.value, "must not contain tabs, line breaks or other control characters")
		case strings.HasPrefix(f.value, "~"):
			p.Add(f.key, f.value, "must be relative to this project's folder or absolute: ~ is not expanded")
		}
	}
}

// ShinyApp is the app folder of s, resolved against the project's folder
// root, and checked: it exists, and (built with the project's Dockerfile or
// run by `make local`) holds a Shiny app.
func (s ShinySettings) ShinyApp(root string) (string, error) {
	dir := resolve(root, s.AppDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("shiny.appDir = %q: no such folder (%s)", s.AppDir, dir)
	}
	// The folder itself, not a link to it: what is hashed and sent.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("shiny.appDir = %q: %w", s.AppDir, err)
	}
	if s.Dockerfile == "" {
		if err := CheckShinyApp(dir); err != nil {
			return "", fmt.Errorf("shiny.appDir = %q: %w", s.AppDir, err)
		}
	}
	return dir, nil
}

// CheckShinyApp reports whether dir holds a Shiny app as shiny::runApp
// takes it: app.R, or ui.R and server.R.
func CheckShinyApp(dir string) error {
	has := func(name string) bool {
		st, err := os.Stat(filepath.Join(dir, name))
		return err == nil && st.Mode().IsRegular()
	}
	if has("app.R") || (has("ui.R") && has("server.R")) {
		return nil
	}
	return fmt.Errorf("no Shiny app in %s: it needs app.R, or ui.R and server.R", dir)
}

// resolve makes a configured path absolute against the project's folder.
func resolve(root, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(root, path)
}

// shown is a configured path as push-image passes it to docker: ./ and the
// path relative to the project's folder when it is inside it, absolute
// otherwise; either way never read as an option (-x) or as a remote
// context (github.com/...).
func shown(root, path string) string {
	if rel, ok := inside(root, path); ok {
		if rel == "." {
			return rel
		}
		return "./" + rel
	}
	return path
}

// inside reports whether path lies in root, and its relative path there.
func inside(root, path string) (string, bool) {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// PlanImages plans the images of cfg for the project in folder root: the
// logout server and the sidecar as ImageSpecs says, the Shiny image from
// shiny.appDir with the project's Dockerfile (the app's renv.lock, when it
// has one, choosing R, renv and the packages) or with shiny.dockerfile.
func PlanImages(cfg Config, root string) (Plan, error) {
	var plan Plan
	for _, spec := range ImageSpecs {
		if spec.Name != ImageShiny {
			plan.Builds = append(plan.Builds, ImageBuild{ImageSpec: spec})
			continue
		}
		b, notes, suffix, err := shinyBuild(spec, cfg.Shiny, root)
		if err != nil {
			return Plan{}, err
		}
		plan.Builds, plan.Notes, plan.CommitTagSuffix = append(plan.Builds, b), notes, suffix
	}
	return plan, nil
}

// privateFiles are what R, RStudio, git and rsconnect leave in an app's
// folder that an image must not carry: anyone who may pull the image reads
// it. .Renviron (the R way to keep API keys) is refused; the others are
// pointed out.
var privateFiles = []struct {
	name    string
	refused bool
}{
	{".Renviron", true}, {".Rhistory", false}, {".RData", false}, {".git", false},
	{".Rproj.user", false}, {"rsconnect", false}, {"renv/library", false},
}

// dockerIgnore is the matcher of dir's .dockerignore, which BuildKit
// applies to a named context from a local folder; nil without one.
func dockerIgnore(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return patternmatcher.New(patterns)
}

// ignored reports whether the build leaves out rel (slash-separated, in
// the app's folder).
func ignored(m *patternmatcher.PatternMatcher, rel string) bool {
	if m == nil {
		return false
	}
	ok, err := m.MatchesOrParentMatches(rel)
	return err == nil && ok
}

func shinyBuild(spec ImageSpec, s ShinySettings, root string) (b ImageBuild, notes []string, suffix string, err error) {
	app, err := s.ShinyApp(root)
	if err != nil {
		return ImageBuild{}, nil, "", err
	}
	ignore, err := dockerIgnore(app)
	if err != nil {
		return ImageBuild{}, nil, "", fmt.Errorf("shiny.appDir = %q: %w", s.AppDir, err)
	}
	hashed := []string{app}
	if s.Dockerfile != "" {
		df := resolve(root, s.Dockerfile)
		if st, err := os.Stat(df); err != nil || !st.Mode().IsRegular() {
			return ImageBuild{}, nil, "", fmt.Errorf("shiny.dockerfile = %q: no such file (%s)", s.Dockerfile, df)
		}
		b = ImageBuild{ImageSpec: ImageSpec{Name: spec.Name, Dockerfile: shown(root, df), Context: shown(root, app)}}
		hashed = append(hashed, df)
		// A DOCKERFILE.dockerignore beside it would replace the app's
		// .dockerignore: hash every file, so none sent goes unnamed.
		ignore = nil
	} else {
		if b, notes, err = projectDockerfileBuild(spec, app, ignore, root); err != nil {
			return ImageBuild{}, nil, "", err
		}
	}
	sum, err := contentHash(ignore, hashed...)
	if err != nil {
		return ImageBuild{}, nil, "", fmt.Errorf("shiny.appDir = %q: %w", s.AppDir, err)
	}
	return b, notes, "-app" + sum[:10], nil
}

// projectDockerfileBuild builds app with ShinyDockerfile: the app and the
// folder of the lockfile to restore as named contexts, the lockfile's
// versions as build arguments.
func projectDockerfileBuild(spec ImageSpec, app string, ignore *patternmatcher.PatternMatcher, root string) (ImageBuild, []string, error) {
	var notes, leaked []string
	for _, f := range privateFiles {
		if _, err := os.Lstat(filepath.Join(app, filepath.FromSlash(f.name))); err != nil || ignored(ignore, f.name) {
			continue
		}
		if f.refused {
			return ImageBuild{}, nil, fmt.Errorf("%s/%s would go into the image, where anyone who may pull it reads it: list it in %s/.dockerignore (and give the app its secrets with shiny.secrets)", shown(root, app), f.name, shown(root, app))
		}
		leaked = append(leaked, f.name)
	}
	if len(leaked) > 0 {
		notes = append(notes, fmt.Sprintf("%s: %s would go into the image; list what it does not need in %s/.dockerignore", shown(root, app), strings.Join(leaked, ", "), shown(root, app)))
	}
	lockDir := app
	data, err := os.ReadFile(filepath.Join(app, RenvLockfile))
	if errors.Is(err, fs.ErrNotExist) {
		lockDir = filepath.Join(root, SampleAppDir)
		notes = append(notes, fmt.Sprintf("%s has no %s: the image gets the sample app's R and packages (%s/%s); run renv::snapshot() in your app to install its own", shown(root, app), RenvLockfile, SampleAppDir, RenvLockfile))
		data, err = os.ReadFile(filepath.Join(lockDir, RenvLockfile))
	}
	if err != nil {
		return ImageBuild{}, nil, err
	}
	args, err := LockBuildArgs(data)
	if err != nil {
		return ImageBuild{}, nil, fmt.Errorf("%s/%s: %w", shown(root, lockDir), RenvLockfile, err)
	}
	return ImageBuild{
		ImageSpec: spec,
		Contexts:  []string{ContextApp + "=" + shown(root, app), ContextLock + "=" + shown(root, lockDir)},
		Args:      args,
	}, notes, nil
}

var (
	rVersionRE    = regexp.MustCompile(`^([0-9]+)\.[0-9]+\.[0-9]+$`)
	renvVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	repoURLRE     = regexp.MustCompile(`^https://[^\s"'$\\]+$`)
)

// LockBuildArgs reads an renv.lock and gives the build arguments that make
// ShinyDockerfile match it: the R version (the rocker/shiny tag), renv's
// version (when the lockfile records renv) and the repository renv is
// installed from (the lockfile's first repository).
func LockBuildArgs(lockfile []byte) ([]string, error) {
	var lock struct {
		R struct {
			Version      string
			Repositories []struct{ Name, URL string }
		}
		Packages map[string]struct{ Version, Source string }
	}
	if err := json.Unmarshal(lockfile, &lock); err != nil {
		return nil, fmt.Errorf("not an renv lockfile: %w", err)
	}
	m := rVersionRE.FindStringSubmatch(lock.R.Version)
	switch {
	case m == nil:
		return nil, fmt.Errorf("R.Version = %q: must be an R version such as 4.4.2", lock.R.Version)
	case len(m[1]) != 1 || m[1][0]-'0' < MinRVersion:
		return nil, fmt.Errorf("R.Version = %q: rocker/shiny images start at R %d.0.0; build with your own shiny.dockerfile", lock.R.Version, MinRVersion)
	}
	if len(lock.R.Repositories) == 0 || !repoURLRE.MatchString(lock.R.Repositories[0].URL) {
		return nil, fmt.Errorf("R.Repositories: the first must have an https URL to install renv from, got %+v", lock.R.Repositories)
	}
	args := []string{ArgRVersion + "=" + lock.R.Version}
	if renv, ok := lock.Packages["renv"]; ok {
		switch {
		case !renvVersionRE.MatchString(renv.Version):
			return nil, fmt.Errorf("Packages.renv.Version = %q: must be a version such as 1.1.1", renv.Version)
		case renv.Source != "" && renv.Source != "Repository":
			return nil, fmt.Errorf("Packages.renv.Source = %q: the image installs renv from the lockfile's repository; snapshot with a released renv (install.packages(\"renv\"))", renv.Source)
		}
		args = append(args, ArgRenvVersion+"="+renv.Version)
	}
	return append(args, ArgRenvRepo+"="+lock.R.Repositories[0].URL), nil
}

// contentHash is a SHA-256 over the files under paths (their names, modes
// and contents, or a symlink's target), less what ignore leaves out of the
// build (paths relative to the first path) and .git folders.
func contentHash(ignore *patternmatcher.PatternMatcher, paths ...string) (string, error) {
	h := sha256.New()
	for i, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".git" {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(root, path)
			if i == 0 && rel != "." && ignored(ignore, filepath.ToSlash(rel)) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			// Which path, its name, its kind (what the image keeps of its
			// mode) and its length-prefixed contents: no two trees give
			// the same stream, wherever the folder is.
			kind := "o" // a device, socket or pipe
			switch {
			case d.IsDir():
				kind = "d"
			case d.Type()&fs.ModeSymlink != 0:
				kind = "l"
			case info.Mode().IsRegular() && info.Mode()&0o111 != 0:
				kind = "x"
			case info.Mode().IsRegular():
				kind = "f"
			}
			fmt.Fprintf(h, "%d\x00%s\x00%s\x00", i, filepath.ToSlash(rel), kind)
			switch kind {
			case "l":
				target, err := os.Readlink(path)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%d\x00%s", len(target), target)
			case "f", "x":
				f, err := os.Open(path)
				if err != nil {
					return err
				}
				defer f.Close()
				fmt.Fprintf(h, "%d\x00", info.Size())
				if _, err := io.Copy(h, f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CommitPlaceholder stands for the commit in the commit tag WriteImages
// prints; scripts/push-image.sh replaces it with git-rev-parse's.
const CommitPlaceholder = "COMMIT"

// WriteImages prints the plan for scripts/push-image.sh: one tab-separated
// line per image with its name, the ecr stack output holding its
// repository URL, the tag, the commit tag (CommitTagPrefix,
// CommitPlaceholder, CommitTagSuffix), then the `docker build` arguments
// (DockerArgs). No field is empty (the script's read would drop it). Notes
// go to notes.
func WriteImages(w, notes io.Writer, cfg Config, root string) error {
	plan, err := PlanImages(cfg, root)
	if err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(notes, "note:", n)
	}
	for _, b := range plan.Builds {
		fields := append([]string{b.Name, RepositoryURLOutput(b.Name), cfg.ImageTag, CommitTagPrefix + CommitPlaceholder + plan.CommitTagSuffix}, b.DockerArgs()...)
		if slices.ContainsFunc(fields, func(f string) bool { return strings.ContainsAny(f, "\t\n") }) {
			return fmt.Errorf("image %s: a path holds a tab or line break: %q", b.Name, fields)
		}
		if _, err := fmt.Fprintln(w, strings.Join(fields, "\t")); err != nil {
			return err
		}
	}
	return nil
}
