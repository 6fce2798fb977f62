// Package shinyservice is an ECS Fargate service behind an ALB target group:
// task definition, service, target group, security group, log group and
// roles. The app stack uses it twice: for the Shiny app and the logout server.
package shinyservice

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecsservice"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecstaskdefinition"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lbtargetgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
	"github.com/shinyfargate/shiny-cdktf/internal/iamdoc"
)

// Container is one container of the task.
type Container struct {
	// Name of the container, e.g. "shiny". Required.
	Name string
	// Image is the image reference, preferably REPOSITORY@sha256:DIGEST. Required.
	Image string
	// Port is the TCP port the container listens on; 0 for none.
	Port int
	// Environment variables of the container. Default: none.
	Environment map[string]string
	// Secrets are environment variables ECS reads at start (name →
	// valueFrom: a Secrets Manager or SSM ARN, see Secret.ValueFrom). The
	// execution role must be granted them (GrantExecution). Default: none.
	Secrets map[string]string
	// DependsOnHealthy names containers that must be HEALTHY before this one starts. Default: none.
	DependsOnHealthy []string
	// HealthCheck is the container health check command (CMD form). Default: none.
	HealthCheck []string
	// HealthCheckStartPeriod is how long failed checks do not count after
	// start (ECS allows up to 300s). Default: 30s.
	HealthCheckStartPeriod time.Duration
	// Optional marks the container as not essential (its exit does not stop the task). Default: false (essential).
	Optional bool
}

// Props configure a ShinyService. Tokens (from other resources) are fine in
// string fields.
type Props struct {
	// Name is the service's short name, e.g. "shiny"; resources are named NAMEPREFIX-NAME. Required.
	Name string
	// NamePrefix starts every resource name. Required.
	NamePrefix string
	// Region of the log group, for the awslogs driver. Required.
	Region string
	// ClusterARN is the ECS cluster. Required.
	ClusterARN string
	// VpcID is the VPC of the target group and security group. Required.
	VpcID string
	// SubnetIDs are the task subnets. Required.
	SubnetIDs []string
	// AssignPublicIP gives tasks a public IP (needed in public subnets without
	// NAT, such as the default VPC's, to pull images). Default: false.
	AssignPublicIP bool
	// ALBSecurityGroupID is the only source allowed to reach the tasks. Required.
	ALBSecurityGroupID string
	// Containers of the task; the first one with TargetContainer's name receives ALB traffic. Required.
	Containers []Container
	// TargetContainer is the container the target group forwards to, on its Port. Required.
	TargetContainer string
	// ImageRepositoryARNs are the ECR repositories the execution role may pull from. Required.
	ImageRepositoryARNs []string
	// Size is the task's Fargate CPU and memory and its initial count. Required.
	Size
	// HealthCheckPath of the target group. Default: "/".
	HealthCheckPath string
	// HealthCheckMatcher is the HTTP codes counted healthy. Default: "200".
	HealthCheckMatcher string
	// HealthCheckGracePeriod before failing health checks stop a new task. Default: 60s.
	HealthCheckGracePeriod time.Duration
	// DeregistrationDelay lets in-flight requests finish when a task leaves. Default: 30s.
	DeregistrationDelay time.Duration
	// RoutingAlgorithm is how the target group picks a target for a new
	// request (a new websocket): AlgorithmRoundRobin or
	// AlgorithmLeastOutstandingRequests. Default: AlgorithmRoundRobin.
	RoutingAlgorithm string
	// StickinessDuration turns on ALB-generated cookie (lb_cookie) stickiness for that long. Default: 0, off.
	StickinessDuration time.Duration
	// LogRetentionDays of the service's log group. Default: cwlogs.DefaultRetentionDays.
	LogRetentionDays int
	// EnableExec turns on ECS Exec (aws ecs execute-command: a shell in a
	// running container) and lets the task role open its SSM channels.
	// Default: false, no shell.
	EnableExec bool
}

// ShinyService is what NewShinyService created.
type ShinyService struct {
	TaskDefinition  ecstaskdefinition.EcsTaskDefinition
	Service         ecsservice.EcsService
	TargetGroup     lbtargetgroup.LbTargetGroup
	SecurityGroup   securitygroup.SecurityGroup
	LogGroup        cloudwatchloggroup.CloudwatchLogGroup
	ExecutionRole   iamrole.IamRole
	ExecutionPolicy iamrolepolicy.IamRolePolicy
	// TaskRole has no permissions of its own; GrantTask adds what the
	// containers call (e.g. sessionscaling's AgentPolicy).
	TaskRole iamrole.IamRole
	// ExecPolicy lets the task role open ECS Exec's SSM channels; nil unless EnableExec.
	ExecPolicy iamrolepolicy.IamRolePolicy

	port int
	name string
}

func (p *Props) defaults() {
	if p.HealthCheckPath == "" {
		p.HealthCheckPath = "/"
	}
	if p.HealthCheckMatcher == "" {
		p.HealthCheckMatcher = "200"
	}
	if p.HealthCheckGracePeriod == 0 {
		p.HealthCheckGracePeriod = 60 * time.Second
	}
	if p.DeregistrationDelay == 0 {
		p.DeregistrationDelay = 30 * time.Second
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = cwlogs.DefaultRetentionDays
	}
}

// NewShinyService creates the service under a construct named id.
func NewShinyService(scope constructs.Construct, id string, props Props) (*ShinyService, error) {
	props.defaults()
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("shinyservice %q: %w", id, err)
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	name := props.FullName()
	s := &ShinyService{port: props.container(props.TargetContainer).Port, name: name}

	s.LogGroup = cloudwatchloggroup.NewCloudwatchLogGroup(ns, jsii.String("LogGroup"), &cloudwatchloggroup.CloudwatchLogGroupConfig{
		Name:            jsii.String("/ecs/" + name),
		RetentionInDays: jsii.Number(float64(props.LogRetentionDays)),
	})

	assume := iamdoc.AssumeRole(ns, "AssumeByECSTasks", "ecs-tasks.amazonaws.com")
	s.ExecutionRole = iamrole.NewIamRole(ns, jsii.String("ExecutionRole"), &iamrole.IamRoleConfig{
		Name:             jsii.String(name + "-execution"),
		Description:      jsii.String("ECS pulls " + name + " images and writes its logs"),
		AssumeRolePolicy: assume.Json(),
	})
	// Least privilege instead of the managed AmazonECSTaskExecutionRolePolicy:
	// pull from these repositories only, write to this log group only.
	execPolicy := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(ns, jsii.String("ExecutionPolicyDocument"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			{
				Sid:       jsii.String("EcrLogin"),
				Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
				Resources: jsii.Strings("*"), // GetAuthorizationToken has no resource type
			},
			{
				Sid:       jsii.String("PullImages"),
				Actions:   jsii.Strings("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
				Resources: jsii.Strings(props.ImageRepositoryARNs...),
			},
			{
				Sid:       jsii.String("WriteLogs"),
				Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
				Resources: jsii.Strings(*s.LogGroup.Arn() + ":log-stream:*"),
			},
		},
	})
	s.ExecutionPolicy = iamrolepolicy.NewIamRolePolicy(ns, jsii.String("ExecutionPolicy"), &iamrolepolicy.IamRolePolicyConfig{
		Name:   jsii.String("pull-images-write-logs"),
		Role:   s.ExecutionRole.Id(),
		Policy: execPolicy.Json(),
	})
	s.TaskRole = iamrole.NewIamRole(ns, jsii.String("TaskRole"), &iamrole.IamRoleConfig{
		Name:             jsii.String(name + "-task"),
		Description:      jsii.String("What the " + name + " containers may call"),
		AssumeRolePolicy: assume.Json(),
	})

	target := props.container(props.TargetContainer)
	s.SecurityGroup = securitygroup.NewSecurityGroup(ns, jsii.String("SecurityGroup"), &securitygroup.SecurityGroupConfig{
		// A prefix, not a name: a replacement is created before the old group goes.
		NamePrefix:  jsii.String(name + "-tasks-"),
		Description: jsii.String("Tasks of " + name + ": reachable from the ALB only"),
		VpcId:       jsii.String(props.VpcID),
		Ingress: []*securitygroup.SecurityGroupIngress{{
			Description:    jsii.String("From the ALB to the container port"),
			Protocol:       jsii.String("tcp"),
			FromPort:       jsii.Number(float64(target.Port)),
			ToPort:         jsii.Number(float64(target.Port)),
			SecurityGroups: jsii.Strings(props.ALBSecurityGroupID),
		}},
		Egress: []*securitygroup.SecurityGroupEgress{{
			Description: jsii.String("HTTPS to AWS APIs (ECR, CloudWatch Logs, DynamoDB)"),
			Protocol:    jsii.String("tcp"),
			FromPort:    jsii.Number(443),
			ToPort:      jsii.Number(443),
			CidrBlocks:  jsii.Strings("0.0.0.0/0"),
		}},
		RevokeRulesOnDelete: jsii.Bool(true),
		Lifecycle:           &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
	})

	tg := &lbtargetgroup.LbTargetGroupConfig{
		// A prefix (AWS allows 6 characters), not a name, and created before
		// the old group goes: a change that replaces the group (a new VPC, a
		// new port) would otherwise delete a group the listener still uses
		// (ResourceInUse) or collide with its name. Tags say which
		// environment a group belongs to.
		NamePrefix:                 jsii.String(targetGroupNamePrefix(props.Name)),
		LoadBalancingAlgorithmType: jsii.String(props.loadBalancingAlgorithm()),
		Lifecycle:                  &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
		TargetType:                 jsii.String("ip"),
		Protocol:                   jsii.String("HTTP"),
		Port:                       jsii.Number(float64(target.Port)),
		VpcId:                      jsii.String(props.VpcID),
		DeregistrationDelay:        jsii.String(fmt.Sprint(int(props.DeregistrationDelay.Seconds()))),
		HealthCheck: &lbtargetgroup.LbTargetGroupHealthCheck{
			Enabled:            jsii.Bool(true),
			Path:               jsii.String(props.HealthCheckPath),
			Matcher:            jsii.String(props.HealthCheckMatcher),
			Protocol:           jsii.String("HTTP"),
			Interval:           jsii.Number(15),
			Timeout:            jsii.Number(5),
			HealthyThreshold:   jsii.Number(2),
			UnhealthyThreshold: jsii.Number(3),
		},
	}
	if props.StickinessDuration > 0 {
		tg.Stickiness = &lbtargetgroup.LbTargetGroupStickiness{
			Enabled:        jsii.Bool(true),
			Type:           jsii.String("lb_cookie"),
			CookieDuration: jsii.Number(props.StickinessDuration.Seconds()),
		}
	}
	s.TargetGroup = lbtargetgroup.NewLbTargetGroup(ns, jsii.String("TargetGroup"), tg)

	defs, err := props.containerDefinitions(*s.LogGroup.Name())
	if err != nil {
		return nil, fmt.Errorf("shinyservice %q: %w", id, err)
	}
	s.TaskDefinition = ecstaskdefinition.NewEcsTaskDefinition(ns, jsii.String("TaskDefinition"), &ecstaskdefinition.EcsTaskDefinitionConfig{
		Family:                  jsii.String(name),
		RequiresCompatibilities: jsii.Strings("FARGATE"),
		NetworkMode:             jsii.String("awsvpc"),
		Cpu:                     jsii.String(fmt.Sprint(props.CPU)),
		Memory:                  jsii.String(fmt.Sprint(props.MemoryMiB)),
		ExecutionRoleArn:        s.ExecutionRole.Arn(),
		TaskRoleArn:             s.TaskRole.Arn(),
		ContainerDefinitions:    jsii.String(defs),
		RuntimePlatform: &ecstaskdefinition.EcsTaskDefinitionRuntimePlatform{
			OperatingSystemFamily: jsii.String("LINUX"),
			CpuArchitecture:       jsii.String("X86_64"),
		},
	})

	s.Service = ecsservice.NewEcsService(ns, jsii.String("Service"), &ecsservice.EcsServiceConfig{
		Name:                          jsii.String(name),
		Cluster:                       jsii.String(props.ClusterARN),
		TaskDefinition:                s.TaskDefinition.Arn(),
		LaunchType:                    jsii.String("FARGATE"),
		PlatformVersion:               jsii.String("LATEST"),
		DesiredCount:                  jsii.Number(float64(props.DesiredCount)),
		HealthCheckGracePeriodSeconds: jsii.Number(props.HealthCheckGracePeriod.Seconds()),
		PropagateTags:                 jsii.String("SERVICE"),
		DeploymentCircuitBreaker: &ecsservice.EcsServiceDeploymentCircuitBreaker{
			Enable: jsii.Bool(true), Rollback: jsii.Bool(true),
		},
		DeploymentMinimumHealthyPercent: jsii.Number(100),
		DeploymentMaximumPercent:        jsii.Number(200),
		NetworkConfiguration: &ecsservice.EcsServiceNetworkConfiguration{
			Subnets:        jsii.Strings(props.SubnetIDs...),
			SecurityGroups: jsii.Strings(*s.SecurityGroup.Id()),
			AssignPublicIp: jsii.Bool(props.AssignPublicIP),
		},
		EnableExecuteCommand: enableExec(props.EnableExec),
		LoadBalancer: []*ecsservice.EcsServiceLoadBalancer{{
			TargetGroupArn: s.TargetGroup.Arn(),
			ContainerName:  jsii.String(target.Name),
			ContainerPort:  jsii.Number(float64(target.Port)),
		}},
		// Its tasks need the execution role's policy from the first image pull.
		DependsOn: &[]cdktf.ITerraformDependable{s.ExecutionPolicy},
	})
	if props.EnableExec {
		s.ExecPolicy = s.GrantTask(ns, "ExecPolicy", "ecs-exec", ExecChannelsPolicy(ns, "ExecPolicyDocument"))
	}
	return s, nil
}

// enableExec is enable_execute_command: set only when on, so services
// without ECS Exec synthesize as before (the provider's default is off).
func enableExec(on bool) *bool {
	if !on {
		return nil
	}
	return jsii.Bool(true)
}

// ExecChannels are the SSM Session Manager channel actions the ECS Exec
// agent in a task calls; they have no resource type.
var ExecChannels = []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}

// ExecChannelsPolicy lets a task's ECS Exec agent open its SSM channels.
func ExecChannelsPolicy(scope constructs.Construct, id string) dataawsiampolicydocument.DataAwsIamPolicyDocument {
	return dataawsiampolicydocument.NewDataAwsIamPolicyDocument(scope, jsii.String(id), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{{
			Sid:       jsii.String("EcsExecChannels"),
			Actions:   jsii.Strings(ExecChannels...),
			Resources: jsii.Strings("*"), // ssmmessages has no resource type
		}},
	})
}

// FullName is NamePrefix-Name: the name of the ECS service, the task
// definition family and the prefix of the roles and log group.
func (p Props) FullName() string { return p.NamePrefix + "-" + p.Name }

// targetGroupNamePrefix is the service name cut to the 6 characters AWS
// allows a target group name prefix.
func targetGroupNamePrefix(name string) string { return name[:min(len(name), 6)] }

// Target group routing algorithms.
const (
	AlgorithmRoundRobin               = "round_robin"
	AlgorithmLeastOutstandingRequests = "least_outstanding_requests"
)

func (p Props) loadBalancingAlgorithm() string {
	if p.RoutingAlgorithm == "" {
		return AlgorithmRoundRobin
	}
	return p.RoutingAlgorithm
}

// Name is the ECS service's name as a plain string (Props.FullName): a
// policy the service depends on (GrantTask) names the service with it, where
// a reference to Service.Name would make a dependency cycle.
func (s *ShinyService) Name() string { return s.name }

// Port is the port the target group sends traffic to.
func (s *ShinyService) Port() int { return s.port }

// DependOn creates the service only after deps (e.g. the listener its target
// group is behind: ECS registers targets only then).
func (s *ShinyService) DependOn(deps ...cdktf.TerraformResource) {
	list := []*string{}
	if cur := s.Service.DependsOn(); cur != nil {
		list = append(list, *cur...)
	}
	for _, d := range deps {
		// The address Terraform's depends_on takes (what cdktf writes for
		// a DependsOn given at construction).
		list = append(list, jsii.String(*d.TerraformResourceType()+"."+*d.FriendlyUniqueId()))
	}
	s.Service.SetDependsOn(&list)
}

// GrantTask lets the task's containers do what doc allows: an inline policy
// named name on the task role, created under scope as id (the grantee's
// construct). The service starts only once the policy exists, so the
// containers have it from their first call to their task's last.
func (s *ShinyService) GrantTask(scope constructs.Construct, id, name string, doc dataawsiampolicydocument.DataAwsIamPolicyDocument) iamrolepolicy.IamRolePolicy {
	policy := iamrolepolicy.NewIamRolePolicy(scope, jsii.String(id), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String(name), Role: s.TaskRole.Name(), Policy: doc.Json(),
	})
	s.DependOn(policy)
	return policy
}

// GrantExecution lets ECS do what doc allows while it starts the task
// (e.g. read the containers' secrets: AppSettings.ReadSecretsPolicy): an
// inline policy named name on the execution role, created under scope as
// id. The service starts only once the policy exists.
func (s *ShinyService) GrantExecution(scope constructs.Construct, id, name string, doc dataawsiampolicydocument.DataAwsIamPolicyDocument) iamrolepolicy.IamRolePolicy {
	policy := iamrolepolicy.NewIamRolePolicy(scope, jsii.String(id), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String(name), Role: s.ExecutionRole.Name(), Policy: doc.Json(),
	})
	s.DependOn(policy)
	return policy
}

// HandCountToAutoscaling makes Terraform ignore later changes of the desired
// count, which autoscaling owns from now on. Without it every deploy would
// reset the count to DesiredCount; with it on a service nothing scales, a
// changed DesiredCount would never apply.
func (s *ShinyService) HandCountToAutoscaling() {
	s.Service.SetLifecycle(&cdktf.TerraformResourceLifecycle{IgnoreChanges: jsii.Strings("desired_count")})
}

// containerDefinitions renders the task's containers as ECS JSON, with
// deterministic order (map keys sorted by encoding/json, environment sorted).
func (p Props) containerDefinitions(logGroup string) (string, error) {
	type kv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	var defs []map[string]any
	for _, c := range p.Containers {
		env := []kv{}
		for _, k := range slices.Sorted(maps.Keys(c.Environment)) {
			env = append(env, kv{k, c.Environment[k]})
		}
		d := map[string]any{
			"name":        c.Name,
			"image":       c.Image,
			"essential":   !c.Optional,
			"environment": env,
			"logConfiguration": map[string]any{
				"logDriver": "awslogs",
				"options": map[string]string{
					"awslogs-group":         logGroup,
					"awslogs-region":        p.Region,
					"awslogs-stream-prefix": c.Name,
				},
			},
		}
		if len(c.Secrets) > 0 {
			var secrets []map[string]string
			for _, k := range slices.Sorted(maps.Keys(c.Secrets)) {
				secrets = append(secrets, map[string]string{"name": k, "valueFrom": c.Secrets[k]})
			}
			d["secrets"] = secrets
		}
		if c.Port > 0 {
			d["portMappings"] = []map[string]any{{"containerPort": c.Port, "protocol": "tcp"}}
		}
		if len(c.HealthCheck) > 0 {
			d["healthCheck"] = map[string]any{
				"command": c.HealthCheck, "interval": 15, "timeout": 5, "retries": 3, "startPeriod": int(c.startPeriod().Seconds()),
			}
		}
		if len(c.DependsOnHealthy) > 0 {
			var deps []map[string]string
			for _, n := range c.DependsOnHealthy {
				deps = append(deps, map[string]string{"containerName": n, "condition": "HEALTHY"})
			}
			d["dependsOn"] = deps
		}
		defs = append(defs, d)
	}
	b, err := json.Marshal(defs)
	return string(b), err
}

func (c Container) startPeriod() time.Duration {
	if c.HealthCheckStartPeriod == 0 {
		return 30 * time.Second
	}
	return c.HealthCheckStartPeriod
}

func (p Props) container(name string) Container {
	for _, c := range p.Containers {
		if c.Name == name {
			return c
		}
	}
	return Container{}
}
