// Command shiny-cdktf synthesizes the ecr and app stacks for the environment
// named by SHINY_ENV (default dev) from config/ENV.json. `go run . images`
// instead lists the images for scripts/push-image.sh.
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

func main() {
	if err := run(os.Getenv, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(getenv func(string) string, args []string) error {
	// Validate before the app exists, so bad config writes nothing.
	cfg, err := stacks.LoadConfig(stacks.ConfigDir(getenv), getenv(stacks.EnvVarEnvironment))
	if err != nil {
		return err
	}
	switch {
	case len(args) == 1 && args[0] == "images":
		root, err := os.Getwd()
		if err != nil {
			return err
		}
		return stacks.WriteImages(os.Stdout, os.Stderr, cfg, root)
	case len(args) > 0:
		return fmt.Errorf("unknown arguments %q: run with none to synthesize, or with \"images\" to list the images", args)
	}
	// Build the Lambda before the app exists too: a failed build writes nothing.
	assets, err := stacks.BuildAssets(".cache")
	if err != nil {
		return err
	}
	return synth(getenv, cfg, assets)
}

// synth writes cdktf.out. When building the stacks fails after
// validation (a construct refusing its props), it removes what it created,
// so no empty cdktf.out/stacks is left to look like a result.
func synth(getenv func(string) string, cfg stacks.Config, assets stacks.Assets) (err error) {
	const outdir = "cdktf.out" // cdktf's default; CDKTF_OUTDIR overrides it
	dir := outdir
	if d := getenv("CDKTF_OUTDIR"); d != "" {
		dir = d
	}
	_, statErr := os.Stat(dir)
	existed := statErr == nil
	defer jsii.Close()
	defer func() {
		if err != nil && !existed {
			os.RemoveAll(dir)
		}
	}()
	app := cdktf.NewApp(nil)
	if _, _, err := stacks.Build(app, cfg, assets); err != nil {
		return err
	}
	app.Synth()
	return nil
}
