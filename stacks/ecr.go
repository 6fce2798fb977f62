package stacks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecrlifecyclepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecrrepository"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// RepositoryName is the ECR repository of image in this environment, e.g.
// shiny-dev/shiny-repository.
func (c Config) RepositoryName(image string) string {
	return c.NamePrefix + "/" + image
}

// RepositoryURLOutput is the ecr stack output holding image's repository
// URL, e.g. repository_url_logout_server.
func RepositoryURLOutput(image string) string {
	return "repository_url_" + strings.ReplaceAll(image, "-", "_")
}

// ECRStack holds the image repositories. It is deployed first, so images can
// be pushed before the app stack needs them.
type ECRStack struct {
	Stack        cdktf.TerraformStack
	Repositories map[string]ecrrepository.EcrRepository
	Lifecycles   map[string]ecrlifecyclepolicy.EcrLifecyclePolicy
}

// NewECRStack builds the ecr stack for cfg.
func NewECRStack(scope constructs.Construct, cfg Config) (*ECRStack, error) {
	policy, err := lifecyclePolicy(cfg.KeepImages)
	if err != nil {
		return nil, err
	}
	s := &ECRStack{
		Stack:        newStack(scope, StackECR, cfg),
		Repositories: map[string]ecrrepository.EcrRepository{},
		Lifecycles:   map[string]ecrlifecyclepolicy.EcrLifecyclePolicy{},
	}
	for _, spec := range ImageSpecs {
		image := spec.Name
		repo := ecrrepository.NewEcrRepository(s.Stack, jsii.String(image), &ecrrepository.EcrRepositoryConfig{
			Name: jsii.String(cfg.RepositoryName(image)),
			// Tags move (`latest` by default), but the app stack deploys the
			// digest a tag points to at plan time, so a deploy is exact.
			ImageTagMutability:         jsii.String("MUTABLE"),
			ImageScanningConfiguration: &ecrrepository.EcrRepositoryImageScanningConfiguration{ScanOnPush: jsii.Bool(true)},
			EncryptionConfiguration:    &[]*ecrrepository.EcrRepositoryEncryptionConfiguration{{EncryptionType: jsii.String("AES256")}},
			ForceDelete:                jsii.Bool(cfg.ECRForceDelete),
		})
		s.Repositories[image] = repo
		s.Lifecycles[image] = ecrlifecyclepolicy.NewEcrLifecyclePolicy(s.Stack, jsii.String(image+"-lifecycle"), &ecrlifecyclepolicy.EcrLifecyclePolicyConfig{
			Repository: repo.Name(),
			Policy:     jsii.String(policy),
		})
		output(s.Stack, RepositoryURLOutput(image), fmt.Sprintf("URL of the %s repository (docker push target)", image), repo.RepositoryUrl())
	}
	return s, nil
}

// lifecyclePolicy keeps the newest keep images of any tag state.
func lifecyclePolicy(keep int) (string, error) {
	policy := map[string]any{
		"rules": []map[string]any{{
			"rulePriority": 1,
			"description":  fmt.Sprintf("Keep the newest %d images", keep),
			"selection": map[string]any{
				"tagStatus":   "any",
				"countType":   "imageCountMoreThan",
				"countNumber": keep,
			},
			"action": map[string]any{"type": "expire"},
		}},
	}
	b, err := json.Marshal(policy)
	return string(b), err
}
