package cognitoauthalb

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/lb"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// LogTo turns on the ALB's access logs and connection logs, written to
// bucket under accessPrefix and connectionPrefix. ELB checks that it may
// write when the logs are turned on, so the ALB waits for after (the
// bucket's policy), when given.
func (a *CognitoAuthALB) LogTo(bucket, accessPrefix, connectionPrefix string, after ...cdktf.TerraformResource) {
	a.LoadBalancer.PutAccessLogs(&lb.LbAccessLogs{
		Bucket: jsii.String(bucket), Prefix: jsii.String(accessPrefix), Enabled: jsii.Bool(true),
	})
	a.LoadBalancer.PutConnectionLogs(&lb.LbConnectionLogs{
		Bucket: jsii.String(bucket), Prefix: jsii.String(connectionPrefix), Enabled: jsii.Bool(true),
	})
	if len(after) == 0 {
		return
	}
	list := []*string{}
	if cur := a.LoadBalancer.DependsOn(); cur != nil {
		list = append(list, *cur...)
	}
	for _, d := range after {
		list = append(list, jsii.String(*d.TerraformResourceType()+"."+*d.FriendlyUniqueId()))
	}
	a.LoadBalancer.SetDependsOn(&list)
}
