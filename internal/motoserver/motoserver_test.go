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
