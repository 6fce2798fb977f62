package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// pushImageDryRun runs the real `make push-image DRY_RUN=1` on the deployed
// ecr stack's outputs and checks what it would do against the registry:
// each image goes to its deployed repository (as ECR lists it, not as the
// outputs say) with the configured tag, and the Shiny image is built from
// the environment's app. Docker cannot run here, so pushImages then puts
// the manifests the pushes would leave.
func (r *rehearsal) pushImageDryRun(ctx context.Context, cl clients, cfg stacks.Config) error {
	outputs, err := r.terraform(ctx, stacks.StackECR, "output", "-json")
	if err != nil {
		return err
	}
	path := filepath.Join(r.work, "ecr-outputs.json")
	if err := os.WriteFile(path, []byte(outputs), 0o600); err != nil {
		return err
	}
	printed, err := r.cmdEnv(ctx, append(slices.Clone(r.env), "DRY_RUN=1", "ECR_OUTPUTS_JSON="+path), r.root, "bash", filepath.Join("scripts", "push-image.sh"))
	if err != nil {
		return err
	}
	plan, err := stacks.PlanImages(cfg, r.root)
	if err != nil {
		return err
	}
	// The printed docker commands as a shell reads them: the script quotes
	// each word for the shell.
	var lines []string
	for _, l := range strings.Split(printed, "\n") {
		if !strings.HasPrefix(l, "docker ") {
			continue // the login pipeline, notes
		}
		words, err := r.cmd(ctx, r.root, "bash", "-c", `eval "set -- $1"; printf '%s\037' "$@"`, "_", l)
		if err != nil {
			return err
		}
		lines = append(lines, strings.Join(strings.Split(strings.TrimSuffix(words, "\037"), "\037"), " "))
	}
	c := &checker{out: r.out}
	for _, b := range plan.Builds {
		repo, err := cl.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{cfg.RepositoryName(b.Name)}})
		if !c.must(err, "describe repository "+cfg.RepositoryName(b.Name)) || len(repo.Repositories) != 1 {
			continue
		}
		uri := aws.ToString(repo.Repositories[0].RepositoryUri)
		build := fmt.Sprintf("docker build --platform linux/amd64 --provenance=false -t %s:%s %s", b.Name, cfg.ImageTag, strings.Join(b.DockerArgs(), " "))
		c.expect(slices.Contains(lines, build), "push-image builds %s with %s", b.Name, strings.Join(b.DockerArgs(), " "))
		c.expect(slices.Contains(lines, "docker push "+uri+":"+cfg.ImageTag), "push-image pushes %s:%s to its deployed repository %s", b.Name, cfg.ImageTag, uri)
		c.expect(slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "docker push "+uri+":"+stacks.CommitTagPrefix) && strings.HasSuffix(l, plan.CommitTagSuffix)
		}), "push-image also pushes %s with its commit tag %s", b.Name, stacks.CommitTagPrefix+stacks.CommitPlaceholder+plan.CommitTagSuffix)
	}
	return errors.Join(c.errs...)
}
