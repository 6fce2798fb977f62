package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// clients talk to moto only.
type clients struct {
	// aws is the configuration every client is built from (moto's endpoint,
	// region and fake credentials); the sessionmetric handler gets it too.
	aws      aws.Config
	ecr      *ecr.Client
	elb      *elb.Client
	ec2      *ec2.Client
	cognito  *cip.Client
	scaling  *aas.Client
	cw       *cloudwatch.Client
	events   *eventbridge.Client
	dynamodb *dynamodb.Client
	ecs      *ecs.Client
	ssm      *ssm.Client
}

func newClients(ctx context.Context, moto *motoserver.Server) (clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(moto.Region),
		config.WithBaseEndpoint(moto.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	)
	if err != nil {
		return clients{}, err
	}
	return clients{
		aws:     cfg,
		ecr:     ecr.NewFromConfig(cfg),
		elb:     elb.NewFromConfig(cfg),
		ec2:     ec2.NewFromConfig(cfg),
		cognito: cip.NewFromConfig(cfg),
		scaling: aas.NewFromConfig(cfg),
		// moto routes CloudWatch's query protocol only.
		cw: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}),
		events:   eventbridge.NewFromConfig(cfg),
		dynamodb: dynamodb.NewFromConfig(cfg),
		ecs:      ecs.NewFromConfig(cfg),
		ssm:      ssm.NewFromConfig(cfg),
	}, nil
}

// pushImages does what `make push-image` does to the registry: one image
// manifest per repository, with the configured tag.
func pushImages(ctx context.Context, c clients, cfg stacks.Config) error {
	for _, img := range stacks.ImageSpecs {
		manifest, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
			"config": map[string]any{
				"mediaType": "application/vnd.docker.container.image.v1+json",
				"size":      1024,
				"digest":    fmt.Sprintf("sha256:%064x", len(img.Name)),
			},
			"layers": []any{},
		})
		if _, err := c.ecr.PutImage(ctx, &ecr.PutImageInput{
			RepositoryName: aws.String(cfg.RepositoryName(img.Name)),
			ImageManifest:  aws.String(string(manifest)),
			ImageTag:       aws.String(cfg.ImageTag),
		}); err != nil {
			return fmt.Errorf("put image %s:%s: %w", cfg.RepositoryName(img.Name), cfg.ImageTag, err)
		}
	}
	return nil
}

// checker collects failed expectations, so one run reports all of them.
type checker struct {
	out  io.Writer
	errs []error
}

// expect records a check; it returns ok, so dependent checks can be skipped.
func (c *checker) expect(ok bool, what string, args ...any) bool {
	msg := fmt.Sprintf(what, args...)
	if ok {
		fmt.Fprintf(c.out, "   ok   %s\n", msg)
		return true
	}
	fmt.Fprintf(c.out, "   FAIL %s\n", msg)
	c.errs = append(c.errs, errors.New(msg))
	return false
}

func (c *checker) must(err error, what string) bool {
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", what, err))
		fmt.Fprintf(c.out, "   FAIL %s: %v\n", what, err)
		return false
	}
	return true
}

// checkDeployment asks the AWS APIs whether what the notes require is
// really deployed. Every name comes from the stack's outputs; a failed call
// is reported and the checks that need its result are skipped.
func checkDeployment(ctx context.Context, cl clients, cfg stacks.Config, names deployedNames, out io.Writer) error {
	c := &checker{out: out}
	lbs, err := cl.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if !c.must(err, "describe the load balancers") {
		return errors.Join(c.errs...)
	}
	var lb elbtypes.LoadBalancer
	for _, l := range lbs.LoadBalancers {
		if aws.ToString(l.DNSName) == names.ALBDNSName {
			lb = l
		}
	}
	if lb.LoadBalancerArn == nil {
		c.expect(false, "the ALB %s exists", names.ALBDNSName)
		return errors.Join(c.errs...)
	}
	c.expect(lb.Scheme == elbtypes.LoadBalancerSchemeEnumInternetFacing, "ALB is internet-facing (%s)", lb.Scheme)
	// Deletion protection (allowDeletion) is not checked here: moto keeps
	// neither the ALB's deletion_protection.enabled attribute nor the user
	// pool's DeletionProtection; the stack tests assert what is synthesized.

	services, err := cl.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(names.Cluster), Services: []string{names.ShinyService, names.LogoutService},
	})
	if !c.must(err, "describe services") {
		return errors.Join(c.errs...)
	}
	// The target groups are the ones the services really register into.
	tgARN := map[string]string{}
	for _, svc := range services.Services {
		if len(svc.LoadBalancers) == 1 {
			tgARN[aws.ToString(svc.ServiceName)] = aws.ToString(svc.LoadBalancers[0].TargetGroupArn)
		}
	}
	c.expect(tgARN[names.ShinyService] != "" && tgARN[names.LogoutService] != "", "each service is behind one target group (%v)", tgARN)
	attrs, err := cl.elb.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN[names.ShinyService])})
	if c.must(err, "describe shiny target group attributes") {
		c.expect(attribute(attrs.Attributes, "stickiness.enabled") == "true" && attribute(attrs.Attributes, "stickiness.type") == "lb_cookie",
			"shiny target group sticks with the ALB-generated cookie (%s, %s)", attribute(attrs.Attributes, "stickiness.enabled"), attribute(attrs.Attributes, "stickiness.type"))
	}

	listeners, err := cl.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if !c.must(err, "describe listeners") {
		return errors.Join(c.errs...)
	}
	var https *elbtypes.Listener
	for i, l := range listeners.Listeners {
		switch aws.ToInt32(l.Port) {
		case 80:
			ok := len(l.DefaultActions) == 1 && l.DefaultActions[0].Type == elbtypes.ActionTypeEnumRedirect
			if ok {
				red := l.DefaultActions[0].RedirectConfig
				ok = red != nil && aws.ToString(red.Protocol) == "HTTPS" && aws.ToString(red.Port) == "443"
			}
			c.expect(ok, "port 80 redirects to HTTPS")
		case 443:
			https = &listeners.Listeners[i]
		}
	}
	if https == nil {
		c.expect(false, "an HTTPS listener on 443 exists")
		return errors.Join(c.errs...)
	}
	c.expect(https.Protocol == elbtypes.ProtocolEnumHttps && len(https.Certificates) == 1, "443 terminates TLS with the ACM certificate")
	c.expect(aws.ToString(https.SslPolicy) == cognitoauthalb.DefaultSSLPolicy, "TLS policy is %s (%s)", cognitoauthalb.DefaultSSLPolicy, aws.ToString(https.SslPolicy))

	pool, poolErr := cl.cognito.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(names.UserPoolID)})
	c.must(poolErr, "describe the user pool")
	acts := slices.Clone(https.DefaultActions)
	slices.SortFunc(acts, func(a, b elbtypes.Action) int { return int(aws.ToInt32(a.Order) - aws.ToInt32(b.Order)) })
	if len(acts) == 2 && acts[0].AuthenticateCognitoConfig != nil {
		ac := acts[0].AuthenticateCognitoConfig
		c.expect(acts[0].Type == elbtypes.ActionTypeEnumAuthenticateCognito && poolErr == nil && aws.ToString(ac.UserPoolArn) == aws.ToString(pool.UserPool.Arn), "every request first authenticates with the Cognito user pool")
		c.expect(aws.ToString(ac.UserPoolClientId) == names.UserPoolClientID && aws.ToString(ac.UserPoolDomain) == names.CognitoDomain, "authenticate-cognito uses the app client and domain %s", names.CognitoDomain)
		c.expect(aws.ToString(ac.SessionCookieName) == cognitoauthalb.SessionCookieName && aws.ToInt64(ac.SessionTimeout) == int64(cfg.AuthSessionTimeoutSeconds), "session cookie %s lasts %ds", cognitoauthalb.SessionCookieName, cfg.AuthSessionTimeoutSeconds)
		c.expect(acts[1].Type == elbtypes.ActionTypeEnumForward && aws.ToString(acts[1].TargetGroupArn) == tgARN[names.ShinyService], "then forwards to the shiny target group")
	} else {
		c.expect(false, "HTTPS default actions are authenticate-cognito then forward (got %d actions)", len(acts))
	}

	rules, err := cl.elb.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: https.ListenerArn})
	if !c.must(err, "describe rules") {
		return errors.Join(c.errs...)
	}
	byPriority := map[string]elbtypes.Rule{}
	for _, r := range rules.Rules {
		byPriority[aws.ToString(r.Priority)] = r
	}
	logout, www := byPriority[fmt.Sprint(cognitoauthalb.PriorityLogout)], byPriority[fmt.Sprint(cognitoauthalb.PriorityWWW)]
	c.expect(len(logout.Actions) == 1 && logout.Actions[0].Type == elbtypes.ActionTypeEnumForward && aws.ToString(logout.Actions[0].TargetGroupArn) == tgARN[names.LogoutService] &&
		len(logout.Conditions) == 2 && slices.Equal(conditionValues(logout.Conditions, "host-header"), []string{cfg.Domain}) &&
		slices.Equal(conditionValues(logout.Conditions, "path-pattern"), []string{cognitoauthalb.LogoutPath, cognitoauthalb.LoggedOutPath}),
		"rule %d: /logout and /logged-out on %s (not www, which is redirected first) go to the logout server without authentication", cognitoauthalb.PriorityLogout, cfg.Domain)
	c.expect(len(www.Actions) == 1 && www.Actions[0].RedirectConfig != nil && aws.ToString(www.Actions[0].RedirectConfig.Host) == cfg.Domain,
		"rule %d: www.%s redirects to %s, after the logout rule", cognitoauthalb.PriorityWWW, cfg.Domain, cfg.Domain)

	checkSecurityGroups(ctx, c, cl, cfg, names, services.Services, lb.SecurityGroups)
	if poolErr == nil {
		checkCognito(c, cfg, pool.UserPool)
		checkCognitoClient(ctx, c, cl, cfg, names)
	}
	checkScaling(ctx, c, cl, cfg, names)
	return errors.Join(c.errs...)
}

// conditionValues returns the values of the rule's condition of that field
// ("host-header", "path-pattern"), from its typed config or the legacy list.
func conditionValues(conds []elbtypes.RuleCondition, field string) []string {
	for _, c := range conds {
		if aws.ToString(c.Field) != field {
			continue
		}
		switch {
		case c.PathPatternConfig != nil:
			return c.PathPatternConfig.Values
		case c.HostHeaderConfig != nil:
			return c.HostHeaderConfig.Values
		}
		return c.Values
	}
	return nil
}

// attribute is the value of the target group attribute named key ("" when absent).
func attribute(attrs []elbtypes.TargetGroupAttribute, key string) string {
	for _, a := range attrs {
		if aws.ToString(a.Key) == key {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// checkSecurityGroups reads the groups the ALB and the services really use.
func checkSecurityGroups(ctx context.Context, c *checker, cl clients, cfg stacks.Config, names deployedNames, services []ecstypes.Service, albSGs []string) {
	if len(albSGs) != 1 {
		c.expect(false, "the ALB has one security group (%v)", albSGs)
		return
	}
	groupOf := map[string]string{"alb": albSGs[0]}
	short := map[string]string{names.ShinyService: "shiny", names.LogoutService: "logout"}
	for _, svc := range services {
		if nc := svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil && len(nc.AwsvpcConfiguration.SecurityGroups) == 1 {
			groupOf[short[aws.ToString(svc.ServiceName)]] = nc.AwsvpcConfiguration.SecurityGroups[0]
		}
	}
	c.expect(len(groupOf) == 3 && groupOf["shiny"] != groupOf["logout"] && groupOf["shiny"] != groupOf["alb"], "the ALB and each service have a security group of their own")
	sgs, err := cl.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: slices.Collect(maps.Values(groupOf))})
	if !c.must(err, "describe security groups") {
		return
	}
	byID := map[string]ec2types.SecurityGroup{}
	for _, g := range sgs.SecurityGroups {
		byID[aws.ToString(g.GroupId)] = g
	}
	alb := byID[groupOf["alb"]]
	var ports []int32
	for _, p := range alb.IpPermissions {
		var cidrs []string
		for _, r := range p.IpRanges {
			cidrs = append(cidrs, aws.ToString(r.CidrIp))
		}
		slices.Sort(cidrs)
		want := slices.Sorted(slices.Values(cfg.AllowedIngressCIDRs))
		c.expect(slices.Equal(cidrs, want) && len(p.UserIdGroupPairs) == 0, "ALB port %d is open to %v only", aws.ToInt32(p.FromPort), want)
		ports = append(ports, aws.ToInt32(p.FromPort))
	}
	slices.Sort(ports)
	c.expect(slices.Equal(ports, []int32{80, 443}), "ALB accepts 80 and 443 only (%v)", ports)
	for svc, port := range map[string]int32{"shiny": sessionmodel.AgentPort, "logout": stacks.LogoutPort} {
		g := byID[groupOf[svc]]
		ok := len(g.IpPermissions) == 1
		if ok {
			p := g.IpPermissions[0]
			ok = len(p.IpRanges) == 0 && len(p.UserIdGroupPairs) == 1 && aws.ToString(p.UserIdGroupPairs[0].GroupId) == aws.ToString(alb.GroupId) && aws.ToInt32(p.FromPort) == port
		}
		c.expect(ok, "%s tasks accept traffic only from the ALB's security group, on port %d", svc, port)
	}
}

func checkCognito(c *checker, cfg stacks.Config, p *ciptypes.UserPoolType) {
	c.expect(slices.Equal(usernameAttrs(p.UsernameAttributes), []string{"email"}), "users sign in with their email")
	c.expect(len(p.AutoVerifiedAttributes) == 1 && p.AutoVerifiedAttributes[0] == "email", "email is verified automatically")
	c.expect(p.AdminCreateUserConfig != nil && !p.AdminCreateUserConfig.AllowAdminCreateUserOnly, "public sign-up is allowed")
	required, present := map[string]bool{}, map[string]bool{}
	for _, a := range p.SchemaAttributes {
		present[aws.ToString(a.Name)] = true
		required[aws.ToString(a.Name)] = aws.ToBool(a.Required)
	}
	c.expect(required["email"] && required["given_name"] && required["family_name"], "email, given_name and family_name are required")
	c.expect(present["phone_number"] && !required["phone_number"] && present["custom:role"] && present["custom:type"] && !required["custom:role"], "phone_number, custom:role and custom:type are optional attributes")
}

func checkCognitoClient(ctx context.Context, c *checker, cl clients, cfg stacks.Config, names deployedNames) {
	cd, err := cl.cognito.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(names.UserPoolID), ClientId: aws.String(names.UserPoolClientID)})
	if !c.must(err, "describe app client") {
		return
	}
	uc := cd.UserPoolClient
	props := cognitoauthalb.Props{Settings: cognitoauthalb.Settings{Domain: cfg.Domain}}
	c.expect(slices.Equal(uc.CallbackURLs, props.CallbackURLs()), "callback URLs are %v", props.CallbackURLs())
	c.expect(slices.Equal(uc.LogoutURLs, props.LogoutURLs()), "logout URLs are %v", props.LogoutURLs())
	c.expect(len(uc.AllowedOAuthFlows) == 1 && uc.AllowedOAuthFlows[0] == "code" && aws.ToString(uc.ClientSecret) != "", "authorization code grant with a client secret")
	c.expect(slices.Equal(slices.Sorted(slices.Values(uc.AllowedOAuthScopes)), []string{"email", "openid", "profile"}), "scopes openid, email, profile (%v)", uc.AllowedOAuthScopes)
}

func usernameAttrs[T ~string](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}

func checkScaling(ctx context.Context, c *checker, cl clients, cfg stacks.Config, names deployedNames) {
	resource := "service/" + names.Cluster + "/" + names.ShinyService
	tg, err := cl.scaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{resource}})
	if c.must(err, "describe scalable targets") {
		ok := len(tg.ScalableTargets) == 1 && aws.ToInt32(tg.ScalableTargets[0].MinCapacity) == int32(cfg.Scaling.MinTasks) && aws.ToInt32(tg.ScalableTargets[0].MaxCapacity) == int32(cfg.Scaling.MaxTasks)
		c.expect(ok, "the shiny service's desired count scales from %d to %d tasks", cfg.Scaling.MinTasks, cfg.Scaling.MaxTasks)
	}
	pols, err := cl.scaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource)})
	if !c.must(err, "describe scaling policies") {
		return
	}
	policyARN := map[string]string{}
	for _, p := range pols.ScalingPolicies {
		policyARN[aws.ToString(p.PolicyName)] = aws.ToString(p.PolicyARN)
	}
	if cfg.Scaling.Mode == sessionscaling.ModeCPU {
		c.expect(len(names.Policies) == 1 && policyARN[names.Policies[0]] != "", "CPU target tracking policy exists (%v)", names.Policies)
	} else if c.expect(len(names.Alarms) == 2 && len(names.Policies) == 2, "a scale-out and a scale-in alarm and policy (%v, %v)", names.Alarms, names.Policies) {
		alarms, err := cl.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names.Alarms})
		if c.must(err, "describe alarms") {
			actions := map[string][]string{}
			for _, a := range alarms.MetricAlarms {
				actions[aws.ToString(a.AlarmName)] = a.AlarmActions
				c.expect(aws.ToString(a.MetricName) == sessionmodel.MetricSessionsPerTask && aws.ToString(a.Namespace) == sessionmodel.MetricNamespace, "alarm %s watches %s/%s", aws.ToString(a.AlarmName), sessionmodel.MetricNamespace, sessionmodel.MetricSessionsPerTask)
			}
			c.expect(slices.Equal(actions[names.Alarms[0]], []string{policyARN[names.Policies[0]]}), "sessions-high alarm triggers the scale-out policy")
			c.expect(slices.Equal(actions[names.Alarms[1]], []string{policyARN[names.Policies[1]]}), "sessions-low alarm triggers the scale-in policy")
		}
	}
	rule, err := cl.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(names.Schedule)})
	if c.must(err, "describe the schedule") {
		c.expect(aws.ToString(rule.ScheduleExpression) == "rate(1 minute)", "sessionmetric runs every minute (%s)", aws.ToString(rule.ScheduleExpression))
	}
	targets, err := cl.events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(names.Schedule)})
	if c.must(err, "list schedule targets") {
		c.expect(len(targets.Targets) == 1 && strings.HasSuffix(aws.ToString(targets.Targets[0].Arn), ":function:"+names.Function), "the schedule invokes the sessionmetric Lambda")
	}
}

// waitForDatapoint polls CloudWatch until the metric has a datapoint.
func waitForDatapoint(ctx context.Context, cw *cloudwatch.Client, namespace, metric string, dims []cwtypes.Dimension) (float64, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String(namespace), MetricName: aws.String(metric), Dimensions: dims,
			StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
			Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum},
		})
		if err != nil {
			return 0, err
		}
		if len(out.Datapoints) > 0 {
			return aws.ToFloat64(out.Datapoints[0].Maximum), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no %s/%s datapoint with dimensions %v", namespace, metric, dims)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
