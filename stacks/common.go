package stacks

import (
	"maps"
	"path"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// Stack names: `cdktf deploy ecr`, then `cdktf deploy app`.
const (
	StackECR = "ecr"
	StackApp = "app"
)

// AWSProviderVersion is the provider range both stacks require. The prebuilt
// bindings pin 5.88.0 exactly; any later 5.x provider works with them.
const AWSProviderVersion = "~> 5.88"

// newStack creates a stack with the AWS provider (region, default tags) and
// the configured state backend.
func newStack(scope constructs.Construct, id string, cfg Config) cdktf.TerraformStack {
	stack := cdktf.NewTerraformStack(scope, jsii.String(id))
	tags := map[string]*string{
		"Project":     jsii.String(cfg.NamePrefix),
		"Environment": jsii.String(cfg.Environment),
		"ManagedBy":   jsii.String("cdktf"),
	}
	for k, v := range maps.All(cfg.Tags) {
		tags[k] = jsii.String(v)
	}
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{
		Region:      jsii.String(cfg.Region),
		DefaultTags: []*provider.AwsProviderDefaultTags{{Tags: &tags}},
	})
	stack.AddOverride(jsii.String("terraform.required_providers.aws.version"), jsii.String(AWSProviderVersion))

	switch cfg.Backend.Type {
	case BackendS3:
		conf := &cdktf.S3BackendConfig{
			Bucket:  jsii.String(cfg.Backend.Bucket),
			Key:     jsii.String(path.Join(cfg.Backend.KeyPrefix, cfg.Environment, id+".tfstate")),
			Region:  jsii.String(cfg.Backend.Region),
			Encrypt: jsii.Bool(true),
		}
		if cfg.Backend.DynamoDBTable != "" {
			conf.DynamodbTable = jsii.String(cfg.Backend.DynamoDBTable)
		}
		cdktf.NewS3Backend(stack, conf)
		if cfg.Backend.DynamoDBTable == "" {
			// S3-native locking (Terraform >= 1.10); the 0.20 bindings do not model it.
			stack.AddOverride(jsii.String("terraform.backend.s3.use_lockfile"), jsii.Bool(true))
		}
	default:
		// Terraform runs in cdktf.out/stacks/ID: keep state in the project
		// folder, by a relative path, so synthesized files hold no machine paths.
		cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{
			Path: jsii.String(LocalStatePath(cfg.Environment, id)),
		})
	}
	return stack
}

// LocalStatePath is the local backend's state path, relative to the stack's
// folder cdktf.out/stacks/ID (three levels below the project).
func LocalStatePath(env, stack string) string {
	return "../../../terraform." + env + "." + stack + ".tfstate"
}
