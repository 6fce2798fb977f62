package stacks

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsecrimage"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsecrrepository"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssubnet"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssubnets"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsvpc"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ecscluster"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/accesslogs"
	"github.com/shinyfargate/shiny-cdktf/constructs/alerts"
	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/constructs/waf"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// ShinyRoutingAlgorithm routes new Shiny sessions. A websocket is routed once
// and stays (stickiness); least outstanding requests sends new sessions away
// from busy tasks. The simulator (which models this value) shows it never
// worse than round robin on the built-in scenarios (docs/simulate/results.md).
const ShinyRoutingAlgorithm = shinyservice.AlgorithmLeastOutstandingRequests

// ShinyStickinessDuration is how long the ALB keeps a browser on its Shiny
// task (lb_cookie): a day, longer than any session.
const ShinyStickinessDuration = 24 * time.Hour

// ShinyServiceName is the Shiny service's short name; its ECS service is
// shinyservice.Props{NamePrefix, Name}.FullName().
const ShinyServiceName = "shiny"

// PrivatePaths are the path patterns the ALB answers 404 on every host: the
// sidecar's own endpoints (its health check), which are not for users.
func PrivatePaths() []string {
	return []string{strings.TrimSuffix(sessionmodel.AgentPathPrefix, "/"), sessionmodel.AgentPathPrefix + "*"}
}

// ShinyECSServiceName is the name of the Shiny ECS service in cfg's environment.
func ShinyECSServiceName(cfg Config) string {
	return shinyservice.Props{NamePrefix: cfg.NamePrefix, Name: ShinyServiceName}.FullName()
}

// LogoutPort is the port the logout server listens on.
const LogoutPort = logoutconfig.DefaultPort

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

// Assets are what the app stack packages from this repository. The caller
// builds them once (BuildAssets) before the stacks, so a failed build writes
// no synth output and tests build them once for many synths.
type Assets struct {
	// SessionMetric is the sessionmetric Lambda.
	SessionMetric lambdabuild.Package
	// PreSignUp is the Cognito pre sign-up Lambda of auth.signUp "domains".
	PreSignUp lambdabuild.Package
}

// SessionMetricPackage is the sessionmetric Lambda's Go package.
const SessionMetricPackage = "github.com/shinyfargate/shiny-cdktf/sessionmetric"

// PreSignUpPackage is the pre sign-up Lambda's Go package.
const PreSignUpPackage = "github.com/shinyfargate/shiny-cdktf/presignup"

// BuildAssets builds the assets under dir (e.g. .cache; only their content
// reaches cdktf.out, and only those a stack uses).
func BuildAssets(dir string) (Assets, error) {
	metric, err := lambdabuild.Build(SessionMetricPackage, dir+"/lambda", "sessionmetric")
	if err != nil {
		return Assets{}, err
	}
	preSignUp, err := lambdabuild.Build(PreSignUpPackage, dir+"/lambda", "presignup")
	return Assets{SessionMetric: metric, PreSignUp: preSignUp}, err
}

// AppStack holds everything that runs the app: ALB, Cognito, ECS services,
// logs and autoscaling. It is deployed after the images are pushed.
type AppStack struct {
	Stack   cdktf.TerraformStack
	Cluster ecscluster.EcsCluster
	// Pinned are the images by name (ImageShiny, ...), pinned to their digests.
	Pinned  map[string]Image
	ALB     *cognitoauthalb.CognitoAuthALB
	Shiny   *shinyservice.ShinyService
	Logout  *shinyservice.ShinyService
	Scaling *sessionscaling.SessionScaling
	// AccessLogs, WAF and Alerts are nil unless turned on in cfg.
	AccessLogs *accesslogs.AccessLogs
	WAF        *waf.WAF
	Alerts     *alerts.Alerts
}

// edge adds what guards and records the ALB's traffic, when turned on:
// the access and connection logs, and the web application firewall.
func (s *AppStack) edge(cfg Config) error {
	var err error
	if cfg.AccessLogs.Enabled {
		if s.AccessLogs, err = accesslogs.NewAccessLogs(s.Stack, "access-logs", accesslogs.Props{
			Settings: cfg.AccessLogs, NamePrefix: cfg.NamePrefix, Region: cfg.Region, AllowDeletion: cfg.AllowDeletion,
		}); err != nil {
			return err
		}
		l := s.AccessLogs
		if l.Policy != nil {
			s.ALB.LogTo(l.BucketName, l.AccessPrefix, l.ConnectionPrefix, l.Policy)
		} else {
			s.ALB.LogTo(l.BucketName, l.AccessPrefix, l.ConnectionPrefix)
		}
	}
	if cfg.WAF.Enabled {
		if s.WAF, err = waf.NewWAF(s.Stack, "waf", waf.Props{
			Settings: cfg.WAF, NamePrefix: cfg.NamePrefix, LoadBalancerARN: *s.ALB.LoadBalancer.Arn(),
		}); err != nil {
			return err
		}
	}
	return nil
}

// alerts adds the alarms and their topic, when turned on; the scaling's
// observation alarm on missing session data notifies the topic too.
func (s *AppStack) alerts(cfg Config) error {
	if !cfg.Alerts.Enabled {
		return nil
	}
	var err error
	if s.Alerts, err = alerts.NewAlerts(s.Stack, "alerts", alerts.Props{
		Settings: cfg.Alerts, NamePrefix: cfg.NamePrefix,
		LoadBalancerARNSuffix: *s.ALB.LoadBalancer.ArnSuffix(), TargetGroupARNSuffix: *s.Shiny.TargetGroup.ArnSuffix(),
		ClusterName: *s.Cluster.Name(), ServiceName: *s.Shiny.Service.Name(),
		FunctionName: *s.Scaling.Function.FunctionName(), Scaling: cfg.Scaling,
	}); err != nil {
		return err
	}
	s.Scaling.AlarmsTo(s.Alerts.TopicARN)
	return nil
}

// NewAppStack builds the app stack for cfg.
func NewAppStack(scope constructs.Construct, cfg Config, assets Assets) (*AppStack, error) {
	s := &AppStack{Stack: newStack(scope, StackApp, cfg)}
	net := network(s.Stack, cfg)
	s.Pinned = pinImages(s.Stack, cfg)
	s.Cluster = ecscluster.NewEcsCluster(s.Stack, jsii.String("cluster"), &ecscluster.EcsClusterConfig{
		Name:    jsii.String(cfg.NamePrefix),
		Setting: []*ecscluster.EcsClusterSetting{{Name: jsii.String("containerInsights"), Value: jsii.String("enabled")}},
	})

	var err error
	if s.ALB, err = cognitoauthalb.NewCognitoAuthALB(s.Stack, "alb", cognitoauthalb.Props{
		Settings: cfg.Settings, NamePrefix: cfg.NamePrefix,
		VpcID: net.vpcID, SubnetIDs: net.subnetIDs, VpcCIDR: net.cidr,
		PreSignUpLambda: assets.PreSignUp, LogRetentionDays: cfg.LogRetentionDays,
		// The sidecar's own endpoints (its health check) are not for users.
		PrivatePaths: PrivatePaths(),
	}); err != nil {
		return nil, err
	}
	if s.Logout, err = shinyservice.NewShinyService(s.Stack, "logout", s.logoutProps(cfg, net)); err != nil {
		return nil, err
	}
	if err := s.ALB.AddService(cognitoauthalb.TargetLogout, s.Logout); err != nil {
		return nil, err
	}
	if s.Shiny, err = shinyservice.NewShinyService(s.Stack, "shiny", s.shinyProps(cfg, net)); err != nil {
		return nil, err
	}
	if err := s.ALB.AddService(cognitoauthalb.TargetApp, s.Shiny); err != nil {
		return nil, err
	}
	if doc := cfg.Shiny.ReadSecretsPolicy(s.Shiny.ExecutionRole, "ReadSecretsDocument"); doc != nil {
		s.Shiny.GrantExecution(s.Shiny.ExecutionRole, "ReadSecretsPolicy", "read-app-secrets", doc)
	}
	if err := s.edge(cfg); err != nil {
		return nil, err
	}
	scaling := ScalingProps(cfg)
	scaling.ClusterName, scaling.ClusterARN, scaling.Service = *s.Cluster.Name(), *s.Cluster.Arn(), s.Shiny
	scaling.Lambda, scaling.LoadBalancerARNSuffix = assets.SessionMetric, *s.ALB.LoadBalancer.ArnSuffix()
	if s.WAF != nil {
		scaling.Widgets = append(scaling.Widgets, s.WAF.DashboardWidget(cfg.Region))
	}
	if s.Scaling, err = sessionscaling.NewSessionScaling(s.Stack, "scaling", scaling); err != nil {
		return nil, err
	}
	if err := s.alerts(cfg); err != nil {
		return nil, err
	}
	s.outputs(cfg)
	return s, nil
}

// pinImages looks up each pushed image by tag, failing the plan with what to
// do when it is missing.
func pinImages(stack cdktf.TerraformStack, cfg Config) map[string]Image {
	pinned := map[string]Image{}
	for _, spec := range ImageSpecs {
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
		pinned[spec.Name] = Image{Repository: repo, Tagged: img}
	}
	return pinned
}

// serviceProps are the props both services share.
func (s *AppStack) serviceProps(cfg Config, net networkIDs, name string, size shinyservice.Size, images ...string) shinyservice.Props {
	var repos []string
	for _, img := range images {
		repos = append(repos, *s.Pinned[img].Repository.Arn())
	}
	return shinyservice.Props{
		Name: name, NamePrefix: cfg.NamePrefix, Region: cfg.Region, Size: size,
		ClusterARN: *s.Cluster.Arn(), VpcID: net.vpcID, SubnetIDs: net.taskSubnetIDs(),
		AssignPublicIP:      cfg.VpcID == "", // the default VPC's subnets are public and have no NAT
		ALBSecurityGroupID:  *s.ALB.SecurityGroup.Id(),
		LogRetentionDays:    cfg.LogRetentionDays,
		ImageRepositoryARNs: repos,
	}
}

// logoutProps run the logout server, configured as logoutconfig reads it.
func (s *AppStack) logoutProps(cfg Config, net networkIDs) shinyservice.Props {
	p := s.serviceProps(cfg, net, "logout", cfg.Logout, ImageLogout)
	p.TargetContainer = "logout"
	p.HealthCheckPath = "/healthz"
	p.Containers = []shinyservice.Container{{
		Name:        "logout",
		Image:       s.Pinned[ImageLogout].Ref(),
		Port:        LogoutPort,
		Environment: LogoutEnvironment(s.ALB.URL(), cfg.Region, *s.ALB.UserPoolDomain.Domain(), *s.ALB.UserPoolClient.Id()),
		HealthCheck: []string{"CMD", "/logout", "-healthcheck"},
	}}
	return p
}

// shinyProps run the Shiny app behind the session sidecar, which alone
// receives the ALB's traffic and proxies it to Shiny on localhost.
func (s *AppStack) shinyProps(cfg Config, net networkIDs) shinyservice.Props {
	p := s.serviceProps(cfg, net, ShinyServiceName, cfg.Shiny.Size, ImageShiny, ImageSessionAgent)
	p.TargetContainer = "session-agent"
	p.HealthCheckPath = sessionmodel.AgentHealthPath // answers 200 when Shiny does
	p.StickinessDuration = ShinyStickinessDuration
	p.RoutingAlgorithm = ShinyRoutingAlgorithm
	p.HealthCheckGracePeriod = 120 * time.Second // R packages load slowly
	p.EnableExec = cfg.Shiny.EnableExec
	agentEnv := map[string]string{
		sessionmodel.EnvAgentPort:   fmt.Sprint(sessionmodel.AgentPort),
		sessionmodel.EnvUpstreamURL: sessionmodel.UpstreamURL(sessionmodel.ShinyPort),
		sessionmodel.EnvTableName:   sessionscaling.TableName(cfg.NamePrefix),
		// For the drain: the service's deployments (a plain name; the
		// service resource itself depends on this task definition).
		sessionmodel.EnvCluster: *s.Cluster.Name(),
		sessionmodel.EnvService: p.FullName(),
	}
	for _, s := range cfg.agentSettings() {
		agentEnv[s.Env] = s.EnvValue(s.Value)
	}
	p.Containers = []shinyservice.Container{
		{
			// No port mapping: only the sidecar, on localhost, reaches Shiny.
			Name:        "shiny",
			Image:       s.Pinned[ImageShiny].Ref(),
			Environment: shinyEnvironment(cfg.Shiny.AppSettings),
			Secrets:     cfg.Shiny.ValueFroms(),
			// A TCP connect only: httpuv accepts connections on its own
			// thread, so a long computation on R's one thread does not fail
			// it (an HTTP check would, and ECS would stop the task with every
			// session on it). The sidecar's check judges whether R answers.
			HealthCheck:            []string{"CMD", "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", sessionmodel.ShinyPort)},
			HealthCheckStartPeriod: 120 * time.Second, // R packages load slowly
		},
		{
			Name:        "session-agent",
			Image:       s.Pinned[ImageSessionAgent].Ref(),
			Port:        sessionmodel.AgentPort,
			Environment: agentEnv,
			// Healthy while Shiny answers, or is busy for up to
			// shiny.busyGraceSeconds; unhealthy at once when R is gone.
			HealthCheck:            []string{"CMD", "/sessionagent", "-healthcheck"},
			HealthCheckStartPeriod: 120 * time.Second,
			DependsOnHealthy:       []string{"shiny"},
		},
	}
	return p
}

// ShinyContainerEnvironment is what the stack itself sets in the Shiny
// container; shiny.environment and shiny.secrets may not use these names.
func ShinyContainerEnvironment() map[string]string {
	return map[string]string{"SHINY_HOST": "127.0.0.1", "SHINY_PORT": fmt.Sprint(sessionmodel.ShinyPort)}
}

// shinyEnvironment is the app's plain environment (shiny.environment) and
// the stack's own (validation refuses overlaps).
func shinyEnvironment(app shinyservice.AppSettings) map[string]string {
	env := map[string]string{}
	maps.Copy(env, app.Environment)
	maps.Copy(env, ShinyContainerEnvironment())
	return env
}

// networkIDs are the VPC, its address range and the subnets.
type networkIDs struct {
	vpcID, cidr string
	subnetIDs   []string
	// taskSubnets are taskSubnetIds, looked up at plan time; empty: subnetIDs.
	taskSubnets []dataawssubnet.DataAwsSubnet
}

// taskSubnetIDs are the tasks' subnets: taskSubnetIds (their ids from the
// plan-time lookups, so the checks run before any task is placed), else the ALB's.
func (n networkIDs) taskSubnetIDs() []string {
	if len(n.taskSubnets) == 0 {
		return n.subnetIDs
	}
	var ids []string
	for _, s := range n.taskSubnets {
		ids = append(ids, *s.Id())
	}
	return ids
}

// quoted lists xs as the config file writes them.
func quoted(xs []string) string { return `"` + strings.Join(xs, `", "`) + `"` }

// taskSubnetChecks looks up each task subnet and fails the plan when one is
// not in vpcId or when together they do not span two availability zones
// (an ECS service in one AZ stops with it).
func taskSubnetChecks(stack cdktf.TerraformStack, cfg Config) []dataawssubnet.DataAwsSubnet {
	var out []dataawssubnet.DataAwsSubnet
	for i, id := range cfg.TaskSubnetIDs {
		conds := []*cdktf.Postcondition{{
			Condition:    jsii.String(fmt.Sprintf("${self.vpc_id == %q}", cfg.VpcID)),
			ErrorMessage: jsii.String(fmt.Sprintf("taskSubnetIds[%d] = %q: is not in vpcId %s; task subnets must be in the ALB's VPC", i, id, cfg.VpcID)),
		}}
		if i == len(cfg.TaskSubnetIDs)-1 {
			azs := []string{"self.availability_zone"}
			for _, prev := range out {
				azs = append(azs, "data.aws_subnet."+*prev.FriendlyUniqueId()+".availability_zone")
			}
			conds = append(conds, &cdktf.Postcondition{
				Condition:    jsii.String("${length(distinct([" + strings.Join(azs, ", ") + "])) >= 2}"),
				ErrorMessage: jsii.String(fmt.Sprintf("taskSubnetIds = [%s]: all in one availability zone; list subnets in at least two, so the service survives an AZ outage", quoted(cfg.TaskSubnetIDs))),
			})
		}
		out = append(out, dataawssubnet.NewDataAwsSubnet(stack, jsii.String(fmt.Sprintf("task-subnet-%d", i)), &dataawssubnet.DataAwsSubnetConfig{
			Id:        jsii.String(id),
			Lifecycle: &cdktf.TerraformResourceLifecycle{Postcondition: &conds},
		}))
	}
	return out
}

// network returns the configured VPC and subnets, or the default VPC's.
func network(stack cdktf.TerraformStack, cfg Config) networkIDs {
	if cfg.VpcID != "" {
		vpc := dataawsvpc.NewDataAwsVpc(stack, jsii.String("vpc"), &dataawsvpc.DataAwsVpcConfig{Id: jsii.String(cfg.VpcID)})
		return networkIDs{cfg.VpcID, *vpc.CidrBlock(), cfg.SubnetIDs, taskSubnetChecks(stack, cfg)}
	}
	vpc := dataawsvpc.NewDataAwsVpc(stack, jsii.String("default-vpc"), &dataawsvpc.DataAwsVpcConfig{Default: jsii.Bool(true)})
	subnets := dataawssubnets.NewDataAwsSubnets(stack, jsii.String("default-subnets"), &dataawssubnets.DataAwsSubnetsConfig{
		Filter: []*dataawssubnets.DataAwsSubnetsFilter{
			{Name: jsii.String("vpc-id"), Values: jsii.Strings(*vpc.Id())},
			{Name: jsii.String("default-for-az"), Values: jsii.Strings("true")},
		},
	})
	var ids []string
	for _, id := range *subnets.Ids() {
		ids = append(ids, *id)
	}
	return networkIDs{*vpc.Id(), *vpc.CidrBlock(), ids, nil}
}
