package stacks

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// AppStack holds everything that runs the app: ALB, Cognito, ECS services,
// logs and autoscaling. It is deployed after the images are pushed.
type AppStack struct {
	Stack cdktf.TerraformStack
}

// NewAppStack builds the app stack for cfg.
func NewAppStack(scope constructs.Construct, cfg Config) (*AppStack, error) {
	return &AppStack{Stack: newStack(scope, StackApp, cfg)}, nil
}
