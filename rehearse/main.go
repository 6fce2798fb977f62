// Command rehearse deploys the real stacks to a local AWS API (moto) in the
// order a user deploys them, checks what the notes require through the AWS
// APIs, re-plans (the plan must be empty) and destroys everything. Nothing
// touches an AWS account.
//
//	make rehearse                    # the environment named by SHINY_ENV (default dev)
//	go run ./rehearse -skip-push     # show the missing-image failure instead
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	skipPush := flag.Bool("skip-push", false, "do not push images: the app deploy must fail at plan with the missing-image message")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, Options{Root: ".", SkipPush: *skipPush}); err != nil {
		fmt.Fprintln(os.Stderr, "rehearsal failed:", err)
		os.Exit(1)
	}
}

// Options of one rehearsal.
type Options struct {
	// Root is the project folder.
	Root string
	// SkipPush leaves the repositories empty, so the app deploy must fail.
	SkipPush bool
}

// Report is what a rehearsal did.
type Report struct {
	// Resources deployed per stack, read from the Terraform state.
	Resources map[string]int
	// AppDeployError is the app deploy's output when SkipPush made it fail.
	AppDeployError string
}

func run(ctx context.Context, getenv func(string) string, out io.Writer, opts Options) error {
	_, err := rehearse(ctx, getenv, out, opts)
	return err
}
