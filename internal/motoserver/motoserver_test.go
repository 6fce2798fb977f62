package motoserver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestStartAndStop(t *testing.T) {
	s := StartT(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("moto must listen on loopback, got %s", s.URL)
	}
	resp, err := http.Get(s.URL + "/moto-api/")
	if err != nil {
		t.Fatalf("moto not answering: %v", err)
	}
	resp.Body.Close()
	s.Stop()
	if _, err := http.Get(s.URL + "/moto-api/"); err == nil {
		t.Fatal("moto still answers after Stop")
	}
	s.Stop() // second call is harmless
}

// Shim 4: CreateTargetGroup is idempotent, as on AWS: the same name and
// settings give the existing group; other settings under that name are
// still refused.
func TestCreateTargetGroupIsIdempotent(t *testing.T) {
	ctx := context.Background()
	cfg := clientConfig(t, StartT(t))
	ec := ec2.NewFromConfig(cfg)
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	lb := elb.NewFromConfig(cfg)
	create := func(port int32) (*elb.CreateTargetGroupOutput, error) {
		return lb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
			Name: aws.String("shiny20261201000000000000000001"), VpcId: vpc.Vpc.VpcId, Port: aws.Int32(port), Protocol: elbtypes.ProtocolEnumHttp, TargetType: elbtypes.TargetTypeEnumIp,
		})
	}
	first, err := create(8080)
	if err != nil {
		t.Fatal(err)
	}
	again, err := create(8080)
	if err != nil || aws.ToString(again.TargetGroups[0].TargetGroupArn) != aws.ToString(first.TargetGroups[0].TargetGroupArn) {
		t.Fatalf("second create = %v, %v; want the same group", again, err)
	}
	if _, err := create(9090); err == nil || !strings.Contains(err.Error(), "DuplicateTargetGroupName") {
		t.Fatalf("other settings under the same name: err = %v, want DuplicateTargetGroupName", err)
	}
}

// Shim 5: UpdateUserPool keeps what it cannot change, as on AWS.
func TestUpdateUserPoolKeepsUsernameAttributes(t *testing.T) {
	ctx := context.Background()
	cfg := clientConfig(t, StartT(t))
	c := cip.NewFromConfig(cfg)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("p"), UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
		UserPoolTags: map[string]string{"Project": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: pool.UserPool.Id, MfaConfiguration: ciptypes.UserPoolMfaTypeOff}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool.UserPool.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.UserPool.UsernameAttributes; len(got) != 1 || got[0] != ciptypes.UsernameAttributeTypeEmail {
		t.Errorf("UsernameAttributes after update = %v, want [email]", got)
	}
	if got := d.UserPool.UserPoolTags; got["Project"] != "x" {
		t.Errorf("UserPoolTags after update = %v, want the tags kept", got)
	}
}

// Shim 6: revoking a rule id that is gone answers
// InvalidSecurityGroupRuleId.NotFound, as on AWS, which the provider's
// revoke_rules_on_delete skips; a rule that exists is still revoked.
func TestRevokeGoneRuleIDIsRuleIDNotFound(t *testing.T) {
	ctx := context.Background()
	ec := ec2.NewFromConfig(clientConfig(t, StartT(t)))
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	group := func(name string) *string {
		g, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: vpc.Vpc.VpcId})
		if err != nil {
			t.Fatal(err)
		}
		return g.GroupId
	}
	alb, tasks := group("alb"), group("tasks")
	in, err := ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: tasks, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: alb}},
	}}})
	if err != nil || len(in.SecurityGroupRules) != 1 {
		t.Fatalf("authorize: %v, %v", in, err)
	}
	out, err := ec.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: alb, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: tasks}},
	}}})
	if err != nil || len(out.SecurityGroupRules) != 1 {
		t.Fatalf("authorize egress: %v, %v", out, err)
	}
	revokeIn := func() error {
		_, err := ec.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: tasks, SecurityGroupRuleIds: []string{*in.SecurityGroupRules[0].SecurityGroupRuleId}})
		return err
	}
	revokeOut := func() error {
		_, err := ec.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: alb, SecurityGroupRuleIds: []string{*out.SecurityGroupRules[0].SecurityGroupRuleId}})
		return err
	}
	for name, revoke := range map[string]func() error{"ingress": revokeIn, "egress": revokeOut} {
		if err := revoke(); err != nil {
			t.Fatalf("%s: first revoke: %v", name, err)
		}
		if err := revoke(); err == nil || !strings.Contains(err.Error(), "InvalidSecurityGroupRuleId.NotFound") {
			t.Errorf("%s: revoking the gone rule again: err = %v, want InvalidSecurityGroupRuleId.NotFound", name, err)
		}
	}
	d, err := ec.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{*tasks}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.SecurityGroupRules {
		if !aws.ToBool(r.IsEgress) {
			t.Errorf("ingress rule %s is still there after the revoke", aws.ToString(r.SecurityGroupRuleId))
		}
	}
}

// clientConfig is an AWS SDK config that talks to s with fake credentials.
func clientConfig(t *testing.T, s *Server) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(s.Region), config.WithBaseEndpoint(s.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
