package stacks

import "github.com/hashicorp/terraform-cdk-go/cdktf"

// Outputs of the app stack that scripts and the rehearsal read, by name.
const (
	OutputAppURL             = "app_url"
	OutputALBDNSName         = "alb_dns_name"
	OutputUserPoolID         = "user_pool_id"
	OutputUserPoolClientID   = "user_pool_client_id"
	OutputHostedUIDomain     = "hosted_ui_domain"
	OutputClusterName        = "cluster_name"
	OutputShinyServiceName   = "shiny_service_name"
	OutputLogoutServiceName  = "logout_service_name"
	OutputSessionTableName   = "session_table_name"
	OutputSessionMetricName  = "sessionmetric_function_name"
	OutputSessionMetricRule  = "sessionmetric_schedule_name"
	OutputDashboardName      = "dashboard_name"
	OutputScalingAlarmNames  = "scaling_alarm_names"
	OutputScalingPolicyNames = "scaling_policy_names"
	OutputCertificateRecords = "certificate_validation_records"
	OutputAlertsTopicARN     = "alerts_topic_arn"
	OutputAccessLogsBucket   = "access_logs_bucket"
	OutputWebACLARN          = "web_acl_arn"
)

func (s *AppStack) outputs(cfg Config) {
	st := s.Stack
	output(st, OutputAppURL, "Where users open the app", s.ALB.URL())
	output(st, OutputALBDNSName, "The ALB's DNS name (point DOMAIN and www.DOMAIN at it without a hosted zone)", s.ALB.LoadBalancer.DnsName())
	output(st, OutputUserPoolID, "Cognito user pool id", s.ALB.UserPool.Id())
	output(st, OutputUserPoolClientID, "Cognito app client id used by the ALB", s.ALB.UserPoolClient.Id())
	output(st, OutputHostedUIDomain, "Cognito hosted sign-in domain", s.ALB.HostedUIDomain(cfg.Region))
	output(st, OutputClusterName, "ECS cluster", s.Cluster.Name())
	output(st, OutputShinyServiceName, "ECS service of the Shiny app", s.Shiny.Service.Name())
	output(st, OutputLogoutServiceName, "ECS service of the logout server", s.Logout.Service.Name())
	output(st, OutputSessionTableName, "DynamoDB table of per-task session counts", s.Scaling.Table.Name())
	output(st, OutputSessionMetricName, "Lambda that publishes SessionsPerTask every minute", s.Scaling.Function.FunctionName())
	output(st, OutputSessionMetricRule, "EventBridge rule that runs the sessionmetric Lambda every minute", s.Scaling.Schedule.Name())
	output(st, OutputDashboardName, "CloudWatch dashboard of sessions, tasks, CPU, memory and ALB 5xx", s.Scaling.Dashboard.DashboardName())
	alarms, policies := []*string{}, []*string{}
	for _, a := range []namedAlarm{s.Scaling.ScaleOutAlarm, s.Scaling.ScaleInAlarm} {
		if a != nil {
			alarms = append(alarms, a.AlarmName())
		}
	}
	for _, p := range []namedPolicy{s.Scaling.ScaleOutPolicy, s.Scaling.ScaleInPolicy, s.Scaling.CPUTracking} {
		if p != nil {
			policies = append(policies, p.Name())
		}
	}
	output(st, OutputScalingAlarmNames, "CloudWatch alarms that drive the scaling policies (scale out, scale in); empty with CPU target tracking", alarms)
	output(st, OutputScalingPolicyNames, "Application Auto Scaling policies of the Shiny service", policies)
	if s.Alerts != nil {
		output(st, OutputAlertsTopicARN, "SNS topic the alarms notify; subscribe more endpoints to it (with alerts.enabled)", s.Alerts.TopicARN)
	}
	if s.AccessLogs != nil {
		output(st, OutputAccessLogsBucket, "S3 bucket of the ALB's access and connection logs (with accessLogs.enabled)", s.AccessLogs.BucketName)
	}
	if s.WAF != nil {
		output(st, OutputWebACLARN, "AWS WAF web ACL in front of the ALB (with waf.enabled)", s.WAF.WebACL.Arn())
	}
	if cfg.HostedZoneID == "" {
		output(st, OutputCertificateRecords, "Create these DNS records to validate the certificate (no hosted zone configured)", s.ALB.Certificate.DomainValidationOptions())
	}
}

type namedAlarm interface{ AlarmName() *string }
type namedPolicy interface{ Name() *string }

// output adds a stack output whose name is exactly id, for scripts to read.
func output(stack cdktf.TerraformStack, id, description string, value any) cdktf.TerraformOutput {
	o := cdktf.NewTerraformOutput(stack, &id, &cdktf.TerraformOutputConfig{
		Value:       value,
		Description: &description,
	})
	o.OverrideLogicalId(&id)
	return o
}
