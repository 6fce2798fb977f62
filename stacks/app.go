package stacks

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsecrimage"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsecrrepository"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssubnets"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsvpc"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecscluster"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Ports the containers listen on. The Shiny task's ALB traffic goes to the
// session sidecar, which proxies it to Shiny on localhost.
const (
	ShinyPort        = 3838
	SessionAgentPort = 8080
	LogoutPort       = logoutconfig.DefaultPort
)

// Image is an image looked up in its repository at plan time.
type Image struct {
	Repository dataawsecrrepository.DataAwsEcrRepository
	Tagged     dataawsecrimage.DataAwsEcrImage
}

// Ref is REPOSITORY_URL@sha256:DIGEST: the exact image the tag pointed to
// when the plan ran, so a new push followed by a deploy rolls out.
func (i Image) Ref() string {
	return *i.Repository.RepositoryUrl() + "@" + *i.Tagged.ImageDigest()
}

// MissingImageMessage is the plan error when the repository's newest image
// has no tag, which is how an empty repository looks to the data source.
func MissingImageMessage(repository, tag string) string {
	return fmt.Sprintf("ECR repository %s holds no tagged image (nothing pushed yet, or its newest image is untagged), so image tag %q cannot be deployed. Push the images first: run `make push-image` after `cdktf deploy ecr`, then `cdktf deploy app` again.", repository, tag)
}

// AppStack holds everything that runs the app: ALB, Cognito, ECS services,
// logs and autoscaling. It is deployed after the images are pushed.
type AppStack struct {
	Stack   cdktf.TerraformStack
	Cluster ecscluster.EcsCluster
	Images  map[string]Image
	ALB     *cognitoauthalb.CognitoAuthALB
	Shiny   *shinyservice.ShinyService
	Logout  *shinyservice.ShinyService
	Scaling *sessionscaling.SessionScaling
}

// SessionMetricPackage is the Lambda built at synth time.
const SessionMetricPackage = "github.com/shinyfargate/shiny-cdktf/sessionmetric"

// lambdaBuildDir holds the built Lambda zip (relative to the working
// directory; only its content reaches cdktf.out).
const lambdaBuildDir = ".cache/lambda"

// buildSessionMetric builds the Lambda once per process (tests synthesize many stacks).
var buildSessionMetric = sync.OnceValues(func() (lambdabuild.Package, error) {
	return lambdabuild.Build(SessionMetricPackage, lambdaBuildDir, "sessionmetric")
})

// NewAppStack builds the app stack for cfg.
func NewAppStack(scope constructs.Construct, cfg Config) (*AppStack, error) {
	s := &AppStack{Stack: newStack(scope, StackApp, cfg), Images: map[string]Image{}}
	stack := s.Stack

	vpcID, vpcCIDR, subnetIDs := network(stack, cfg)
	for _, spec := range Images {
		repoName := cfg.RepositoryName(spec.Name)
		repo := dataawsecrrepository.NewDataAwsEcrRepository(stack, jsii.String("repository-"+spec.Name), &dataawsecrrepository.DataAwsEcrRepositoryConfig{
			Name: jsii.String(repoName),
			// An empty repository fails the plan here, with what to do,
			// before the image lookup below fails with the provider's terse
			// "couldn't find resource".
			Lifecycle: &cdktf.TerraformResourceLifecycle{Postcondition: &[]*cdktf.Postcondition{{
				Condition:    jsii.String("${length(self.most_recent_image_tags) > 0}"),
				ErrorMessage: jsii.String(MissingImageMessage(repoName, cfg.ImageTag)),
			}}},
		})
		// Fails the plan when the tag was not pushed: run `make push-image` first.
		img := dataawsecrimage.NewDataAwsEcrImage(stack, jsii.String("image-"+spec.Name), &dataawsecrimage.DataAwsEcrImageConfig{
			RepositoryName: repo.Name(),
			ImageTag:       jsii.String(cfg.ImageTag),
		})
		s.Images[spec.Name] = Image{Repository: repo, Tagged: img}
	}

	s.Cluster = ecscluster.NewEcsCluster(stack, jsii.String("cluster"), &ecscluster.EcsClusterConfig{
		Name: jsii.String(cfg.NamePrefix),
		Setting: []*ecscluster.EcsClusterSetting{{
			Name: jsii.String("containerInsights"), Value: jsii.String("enabled"),
		}},
	})

	var err error
	s.ALB, err = cognitoauthalb.NewCognitoAuthALB(stack, "alb", cognitoauthalb.Props{
		NamePrefix:          cfg.NamePrefix,
		Domain:              cfg.Domain,
		HostedZoneID:        cfg.HostedZoneID,
		VpcID:               vpcID,
		SubnetIDs:           subnetIDs,
		VpcCIDR:             vpcCIDR,
		TargetPorts:         slices.Compact(slices.Sorted(slices.Values([]int{SessionAgentPort, LogoutPort}))),
		IngressCIDRs:        cfg.AllowedIngressCIDRs,
		IdleTimeout:         time.Duration(cfg.IdleTimeoutSeconds) * time.Second,
		SessionTimeout:      time.Duration(cfg.AuthSessionTimeoutSeconds) * time.Second,
		CognitoDomainPrefix: cfg.CognitoDomainPrefix,
		DeletionProtection:  cfg.DeletionProtection,
	})
	if err != nil {
		return nil, err
	}

	common := shinyservice.Props{
		NamePrefix:         cfg.NamePrefix,
		Region:             cfg.Region,
		ClusterARN:         *s.Cluster.Arn(),
		VpcID:              vpcID,
		SubnetIDs:          subnetIDs,
		AssignPublicIP:     cfg.VpcID == "", // the default VPC's subnets are public and have no NAT
		ALBSecurityGroupID: *s.ALB.SecurityGroup.Id(),
		LogRetentionDays:   cfg.LogRetentionDays,
	}

	logoutImage := s.Images[ImageLogout]
	logoutProps := common
	logoutProps.Name = "logout"
	logoutProps.CPU, logoutProps.MemoryMiB, logoutProps.DesiredCount = cfg.Logout.CPU, cfg.Logout.MemoryMiB, cfg.Logout.DesiredCount
	logoutProps.ImageRepositoryARNs = []string{*logoutImage.Repository.Arn()}
	logoutProps.TargetContainer = "logout"
	logoutProps.HealthCheckPath = "/healthz"
	logoutProps.Containers = []shinyservice.Container{{
		Name:  "logout",
		Image: logoutImage.Ref(),
		Port:  LogoutPort,
		Environment: LogoutEnvironment(s.ALB.URL(), cfg.Region, *s.ALB.UserPoolDomain.Domain(), *s.ALB.UserPoolClient.Id()),
		HealthCheck: []string{"CMD", "/logout", "-healthcheck"},
	}}
	if s.Logout, err = shinyservice.NewShinyService(stack, "logout", logoutProps); err != nil {
		return nil, err
	}

	shinyImage, agentImage := s.Images[ImageShiny], s.Images[ImageSessionAgent]
	shinyProps := common
	shinyProps.Name = "shiny"
	shinyProps.CPU, shinyProps.MemoryMiB, shinyProps.DesiredCount = cfg.Shiny.CPU, cfg.Shiny.MemoryMiB, cfg.Shiny.DesiredCount
	shinyProps.ImageRepositoryARNs = []string{*shinyImage.Repository.Arn(), *agentImage.Repository.Arn()}
	shinyProps.TargetContainer = "session-agent"
	shinyProps.HealthCheckPath = sessionmodel.AgentHealthPath // answers 200 when Shiny does
	shinyProps.StickinessDuration = 24 * time.Hour
	shinyProps.HealthCheckGracePeriod = 120 * time.Second // R packages load slowly
	shinyProps.Containers = []shinyservice.Container{
		{
			// No port mapping: only the sidecar, on localhost, reaches Shiny.
			Name:        "shiny",
			Image:       shinyImage.Ref(),
			Environment: map[string]string{"SHINY_HOST": "127.0.0.1", "SHINY_PORT": fmt.Sprint(ShinyPort)},
			// wget is in the image for this check (docker/shiny/Dockerfile).
			HealthCheck:            []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/", ShinyPort)},
			HealthCheckStartPeriod: 120 * time.Second, // R packages load slowly
		},
		{
			Name:  "session-agent",
			Image: agentImage.Ref(),
			Port:  SessionAgentPort,
			Environment: map[string]string{
				sessionmodel.EnvAgentPort:   fmt.Sprint(SessionAgentPort),
				sessionmodel.EnvUpstreamURL: fmt.Sprintf("http://127.0.0.1:%d", ShinyPort),
				sessionmodel.EnvTableName:   sessionscaling.TableName(cfg.NamePrefix),
			},
			HealthCheck:      []string{"CMD", "/sessionagent", "-healthcheck"},
			DependsOnHealthy: []string{"shiny"},
		},
	}
	if s.Shiny, err = shinyservice.NewShinyService(stack, "shiny", shinyProps); err != nil {
		return nil, err
	}

	if err := s.ALB.Route(cognitoauthalb.Routes{
		AppTargetGroupARN:    *s.Shiny.TargetGroup.Arn(),
		LogoutTargetGroupARN: *s.Logout.TargetGroup.Arn(),
	}); err != nil {
		return nil, err
	}

	lambda, err := buildSessionMetric()
	if err != nil {
		return nil, err
	}
	if s.Scaling, err = sessionscaling.NewSessionScaling(stack, "scaling", sessionscaling.Props{
		NamePrefix:            cfg.NamePrefix,
		Region:                cfg.Region,
		ClusterName:           *s.Cluster.Name(),
		ClusterARN:            *s.Cluster.Arn(),
		ServiceName:           *s.Shiny.Service.Name(),
		TaskRoleName:          *s.Shiny.TaskRole.Name(),
		LambdaZip:             lambda.ZipPath,
		LambdaZipSHA256:       lambda.SHA256,
		Mode:                  cfg.Scaling.Mode,
		MinTasks:              cfg.Scaling.MinTasks,
		MaxTasks:              cfg.Scaling.MaxTasks,
		ScaleOutAbove:         cfg.Scaling.ScaleOutAbove,
		ScaleInBelow:          cfg.Scaling.ScaleInBelow,
		CPUTargetPercent:      cfg.Scaling.CPUTargetPercent,
		LogRetentionDays:      cfg.LogRetentionDays,
		LoadBalancerARNSuffix: *s.ALB.LoadBalancer.ArnSuffix(),
		TargetGroupARNSuffix:  *s.Shiny.TargetGroup.ArnSuffix(),
	}); err != nil {
		return nil, err
	}

	// A service registers targets only once its target group is behind a
	// listener, and its tasks need their roles' policies from the first start
	// to the last stop (image pull, logs, the sidecar's writes).
	s.Logout.Service.SetDependsOn(jsii.Strings(address(s.ALB.HTTPSListener), address(s.ALB.LogoutRule), address(s.Logout.ExecutionPolicy)))
	s.Shiny.Service.SetDependsOn(jsii.Strings(address(s.ALB.HTTPSListener), address(s.ALB.LogoutRule), address(s.Shiny.ExecutionPolicy), address(s.Scaling.AgentPolicy)))

	s.outputs(cfg)
	return s, nil
}

// network returns the VPC, its address range and the subnets: configured,
// or the default VPC's.
func network(stack cdktf.TerraformStack, cfg Config) (vpcID, cidr string, subnetIDs []string) {
	if cfg.VpcID != "" {
		vpc := dataawsvpc.NewDataAwsVpc(stack, jsii.String("vpc"), &dataawsvpc.DataAwsVpcConfig{Id: jsii.String(cfg.VpcID)})
		return cfg.VpcID, *vpc.CidrBlock(), cfg.SubnetIDs
	}
	vpc := dataawsvpc.NewDataAwsVpc(stack, jsii.String("default-vpc"), &dataawsvpc.DataAwsVpcConfig{Default: jsii.Bool(true)})
	subnets := dataawssubnets.NewDataAwsSubnets(stack, jsii.String("default-subnets"), &dataawssubnets.DataAwsSubnetsConfig{
		Filter: []*dataawssubnets.DataAwsSubnetsFilter{
			{Name: jsii.String("vpc-id"), Values: jsii.Strings(*vpc.Id())},
			{Name: jsii.String("default-for-az"), Values: jsii.Strings("true")},
		},
	})
	return *vpc.Id(), *vpc.CidrBlock(), jsii2strings(subnets.Ids())
}

// address is a resource's Terraform address (TYPE.NAME), for depends_on.
func address(r cdktf.TerraformResource) string {
	return *r.TerraformResourceType() + "." + *r.FriendlyUniqueId()
}

func jsii2strings(list *[]*string) []string {
	var out []string
	for _, s := range *list {
		out = append(out, *s)
	}
	return out
}

func (s *AppStack) outputs(cfg Config) {
	st := s.Stack
	output(st, "app_url", "Where users open the app", s.ALB.URL())
	output(st, "alb_dns_name", "The ALB's DNS name (point DOMAIN and www.DOMAIN at it without a hosted zone)", s.ALB.LoadBalancer.DnsName())
	output(st, "user_pool_id", "Cognito user pool id", s.ALB.UserPool.Id())
	output(st, "user_pool_client_id", "Cognito app client id used by the ALB", s.ALB.UserPoolClient.Id())
	output(st, "hosted_ui_domain", "Cognito hosted sign-in domain", s.ALB.HostedUIDomain(cfg.Region))
	output(st, "cluster_name", "ECS cluster", s.Cluster.Name())
	output(st, "shiny_service_name", "ECS service of the Shiny app", s.Shiny.Service.Name())
	output(st, "logout_service_name", "ECS service of the logout server", s.Logout.Service.Name())
	output(st, "session_table_name", "DynamoDB table of per-task session counts", s.Scaling.Table.Name())
	output(st, "sessionmetric_function_name", "Lambda that publishes SessionsPerTask every minute", s.Scaling.Function.FunctionName())
	output(st, "dashboard_name", "CloudWatch dashboard of sessions, tasks, CPU, memory and ALB 5xx", s.Scaling.Dashboard.DashboardName())
	if cfg.HostedZoneID == "" {
		output(st, "certificate_validation_records", "Create these DNS records to validate the certificate (no hosted zone configured)", s.ALB.Certificate.DomainValidationOptions())
	}
}
