// Package golambda creates a Go Lambda (provided.al2023, arm64) the way
// every Lambda of the project is created: its own log group, a role that
// may write there and do what the caller's statements allow, the function
// from a lambdabuild zip, created after its log group and policy.
package golambda

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdafunction"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/iamdoc"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
)

// IDs are the construct ids of the created resources: each caller keeps its
// own, since renaming an id replaces the resource.
type IDs struct {
	LogGroup, AssumeRole, Role, PolicyDocument, Policy, Code, Function string
}

// Props describe the Lambda.
type Props struct {
	// Name of the function, its role and its log group (/aws/lambda/NAME). Required.
	Name string
	// Description of the function and RoleDescription of its role.
	Description, RoleDescription string
	// Package is the built zip (lambdabuild.Build). Required.
	Package lambdabuild.Package
	// Environment of the function. Default: none.
	Environment map[string]*string
	// Statements are what the function may do besides writing its own logs
	// (always added, last). Default: only that.
	Statements []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement
	// PolicyName names the role's inline policy. Required.
	PolicyName string
	// TimeoutSeconds of one invocation. Required.
	TimeoutSeconds int
	// LogRetentionDays of the log group. Required.
	LogRetentionDays int
}

// Lambda is what New created.
type Lambda struct {
	LogGroup cloudwatchloggroup.CloudwatchLogGroup
	Role     iamrole.IamRole
	Policy   iamrolepolicy.IamRolePolicy
	Function lambdafunction.LambdaFunction
}

// New creates the Lambda under scope with the given ids.
func New(scope constructs.Construct, ids IDs, p Props) *Lambda {
	l := &Lambda{}
	l.LogGroup = cloudwatchloggroup.NewCloudwatchLogGroup(scope, jsii.String(ids.LogGroup), &cloudwatchloggroup.CloudwatchLogGroupConfig{
		Name:            jsii.String("/aws/lambda/" + p.Name),
		RetentionInDays: jsii.Number(float64(p.LogRetentionDays)),
	})
	assume := iamdoc.AssumeRole(scope, ids.AssumeRole, "lambda.amazonaws.com")
	l.Role = iamrole.NewIamRole(scope, jsii.String(ids.Role), &iamrole.IamRoleConfig{
		Name:             jsii.String(p.Name),
		Description:      jsii.String(p.RoleDescription),
		AssumeRolePolicy: assume.Json(),
	})
	statements := append(append([]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{}, p.Statements...),
		&dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			Sid:       jsii.String("WriteOwnLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: jsii.Strings(*l.LogGroup.Arn() + ":log-stream:*"),
		})
	doc := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(scope, jsii.String(ids.PolicyDocument), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: statements,
	})
	l.Policy = iamrolepolicy.NewIamRolePolicy(scope, jsii.String(ids.Policy), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String(p.PolicyName), Role: l.Role.Id(), Policy: doc.Json(),
	})
	asset := cdktf.NewTerraformAsset(scope, jsii.String(ids.Code), &cdktf.TerraformAssetConfig{
		Path: jsii.String(p.Package.ZipPath), Type: cdktf.AssetType_FILE,
	})
	var env *lambdafunction.LambdaFunctionEnvironment
	if len(p.Environment) > 0 {
		env = &lambdafunction.LambdaFunctionEnvironment{Variables: &p.Environment}
	}
	l.Function = lambdafunction.NewLambdaFunction(scope, jsii.String(ids.Function), &lambdafunction.LambdaFunctionConfig{
		FunctionName:   jsii.String(p.Name),
		Description:    jsii.String(p.Description),
		Role:           l.Role.Arn(),
		Runtime:        jsii.String("provided.al2023"),
		Architectures:  jsii.Strings("arm64"),
		Handler:        jsii.String("bootstrap"),
		Filename:       asset.Path(),
		SourceCodeHash: jsii.String(p.Package.SHA256),
		MemorySize:     jsii.Number(128),
		Timeout:        jsii.Number(float64(p.TimeoutSeconds)),
		Environment:    env,
		DependsOn:      &[]cdktf.ITerraformDependable{l.LogGroup, l.Policy},
	})
	return l
}
