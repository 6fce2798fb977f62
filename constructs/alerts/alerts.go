// Package alerts tells people when the deployment breaks: an SNS topic (or
// an existing one) with an optional email subscription, and CloudWatch
// alarms on the ALB's 5xx responses, the Shiny target group's health, the
// sessionmetric Lambda's errors, SessionsPerTask no longer arriving, and the
// service running at its task limit while still overloaded. Each alarm's
// description is its runbook sentence; Alarms describes them as data.
package alerts

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawscalleridentity"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawspartition"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopic"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopicsubscription"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
)

// Defaults of Settings.
const (
	// DefaultALB5xxPer5Minutes tolerates a few errors (a task replaced
	// mid-request) but not a failing app.
	DefaultALB5xxPer5Minutes = 10
)

// Settings are the alerting choices of a deployment: the stack
// configuration's "alerts" section is this struct.
type Settings struct {
	// Enabled creates the alarms and, without topicArn, an SNS topic they
	// notify. False: no topic, no alarms (the dashboard still shows the metrics).
	Enabled bool `json:"enabled"`
	// Email subscribes this address to the stack's topic (AWS sends a
	// confirmation link first). Empty: no subscription; subscribe later in
	// the SNS console or with `aws sns subscribe`.
	Email string `json:"email"`
	// TopicARN sends the alarms to this existing SNS topic instead of a new
	// one (its subscriptions are yours). Empty: the stack creates a topic.
	TopicARN string `json:"topicArn"`
	// ALB5xxPer5Minutes is how many 5xx responses (from the ALB and the
	// Shiny tasks together) in 5 minutes raise the 5xx alarm.
	ALB5xxPer5Minutes int `json:"alb5xxPer5Minutes"`
}

// DefaultSettings: off; when on, a new topic and the default 5xx threshold.
func DefaultSettings() Settings {
	return Settings{ALB5xxPer5Minutes: DefaultALB5xxPer5Minutes}
}

// Props configure Alerts. Tokens are fine in string fields.
type Props struct {
	// Settings are the user's choices; Enabled is not read (the caller
	// creates Alerts only when it is on).
	Settings
	// NamePrefix starts every resource name. Required.
	NamePrefix string
	// LoadBalancerARNSuffix and TargetGroupARNSuffix are the ALB's and the
	// Shiny target group's (CloudWatch's dimension values). Required.
	LoadBalancerARNSuffix, TargetGroupARNSuffix string
	// ClusterName and ServiceName are the Shiny service's. Required.
	ClusterName, ServiceName string
	// FunctionName is the sessionmetric Lambda's. Required.
	FunctionName string
	// Scaling are the service's scaling settings (defaults applied), for the
	// at-capacity alarm. Required.
	Scaling sessionscaling.Settings
}

// Alerts is what NewAlerts created. Topic, Key and Subscription are nil with
// Settings.TopicARN (Subscription also without Email).
type Alerts struct {
	Key          kmskey.KmsKey
	Topic        snstopic.SnsTopic
	Subscription snstopicsubscription.SnsTopicSubscription
	// TopicARN is where the alarms go: Topic's ARN or Settings.TopicARN.
	TopicARN string
	// Alarms by id (IDALB5xx, ...).
	Alarms map[string]cloudwatchmetricalarm.CloudwatchMetricAlarm
}

// NewAlerts creates the topic and the alarms under a construct named id.
func NewAlerts(scope constructs.Construct, id string, props Props) (*Alerts, error) {
	if props.ALB5xxPer5Minutes == 0 {
		props.ALB5xxPer5Minutes = DefaultALB5xxPer5Minutes
	}
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("alerts %q: %w", id, err)
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	a := &Alerts{TopicARN: props.TopicARN, Alarms: map[string]cloudwatchmetricalarm.CloudwatchMetricAlarm{}}
	if a.TopicARN == "" {
		a.topic(ns, props)
	}
	for _, al := range props.Alarms() {
		a.Alarms[al.ID] = render(ns, al, a.TopicARN)
	}
	return a, nil
}

// topic creates an SNS topic encrypted with its own KMS key: CloudWatch
// alarms cannot publish to a topic under the AWS-managed SNS key (its policy
// cannot be changed to let cloudwatch.amazonaws.com use it), so the key is a
// customer-managed one whose policy allows exactly that.
func (a *Alerts) topic(ns constructs.Construct, p Props) {
	account := dataawscalleridentity.NewDataAwsCallerIdentity(ns, jsii.String("Account"), &dataawscalleridentity.DataAwsCallerIdentityConfig{})
	partition := dataawspartition.NewDataAwsPartition(ns, jsii.String("Partition"), &dataawspartition.DataAwsPartitionConfig{})
	policy := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(ns, jsii.String("KeyPolicy"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			{
				// The account administers the key through IAM, as with a default key policy.
				Sid:     jsii.String("AccountAdministers"),
				Actions: jsii.Strings("kms:*"), Resources: jsii.Strings("*"),
				Principals: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{
					Type: jsii.String("AWS"), Identifiers: jsii.Strings("arn:" + *partition.Partition() + ":iam::" + *account.AccountId() + ":root"),
				}},
			},
			{
				Sid:     jsii.String("CloudWatchAlarmsPublish"),
				Actions: jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"), Resources: jsii.Strings("*"),
				Principals: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{
					Type: jsii.String("Service"), Identifiers: jsii.Strings("cloudwatch.amazonaws.com"),
				}},
				Condition: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{{
					Test: jsii.String("StringEquals"), Variable: jsii.String("aws:SourceAccount"), Values: jsii.Strings(*account.AccountId()),
				}},
			},
		},
	})
	a.Key = kmskey.NewKmsKey(ns, jsii.String("Key"), &kmskey.KmsKeyConfig{
		Description:          jsii.String(p.NamePrefix + " alerts topic"),
		EnableKeyRotation:    jsii.Bool(true),
		DeletionWindowInDays: jsii.Number(7),
		Policy:               policy.Json(),
	})
	a.Topic = snstopic.NewSnsTopic(ns, jsii.String("Topic"), &snstopic.SnsTopicConfig{
		Name:           jsii.String(p.NamePrefix + "-alerts"),
		DisplayName:    jsii.String(p.NamePrefix + " alerts"),
		KmsMasterKeyId: a.Key.Arn(),
	})
	a.TopicARN = *a.Topic.Arn()
	if p.Email != "" {
		a.Subscription = snstopicsubscription.NewSnsTopicSubscription(ns, jsii.String("Email"), &snstopicsubscription.SnsTopicSubscriptionConfig{
			TopicArn: a.Topic.Arn(),
			Protocol: jsii.String("email"),
			Endpoint: jsii.String(p.Email),
		})
	}
}

// render creates the CloudWatch alarm al, notifying topicARN when it fires and when it clears.
func render(ns constructs.Construct, al Alarm, topicARN string) cloudwatchmetricalarm.CloudwatchMetricAlarm {
	cfg := &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
		AlarmName:          jsii.String(al.Name),
		AlarmDescription:   jsii.String(al.Description),
		EvaluationPeriods:  jsii.Number(float64(al.EvaluationPeriods)),
		DatapointsToAlarm:  jsii.Number(float64(al.DatapointsToAlarm)),
		ComparisonOperator: jsii.String(al.Comparison),
		Threshold:          jsii.Number(al.Threshold),
		TreatMissingData:   jsii.String(al.TreatMissingData),
		AlarmActions:       jsii.Strings(topicARN),
		OkActions:          jsii.Strings(topicARN),
	}
	dims := func(q Query) *map[string]*string {
		d := map[string]*string{}
		for _, k := range slices.Sorted(maps.Keys(q.Dimensions)) {
			d[k] = jsii.String(q.Dimensions[k])
		}
		return &d
	}
	if len(al.Queries) == 1 {
		q := al.Queries[0]
		cfg.Namespace, cfg.MetricName, cfg.Statistic = jsii.String(q.Namespace), jsii.String(q.Metric), jsii.String(q.Stat)
		cfg.Dimensions = dims(q)
		cfg.Period = jsii.Number(al.Period.Seconds())
	} else {
		var queries []*cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery
		for _, q := range al.Queries {
			mq := &cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery{Id: jsii.String(q.ID), ReturnData: jsii.Bool(q.Expression != "")}
			if q.Expression != "" {
				mq.Expression, mq.Label = jsii.String(q.Expression), jsii.String(q.Label)
			} else {
				mq.Metric = &cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQueryMetric{
					Namespace: jsii.String(q.Namespace), MetricName: jsii.String(q.Metric), Stat: jsii.String(q.Stat),
					Dimensions: dims(q), Period: jsii.Number(al.Period.Seconds()),
				}
			}
			queries = append(queries, mq)
		}
		cfg.MetricQuery = queries
	}
	return cloudwatchmetricalarm.NewCloudwatchMetricAlarm(ns, jsii.String(al.ID), cfg)
}
