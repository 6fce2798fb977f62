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
	policy, err := lifecyclePolicy(cfg.ImageTag, cfg.KeepImages)
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

// CommitTagPrefix starts the immutable tag `make push-image` gives each
// build besides imageTag: git-COMMIT, the way back to an earlier build.
const CommitTagPrefix = "git-"

// neverExpire is a count no repository reaches: a rule with it expires
// nothing, but holds the images it selects.
const neverExpire = 9999

// lifecyclePolicy expires old builds without ever expiring the image the app
// stack deploys. ECR evaluates rules by priority, and "an image that matches
// the tagging requirements of a higher priority rule cannot be expired by a
// rule with a lower priority" (Amazon ECR User Guide, "Lifecycle policy
// properties"), so rule 1 holds the image tagged imageTag; rule 2 keeps the
// newest keep commit-tagged builds (a rollback sets imageTag to one of
// them); rule 3 keeps the newest keep untagged images (builds whose tags
// moved on). Before, one "any" rule could expire the running image after
// more than keep pushes without a deploy.
func lifecyclePolicy(imageTag string, keep int) (string, error) {
	rule := func(priority int, description string, selection map[string]any) map[string]any {
		return map[string]any{"rulePriority": priority, "description": description, "selection": selection, "action": map[string]any{"type": "expire"}}
	}
	policy := map[string]any{"rules": []map[string]any{
		rule(1, fmt.Sprintf("Never expire the deployed tag %s", imageTag), map[string]any{
			"tagStatus": "tagged", "tagPrefixList": []string{imageTag}, "countType": "imageCountMoreThan", "countNumber": neverExpire,
		}),
		rule(2, fmt.Sprintf("Keep the newest %d commit builds (%sCOMMIT tags)", keep, CommitTagPrefix), map[string]any{
			"tagStatus": "tagged", "tagPrefixList": []string{CommitTagPrefix}, "countType": "imageCountMoreThan", "countNumber": keep,
		}),
		rule(3, fmt.Sprintf("Keep the newest %d untagged images", keep), map[string]any{
			"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": keep,
		}),
	}}
	b, err := json.Marshal(policy)
	return string(b), err
}
