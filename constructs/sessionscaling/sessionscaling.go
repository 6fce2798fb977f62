// Package sessionscaling scales a Shiny ECS service on active sessions per
// task: the session table, the sessionmetric Lambda with its schedule, the
// scalable target, step scaling policies driven by two alarms on
// SessionsPerTask, CPU and memory alarms without actions, a dashboard, and
// the permissions the session sidecar needs. Mode "target" swaps the step
// policies for target tracking on SessionsPerTask, mode "cpu" for CPU target
// tracking (the notes' simpler alternative). A schedule can raise the
// minimum task count at known busy times. Policy describes all of it as data.
package sessionscaling

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/appautoscalingpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/appautoscalingscheduledaction"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/appautoscalingtarget"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchdashboard"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatcheventrule"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatcheventtarget"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dynamodbtable"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdafunction"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lambdapermission"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
	"github.com/shinyfargate/shiny-cdktf/internal/golambda"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Modes.
const (
	ModeSessions = "sessions"
	ModeTarget   = "target"
	ModeCPU      = "cpu"
)

// Alarm timing. The Lambda publishes one datapoint a minute.
const (
	Period = 60 * time.Second
	// ScaleOutPeriods: one minute above the threshold adds capacity. With
	// sticky websockets every minute of delay leaves more new sessions on
	// the busy tasks; the simulator (go run ./simulate, docs/simulate) shows
	// one period lowering the peak and the overload on every built-in
	// scenario for about 1% more task-minutes than two. The metric is an exact
	// count published every minute, not a noisy sample, so one datapoint is
	// evidence enough.
	ScaleOutPeriods = 1
	// ScaleInPeriods: ten minutes below the threshold before removing a
	// task, so a lull between sessions does not shrink the service.
	ScaleInPeriods = 10
	// TreatMissingData is notBreaching for both alarms: no data means the
	// metric pipeline failed, and scaling blind either way would be wrong.
	TreatMissingData = "notBreaching"
)

// TableName is the session table of a deployment, known before it exists so
// the sidecar's environment can name it.
func TableName(namePrefix string) string { return namePrefix + "-sessions" }

// Defaults of Settings and Props.
const (
	DefaultMode                  = ModeSessions
	DefaultMinTasks              = 1
	DefaultMaxTasks              = 5
	DefaultScaleOutAbove         = 15
	DefaultScaleInBelow          = 3
	DefaultCPUTargetPercent      = 60
	DefaultTargetSessionsPerTask = 10
	DefaultScheduleTimeZone      = "UTC"
	DefaultScaleOutCooldown      = 120 * time.Second
	DefaultScaleInCooldown       = 300 * time.Second
)

// Settings are the scaling choices of a deployment: the stack configuration's
// "scaling" section is this struct. A zero field takes its default.
type Settings struct {
	// Mode is "sessions" (step scaling on the sessions per task), "target"
	// (target tracking on the sessions per task) or "cpu" (CPU target
	// tracking, the notes' simpler alternative).
	Mode string `json:"mode"`
	// MinTasks is the least number of tasks.
	MinTasks int `json:"minTasks"`
	// MaxTasks is the most tasks.
	MaxTasks int `json:"maxTasks"`
	// ScaleOutAbove adds tasks when the sessions per task exceed it ("sessions" mode).
	ScaleOutAbove int `json:"scaleOutAbove"`
	// ScaleInBelow removes a task when the sessions per task fall below it ("sessions" mode).
	ScaleInBelow int `json:"scaleInBelow"`
	// CPUTargetPercent is the average CPU the service is kept at ("cpu" mode).
	CPUTargetPercent int `json:"cpuTargetPercent"`
	// TargetSessionsPerTask is the sessions per task the service is kept at ("target" mode).
	TargetSessionsPerTask int `json:"targetSessionsPerTask"`
	// Schedule raises (or lowers) the least number of tasks at given times,
	// e.g. before a class starts: a list of {"name", "cron", "minTasks"}
	// with Application Auto Scaling's six-field cron (no cron(...)).
	Schedule []ScheduledAction `json:"schedule"`
	// ScheduleTimeZone is the IANA time zone of the schedule's cron expressions.
	ScheduleTimeZone string `json:"scheduleTimeZone"`
}

// DefaultSettings are the notes' parameters: 1 to 5 tasks, out above 15 and
// in below 3 sessions per task, no schedule.
func DefaultSettings() Settings {
	return Settings{
		Mode: DefaultMode, MinTasks: DefaultMinTasks, MaxTasks: DefaultMaxTasks,
		ScaleOutAbove: DefaultScaleOutAbove, ScaleInBelow: DefaultScaleInBelow, CPUTargetPercent: DefaultCPUTargetPercent,
		TargetSessionsPerTask: DefaultTargetSessionsPerTask, ScheduleTimeZone: DefaultScheduleTimeZone,
	}
}

// withDefaults fills zero fields from DefaultSettings.
func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	for _, f := range []struct{ v, def *int }{
		{&s.MinTasks, &d.MinTasks}, {&s.MaxTasks, &d.MaxTasks}, {&s.ScaleOutAbove, &d.ScaleOutAbove},
		{&s.ScaleInBelow, &d.ScaleInBelow}, {&s.CPUTargetPercent, &d.CPUTargetPercent}, {&s.TargetSessionsPerTask, &d.TargetSessionsPerTask},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if s.Mode == "" {
		s.Mode = d.Mode
	}
	if s.ScheduleTimeZone == "" {
		s.ScheduleTimeZone = d.ScheduleTimeZone
	}
	return s
}

// Props configure SessionScaling. Tokens are fine in string fields.
type Props struct {
	// Settings are the user's scaling choices. Default: DefaultSettings.
	Settings
	// NamePrefix starts every resource name. Required.
	NamePrefix string
	// Region, for the dashboard. Required.
	Region string
	// ClusterName and ClusterARN are the cluster of Service. Required.
	ClusterName, ClusterARN string
	// Service is the scaled service; its sidecar gets the permissions to
	// report sessions and protect its task, and autoscaling takes over its
	// desired count. Required.
	Service *shinyservice.ShinyService
	// Lambda is the built sessionmetric Lambda (lambdabuild.Build). Required.
	Lambda lambdabuild.Package
	// ScaleOutCooldown and ScaleInCooldown between scaling actions. Default:
	// DefaultScaleOutCooldown and DefaultScaleInCooldown.
	ScaleOutCooldown, ScaleInCooldown time.Duration
	// LogRetentionDays of the Lambda's log group. Default: cwlogs.DefaultRetentionDays.
	LogRetentionDays int
	// LoadBalancerARNSuffix, for the dashboard's 5xx graph. Optional.
	LoadBalancerARNSuffix string
	// Widgets are more dashboard widgets (entries of a CloudWatch dashboard
	// body's "widgets"), placed below the construct's own. Default: none.
	Widgets []map[string]any

	serviceName string // of Service, once constructed
}

// SessionScaling is what NewSessionScaling created. Policies and alarms of
// the mode not chosen are nil.
type SessionScaling struct {
	Table            dynamodbtable.DynamodbTable
	Function         lambdafunction.LambdaFunction
	FunctionRole     iamrole.IamRole
	FunctionPolicy   iamrolepolicy.IamRolePolicy
	FunctionLogGroup cloudwatchloggroup.CloudwatchLogGroup
	Schedule         cloudwatcheventrule.CloudwatchEventRule
	ScheduleTarget   cloudwatcheventtarget.CloudwatchEventTarget
	InvokePermission lambdapermission.LambdaPermission
	AgentPolicy      iamrolepolicy.IamRolePolicy
	ScalableTarget   appautoscalingtarget.AppautoscalingTarget
	ScaleOutPolicy   appautoscalingpolicy.AppautoscalingPolicy
	ScaleInPolicy    appautoscalingpolicy.AppautoscalingPolicy
	ScaleOutAlarm    cloudwatchmetricalarm.CloudwatchMetricAlarm
	ScaleInAlarm     cloudwatchmetricalarm.CloudwatchMetricAlarm
	CPUTracking      appautoscalingpolicy.AppautoscalingPolicy
	SessionsTracking appautoscalingpolicy.AppautoscalingPolicy
	ScheduledActions []appautoscalingscheduledaction.AppautoscalingScheduledAction
	CPUAlarm         cloudwatchmetricalarm.CloudwatchMetricAlarm
	SessionDataAlarm cloudwatchmetricalarm.CloudwatchMetricAlarm
	MemoryAlarm      cloudwatchmetricalarm.CloudwatchMetricAlarm
	Dashboard        cloudwatchdashboard.CloudwatchDashboard

	namePrefix string
}

// WithDefaults returns p with every unset field at its default.
func (p Props) WithDefaults() Props {
	p.defaults()
	return p
}

func (p *Props) defaults() {
	p.Settings = p.Settings.withDefaults()
	if p.ScaleOutCooldown == 0 {
		p.ScaleOutCooldown = DefaultScaleOutCooldown
	}
	if p.ScaleInCooldown == 0 {
		p.ScaleInCooldown = DefaultScaleInCooldown
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = cwlogs.DefaultRetentionDays
	}
}

// NewSessionScaling creates everything under a construct named id.
func NewSessionScaling(scope constructs.Construct, id string, props Props) (*SessionScaling, error) {
	props.defaults()
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("sessionscaling %q: %w", id, err)
	}
	props.serviceName = *props.Service.Service.Name()
	ns := constructs.NewConstruct(scope, jsii.String(id))
	s := &SessionScaling{namePrefix: props.NamePrefix}
	s.table(ns, props)
	s.function(ns, props)
	s.agentPolicy(ns, props)

	props.Service.HandCountToAutoscaling()
	s.ScalableTarget = appautoscalingtarget.NewAppautoscalingTarget(ns, jsii.String("ScalableTarget"), &appautoscalingtarget.AppautoscalingTargetConfig{
		ServiceNamespace:  jsii.String("ecs"),
		ResourceId:        jsii.String("service/" + props.ClusterName + "/" + props.serviceName),
		ScalableDimension: jsii.String("ecs:service:DesiredCount"),
		MinCapacity:       jsii.Number(float64(props.MinTasks)),
		MaxCapacity:       jsii.Number(float64(props.MaxTasks)),
	})
	pol := props.Policy()
	switch props.Mode {
	case ModeCPU:
		s.CPUTracking = s.targetTracking(ns, pol)
	case ModeTarget:
		s.SessionsTracking = s.targetTracking(ns, pol)
	default:
		s.stepScaling(ns, pol)
	}
	s.scheduledActions(ns, pol)
	s.resourceAlarms(ns, props)
	if err := s.dashboard(ns, props); err != nil {
		return nil, fmt.Errorf("sessionscaling %q: %w", id, err)
	}
	return s, nil
}

func (s *SessionScaling) table(ns constructs.Construct, p Props) {
	s.Table = dynamodbtable.NewDynamodbTable(ns, jsii.String("Table"), &dynamodbtable.DynamodbTableConfig{
		Name:        jsii.String(TableName(p.NamePrefix)),
		BillingMode: jsii.String("PAY_PER_REQUEST"),
		HashKey:     jsii.String(sessionmodel.KeyTaskARN),
		Attribute: []*dynamodbtable.DynamodbTableAttribute{{
			Name: jsii.String(sessionmodel.KeyTaskARN), Type: jsii.String("S"),
		}},
		Ttl: &dynamodbtable.DynamodbTableTtl{
			AttributeName: jsii.String(sessionmodel.AttrExpiresAt), Enabled: jsii.Bool(true),
		},
		PointInTimeRecovery:  &dynamodbtable.DynamodbTablePointInTimeRecovery{Enabled: jsii.Bool(true)},
		ServerSideEncryption: &dynamodbtable.DynamodbTableServerSideEncryption{Enabled: jsii.Bool(true)},
	})
}

func (s *SessionScaling) function(ns constructs.Construct, p Props) {
	name := p.NamePrefix + "-sessionmetric"
	l := golambda.New(ns, golambda.IDs{
		LogGroup: "FunctionLogGroup", AssumeRole: "AssumeByLambda", Role: "FunctionRole",
		PolicyDocument: "FunctionPolicyDocument", Policy: "FunctionPolicy", Code: "Code", Function: "Function",
	}, golambda.Props{
		Name:            name,
		Description:     "Publishes " + sessionmodel.MetricSessionsPerTask + " for " + p.serviceName + " every minute",
		RoleDescription: "sessionmetric: read sessions, count tasks, publish SessionsPerTask",
		Package:         p.Lambda,
		Environment: map[string]*string{
			sessionmodel.EnvTableName: s.Table.Name(),
			sessionmodel.EnvCluster:   jsii.String(p.ClusterName),
			sessionmodel.EnvService:   jsii.String(p.serviceName),
			sessionmodel.EnvNamespace: jsii.String(sessionmodel.MetricNamespace),
		},
		Statements: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			{
				// PutItem writes a marker for a running task without an item
				// (sessionmodel.AttrFirstSeenAt), nothing else.
				Sid:       jsii.String("ReadAndPruneSessions"),
				Actions:   jsii.Strings("dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:PutItem"),
				Resources: jsii.Strings(*s.Table.Arn()),
			},
			{
				// ListTasks has no resource type; the cluster condition scopes it.
				Sid:       jsii.String("CountRunningTasks"),
				Actions:   jsii.Strings("ecs:ListTasks"),
				Resources: jsii.Strings("*"),
				Condition: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{{
					Test: jsii.String("ArnEquals"), Variable: jsii.String("ecs:cluster"), Values: jsii.Strings(p.ClusterARN),
				}},
			},
			{
				// PutMetricData has no resource type; the namespace condition scopes it.
				Sid:       jsii.String("PublishSessionMetrics"),
				Actions:   jsii.Strings("cloudwatch:PutMetricData"),
				Resources: jsii.Strings("*"),
				Condition: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{{
					Test: jsii.String("StringEquals"), Variable: jsii.String("cloudwatch:namespace"), Values: jsii.Strings(sessionmodel.MetricNamespace),
				}},
			},
		},
		PolicyName:       "sessionmetric",
		TimeoutSeconds:   50, // finishes before the next run starts
		LogRetentionDays: p.LogRetentionDays,
	})
	s.FunctionLogGroup, s.FunctionRole, s.FunctionPolicy, s.Function = l.LogGroup, l.Role, l.Policy, l.Function
	s.Schedule = cloudwatcheventrule.NewCloudwatchEventRule(ns, jsii.String("Schedule"), &cloudwatcheventrule.CloudwatchEventRuleConfig{
		Name:               jsii.String(name),
		Description:        jsii.String("Run sessionmetric every minute, so the scaling alarms always have data"),
		ScheduleExpression: jsii.String("rate(1 minute)"),
	})
	s.ScheduleTarget = cloudwatcheventtarget.NewCloudwatchEventTarget(ns, jsii.String("ScheduleTarget"), &cloudwatcheventtarget.CloudwatchEventTargetConfig{
		Rule: s.Schedule.Name(), Arn: s.Function.Arn(), TargetId: jsii.String("sessionmetric"),
	})
	s.InvokePermission = lambdapermission.NewLambdaPermission(ns, jsii.String("InvokePermission"), &lambdapermission.LambdaPermissionConfig{
		StatementId:  jsii.String("AllowEventBridgeSchedule"),
		Action:       jsii.String("lambda:InvokeFunction"),
		FunctionName: s.Function.FunctionName(),
		Principal:    jsii.String("events.amazonaws.com"),
		SourceArn:    s.Schedule.Arn(),
	})
}

// agentPolicy lets the session sidecar write its task's item and set its
// task's scale-in protection, nothing else.
func (s *SessionScaling) agentPolicy(ns constructs.Construct, p Props) {
	clusterTasks := cdktf.Fn_Replace(jsii.String(p.ClusterARN), jsii.String(":cluster/"), jsii.String(":task/"))
	doc := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(ns, jsii.String("AgentPolicyDocument"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			{
				Sid:       jsii.String("WriteOwnSessionCount"),
				Actions:   jsii.Strings("dynamodb:PutItem"),
				Resources: jsii.Strings(*s.Table.Arn()),
			},
			{
				Sid:       jsii.String("ProtectBusyTasks"),
				Actions:   jsii.Strings("ecs:UpdateTaskProtection"),
				Resources: jsii.Strings(*clusterTasks + "/*"),
			},
			{
				// To learn that the service deploys another task definition
				// (a rollout) and give up protection after a drain.
				Sid:     jsii.String("ReadOwnService"),
				Actions: jsii.Strings("ecs:DescribeServices"),
				// The plain name: the service depends on this policy, so a
				// reference to it would be a cycle Terraform refuses.
				Resources: jsii.Strings(*cdktf.Fn_Replace(jsii.String(p.ClusterARN), jsii.String(":cluster/"), jsii.String(":service/")) + "/" + p.Service.Name()),
			},
		},
	})
	s.AgentPolicy = p.Service.GrantTask(ns, "AgentPolicy", "session-agent", doc)
}

// stepPolicy renders a step scaling policy of the description.
func (s *SessionScaling) stepPolicy(ns constructs.Construct, sp StepPolicy) appautoscalingpolicy.AppautoscalingPolicy {
	var steps []*appautoscalingpolicy.AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment
	for _, st := range sp.Steps {
		steps = append(steps, &appautoscalingpolicy.AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment{
			MetricIntervalLowerBound: formatBound(st.Lower),
			MetricIntervalUpperBound: formatBound(st.Upper),
			ScalingAdjustment:        jsii.Number(float64(st.Adjustment)),
		})
	}
	return appautoscalingpolicy.NewAppautoscalingPolicy(ns, jsii.String(sp.ID), &appautoscalingpolicy.AppautoscalingPolicyConfig{
		Name:              jsii.String(sp.Name),
		PolicyType:        jsii.String("StepScaling"),
		ResourceId:        s.ScalableTarget.ResourceId(),
		ScalableDimension: s.ScalableTarget.ScalableDimension(),
		ServiceNamespace:  s.ScalableTarget.ServiceNamespace(),
		StepScalingPolicyConfiguration: &appautoscalingpolicy.AppautoscalingPolicyStepScalingPolicyConfiguration{
			AdjustmentType:        jsii.String(sp.AdjustmentType),
			Cooldown:              jsii.Number(sp.Cooldown.Seconds()),
			MetricAggregationType: jsii.String(sp.MetricAggregationType),
			StepAdjustment:        steps,
		},
	})
}

// alarm renders a CloudWatch alarm of the description that invokes action.
func alarm(ns constructs.Construct, a Alarm, action string) cloudwatchmetricalarm.CloudwatchMetricAlarm {
	dims := map[string]*string{}
	for k, v := range a.Metric.Dimensions {
		dims[k] = jsii.String(v)
	}
	return cloudwatchmetricalarm.NewCloudwatchMetricAlarm(ns, jsii.String(a.ID), &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
		AlarmName:          jsii.String(a.Name),
		AlarmDescription:   jsii.String(a.Description),
		Namespace:          jsii.String(a.Metric.Namespace),
		MetricName:         jsii.String(a.Metric.Name),
		Dimensions:         &dims,
		Statistic:          jsii.String(a.Metric.Statistic),
		Period:             jsii.Number(a.Period.Seconds()),
		EvaluationPeriods:  jsii.Number(float64(a.EvaluationPeriods)),
		DatapointsToAlarm:  jsii.Number(float64(a.DatapointsToAlarm)),
		ComparisonOperator: jsii.String(a.Comparison),
		Threshold:          jsii.Number(a.Threshold),
		TreatMissingData:   jsii.String(a.TreatMissingData),
		AlarmActions:       jsii.Strings(action),
	})
}

// stepScaling renders the step scaling rules of pol: each alarm invokes its policy.
func (s *SessionScaling) stepScaling(ns constructs.Construct, pol Policy) {
	s.ScaleOutPolicy = s.stepPolicy(ns, pol.ScaleOut.Policy)
	s.ScaleInPolicy = s.stepPolicy(ns, pol.ScaleIn.Policy)
	s.ScaleOutAlarm = alarm(ns, pol.ScaleOut.Alarm, *s.ScaleOutPolicy.Arn())
	s.ScaleInAlarm = alarm(ns, pol.ScaleIn.Alarm, *s.ScaleInPolicy.Arn())
}

// targetTracking renders the target tracking policy of pol (CPU or sessions).
func (s *SessionScaling) targetTracking(ns constructs.Construct, pol Policy) appautoscalingpolicy.AppautoscalingPolicy {
	tt := pol.TargetTracking
	cfg := &appautoscalingpolicy.AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration{
		TargetValue:      jsii.Number(tt.TargetValue),
		ScaleOutCooldown: jsii.Number(tt.ScaleOutCooldown.Seconds()),
		ScaleInCooldown:  jsii.Number(tt.ScaleInCooldown.Seconds()),
	}
	if tt.PredefinedMetric != "" {
		cfg.PredefinedMetricSpecification = &appautoscalingpolicy.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification{
			PredefinedMetricType: jsii.String(tt.PredefinedMetric),
		}
	} else {
		var dims []*appautoscalingpolicy.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationDimensions
		for _, k := range []string{sessionmodel.DimensionCluster, sessionmodel.DimensionService} {
			dims = append(dims, &appautoscalingpolicy.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationDimensions{
				Name: jsii.String(k), Value: jsii.String(tt.Metric.Dimensions[k]),
			})
		}
		cfg.CustomizedMetricSpecification = &appautoscalingpolicy.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification{
			Namespace:  jsii.String(tt.Metric.Namespace),
			MetricName: jsii.String(tt.Metric.Name),
			Statistic:  jsii.String(tt.Metric.Statistic),
			Dimensions: dims,
		}
	}
	return appautoscalingpolicy.NewAppautoscalingPolicy(ns, jsii.String(tt.ID), &appautoscalingpolicy.AppautoscalingPolicyConfig{
		Name:                                     jsii.String(tt.Name),
		PolicyType:                               jsii.String("TargetTrackingScaling"),
		ResourceId:                               s.ScalableTarget.ResourceId(),
		ScalableDimension:                        s.ScalableTarget.ScalableDimension(),
		ServiceNamespace:                         s.ScalableTarget.ServiceNamespace(),
		TargetTrackingScalingPolicyConfiguration: cfg,
	})
}

// scheduledActions renders pol's schedule: each action sets the minimum
// task count from its time on.
func (s *SessionScaling) scheduledActions(ns constructs.Construct, pol Policy) {
	for _, a := range pol.Schedule {
		s.ScheduledActions = append(s.ScheduledActions, appautoscalingscheduledaction.NewAppautoscalingScheduledAction(ns, jsii.String("Schedule-"+a.Name), &appautoscalingscheduledaction.AppautoscalingScheduledActionConfig{
			Name:              jsii.String(s.namePrefix + "-" + a.Name),
			ServiceNamespace:  s.ScalableTarget.ServiceNamespace(),
			ResourceId:        s.ScalableTarget.ResourceId(),
			ScalableDimension: s.ScalableTarget.ScalableDimension(),
			Schedule:          jsii.String(a.Expression()),
			Timezone:          jsii.String(pol.ScheduleTimeZone),
			ScalableTargetAction: &appautoscalingscheduledaction.AppautoscalingScheduledActionScalableTargetAction{
				MinCapacity: jsii.String(fmt.Sprint(a.MinTasks)),
			},
		}))
	}
}

// resourceAlarms watch CPU and memory without acting, as in the notes, to
// learn which metric predicts load best.
func (s *SessionScaling) resourceAlarms(ns constructs.Construct, p Props) {
	alarm := func(id, metric string) cloudwatchmetricalarm.CloudwatchMetricAlarm {
		return cloudwatchmetricalarm.NewCloudwatchMetricAlarm(ns, jsii.String(id), &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
			AlarmName:          jsii.String(p.NamePrefix + "-" + metric),
			AlarmDescription:   jsii.String(metric + " above 80% for 5 minutes (observation only, no action)"),
			Namespace:          jsii.String("AWS/ECS"),
			MetricName:         jsii.String(metric),
			Dimensions:         &map[string]*string{"ClusterName": jsii.String(p.ClusterName), "ServiceName": jsii.String(p.serviceName)},
			Statistic:          jsii.String("Average"),
			Period:             jsii.Number(60),
			EvaluationPeriods:  jsii.Number(5),
			ComparisonOperator: jsii.String("GreaterThanThreshold"),
			Threshold:          jsii.Number(80),
			TreatMissingData:   jsii.String("missing"),
		})
	}
	s.CPUAlarm = alarm("CPUAlarm", "CPUUtilization")
	s.MemoryAlarm = alarm("MemoryAlarm", "MemoryUtilization")
	// The metric pipeline is broken when a running task's sessions stay
	// unknown: scaling on sessions then holds still (no SessionsPerTask is
	// published), so say so. Five minutes, so a starting task does not trip it.
	s.SessionDataAlarm = cloudwatchmetricalarm.NewCloudwatchMetricAlarm(ns, jsii.String("SessionDataAlarm"), &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
		AlarmName:          jsii.String(p.NamePrefix + "-session-data-missing"),
		AlarmDescription:   jsii.String("Tasks whose session counts are unknown for 5 minutes: the sidecars cannot write to the session table, and scaling on sessions holds still"),
		Namespace:          jsii.String(sessionmodel.MetricNamespace),
		MetricName:         jsii.String(sessionmodel.MetricSessionDataMissing),
		Dimensions:         &map[string]*string{sessionmodel.DimensionCluster: jsii.String(p.ClusterName), sessionmodel.DimensionService: jsii.String(p.serviceName)},
		Statistic:          jsii.String("Maximum"),
		Period:             jsii.Number(60),
		EvaluationPeriods:  jsii.Number(5),
		DatapointsToAlarm:  jsii.Number(5),
		ComparisonOperator: jsii.String("GreaterThanThreshold"),
		Threshold:          jsii.Number(0),
		TreatMissingData:   jsii.String("breaching"), // no datapoint at all: the Lambda itself is not running
	})
}

// AlarmsTo makes the observation alarm SessionDataAlarm notify topicARN
// when it fires and when it clears (the scaling alarms act on policies,
// and the CPU and memory alarms stay observation only).
func (s *SessionScaling) AlarmsTo(topicARN string) {
	s.SessionDataAlarm.SetAlarmActions(jsii.Strings(topicARN))
	s.SessionDataAlarm.SetOkActions(jsii.Strings(topicARN))
}

func (s *SessionScaling) dashboard(ns constructs.Construct, p Props) error {
	sess := func(metric string) []any {
		return []any{sessionmodel.MetricNamespace, metric, sessionmodel.DimensionCluster, p.ClusterName, sessionmodel.DimensionService, p.serviceName}
	}
	ecsMetric := func(metric string) []any {
		return []any{"AWS/ECS", metric, "ClusterName", p.ClusterName, "ServiceName", p.serviceName}
	}
	widget := func(x, y int, title string, metrics [][]any, stat string) map[string]any {
		return map[string]any{
			"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
			"properties": map[string]any{
				"title": title, "region": p.Region, "stat": stat, "period": 60, "view": "timeSeries", "metrics": metrics,
			},
		}
	}
	widgets := []map[string]any{
		widget(0, 0, "Sessions per task (scale out above "+fmt.Sprint(p.ScaleOutAbove)+", in below "+fmt.Sprint(p.ScaleInBelow)+")", [][]any{sess(sessionmodel.MetricSessionsPerTask)}, "Average"),
		widget(12, 0, "Active sessions and running tasks", [][]any{sess(sessionmodel.MetricActiveSessions), sess(sessionmodel.MetricRunningTasks), sess(sessionmodel.MetricSessionDataMissing)}, "Maximum"),
		widget(0, 6, "CPU and memory (%)", [][]any{ecsMetric("CPUUtilization"), ecsMetric("MemoryUtilization")}, "Average"),
	}
	if p.LoadBalancerARNSuffix != "" {
		lbm := func(metric string) []any {
			return []any{"AWS/ApplicationELB", metric, "LoadBalancer", p.LoadBalancerARNSuffix}
		}
		metrics := [][]any{lbm("HTTPCode_ELB_5XX_Count")}
		// The scaled service's own 5xx, not the logout server's.
		metrics = append(metrics, append(lbm("HTTPCode_Target_5XX_Count"), "TargetGroup", *p.Service.TargetGroup.ArnSuffix()))
		widgets = append(widgets, widget(12, 6, "ALB 5xx", metrics, "Sum"))
	}
	widgets = append(widgets, p.Widgets...)
	body, err := json.Marshal(map[string]any{"widgets": widgets})
	if err != nil {
		return err
	}
	s.Dashboard = cloudwatchdashboard.NewCloudwatchDashboard(ns, jsii.String("Dashboard"), &cloudwatchdashboard.CloudwatchDashboardConfig{
		DashboardName: jsii.String(p.NamePrefix),
		DashboardBody: jsii.String(string(body)),
	})
	return nil
}
