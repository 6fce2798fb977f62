package stacks

import (
	"fmt"
	"io"
)

// Image names: the repositories the notes name, and the session sidecar's.
const (
	ImageShiny        = "shiny-repository"
	ImageLogout       = "logout-server"
	ImageSessionAgent = "session-agent"
)

// ImageSpec is one image: its repository and how `make push-image` builds it.
type ImageSpec struct {
	// Name is the repository name after the prefix, e.g. shiny-repository.
	Name string
	// Dockerfile and Context are the docker build arguments, relative to the project.
	Dockerfile string
	Context    string
}

// ImageSpecs lists every image the ecr stack holds and `make push-image` pushes.
var ImageSpecs = []ImageSpec{
	{Name: ImageShiny, Dockerfile: "docker/shiny/Dockerfile", Context: "docker/shiny"},
	{Name: ImageLogout, Dockerfile: "docker/logout.Dockerfile", Context: "."},
	{Name: ImageSessionAgent, Dockerfile: "docker/sessionagent.Dockerfile", Context: "."},
}

// WriteImages prints one tab-separated line per image for scripts/push-image.sh:
// name, ecr stack output with its repository URL, Dockerfile, build context,
// tag, and the prefix of the commit tag each build also gets.
func WriteImages(w io.Writer, cfg Config) error {
	for _, img := range ImageSpecs {
		if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", img.Name, RepositoryURLOutput(img.Name), img.Dockerfile, img.Context, cfg.ImageTag, CommitTagPrefix); err != nil {
			return err
		}
	}
	return nil
}
