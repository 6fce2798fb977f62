package metricpublisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Helpers shared by the integration tests and the benchmark.

// motoEnv starts moto and builds, as New does, the clients (from an explicit
// aws.Config pointing at moto: nothing is read from or written to the
// process environment) and the Lambda's configuration as the stack sets it.
func motoEnv(tb testing.TB, table, cluster, service string) (*motoserver.Server, clients, settings) {
	tb.Helper()
	s := motoserver.StartT(tb)
	cfg, err := loadConfig(env(map[string]string{
		sessionmodel.EnvTableName: table,
		sessionmodel.EnvCluster:   cluster,
		sessionmodel.EnvService:   service,
	}))
	if err != nil {
		tb.Fatal(err)
	}
	return s, newClients(motoAWSConfig(s)), cfg
}

// motoAWSConfig is an aws.Config for moto with fake credentials.
func motoAWSConfig(s *motoserver.Server) aws.Config {
	return aws.Config{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

// motoCall sends one signed request to moto and returns the answer's body.
// Used where the Go SDK cannot be: the module has no EC2 client (and should
// not get one for a test), and moto 5.2.1 answers RunTask/StopTask with
// containers[].cpu/memory as JSON numbers where the ECS model (and so the Go
// SDK's deserializer) wants strings: "deserialization failed, expected
// string, got 0".
func motoCall(tb testing.TB, ctx context.Context, s *motoserver.Server, service string, hdr http.Header, body string) []byte {
	tb.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, s.Region, time.Now()); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", service, body, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		tb.Fatalf("%s %s: HTTP %d: %s", service, body, resp.StatusCode, out)
	}
	return out
}

// ec2Query makes one EC2 query API call and returns the text of the first
// <tag> element of the answer.
func ec2Query(tb testing.TB, ctx context.Context, s *motoserver.Server, form url.Values, tag string) string {
	tb.Helper()
	form.Set("Version", "2016-11-15")
	out := motoCall(tb, ctx, s, "ec2", http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, form.Encode())
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := dec.Token()
		if err != nil {
			tb.Fatalf("ec2 %s: no <%s> in the answer: %s", form.Get("Action"), tag, out)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == tag {
			var v string
			if err := dec.DecodeElement(&v, &se); err != nil {
				tb.Fatal(err)
			}
			return v
		}
	}
}

// ecsCall makes one ECS JSON call and decodes the answer into out.
func ecsCall(tb testing.TB, ctx context.Context, s *motoserver.Server, op string, in, out any) {
	tb.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	raw := motoCall(tb, ctx, s, "ecs", http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"AmazonEC2ContainerServiceV20141113." + op},
	}, string(body))
	if err := json.Unmarshal(raw, out); err != nil {
		tb.Fatalf("ecs %s: %v: %s", op, err, raw)
	}
}

// motoECS is a cluster in moto with a Fargate service.
type motoECS struct {
	s                *motoserver.Server
	c                *ecs.Client
	subnet, group    string
	cluster, service string
}

// network is the awsvpc configuration in the default VPC (moto checks that
// the subnet exists).
func (m *motoECS) network() map[string]any {
	return map[string]any{"awsvpcConfiguration": map[string]any{
		"subnets": []string{m.subnet}, "securityGroups": []string{m.group}, "assignPublicIp": "DISABLED",
	}}
}

// newMotoECS creates a cluster, a Fargate task definition and a service
// (desired count 0: moto would not start its tasks anyway, see runTasks).
func newMotoECS(tb testing.TB, ctx context.Context, s *motoserver.Server, c *ecs.Client, cluster, service string) *motoECS {
	tb.Helper()
	m := &motoECS{s: s, c: c, cluster: cluster, service: service}
	m.subnet = ec2Query(tb, ctx, s, url.Values{"Action": {"DescribeSubnets"}, "Filter.1.Name": {"default-for-az"}, "Filter.1.Value.1": {"true"}}, "subnetId")
	m.group = ec2Query(tb, ctx, s, url.Values{"Action": {"DescribeSecurityGroups"}, "Filter.1.Name": {"group-name"}, "Filter.1.Value.1": {"default"}}, "groupId")
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		tb.Fatalf("create cluster: %v", err)
	}
	if _, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(service),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("shiny"), Image: aws.String("rocker/shiny:4"), Essential: aws.Bool(true),
			Memory:       aws.Int32(512), // moto needs container-level memory to place a task
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(3838)}},
		}},
	}); err != nil {
		tb.Fatalf("register task definition: %v", err)
	}
	if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(service), TaskDefinition: aws.String(service),
		DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{m.subnet}, SecurityGroups: []string{m.group}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	}); err != nil {
		tb.Fatalf("create service: %v", err)
	}
	return m
}

// runTasks starts n tasks "for" the service and returns their ARNs.
//
// moto 5.2.1 never starts the tasks of a service, and its ListTasks ignores
// serviceName (moto/ecs/models.py: "We can't filter on `service_name` until
// the backend actually launches tasks as part of the service creation
// process"). So the tasks are started with RunTask tagged the way the ECS
// scheduler tags a service's tasks (group "service:NAME", startedBy
// "ecs-svc/..."), each service in a cluster of its own. Against moto the
// tests therefore check the cluster and desiredStatus filtering and the real
// wire calls of the handler; that the serviceName filter is sent is asserted
// by the unit tests (handler_test.go). The tasks' containers never run.
func (m *motoECS) runTasks(tb testing.TB, ctx context.Context, n int) []string {
	tb.Helper()
	var arns []string
	for len(arns) < n {
		var out struct {
			Tasks []struct {
				TaskArn string `json:"taskArn"`
			} `json:"tasks"`
			Failures []any `json:"failures"`
		}
		ecsCall(tb, ctx, m.s, "RunTask", map[string]any{
			"cluster": m.cluster, "taskDefinition": m.service, "count": min(10, n-len(arns)),
			"launchType": "FARGATE", "networkConfiguration": m.network(),
			"group": "service:" + m.service, "startedBy": "ecs-svc/1234567890123456789",
		}, &out)
		if len(out.Failures) > 0 || len(out.Tasks) == 0 {
			tb.Fatalf("run task: no tasks, failures %v", out.Failures)
		}
		for _, t := range out.Tasks {
			arns = append(arns, t.TaskArn)
		}
	}
	return arns
}

// stopTask stops a task: its desiredStatus becomes STOPPED.
func (m *motoECS) stopTask(tb testing.TB, ctx context.Context, arn string) {
	tb.Helper()
	var out struct {
		Task struct {
			DesiredStatus string `json:"desiredStatus"`
		} `json:"task"`
	}
	ecsCall(tb, ctx, m.s, "StopTask", map[string]any{"cluster": m.cluster, "task": arn, "reason": "scaled in"}, &out)
	if out.Task.DesiredStatus != "STOPPED" {
		tb.Fatalf("stop task %s: desiredStatus %q", arn, out.Task.DesiredStatus)
	}
}

func createTable(tb testing.TB, ctx context.Context, db *dynamodb.Client, name string) {
	tb.Helper()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(sessionmodel.KeyTaskARN), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(sessionmodel.KeyTaskARN), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		tb.Fatalf("create table: %v", err)
	}
}

func putItem(tb testing.TB, ctx context.Context, db *dynamodb.Client, table string, it sessionmodel.Item) {
	tb.Helper()
	m, err := attributevalue.MarshalMap(it)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: m}); err != nil {
		tb.Fatalf("put item %s: %v", it.TaskARN, err)
	}
}

func itemExists(tb testing.TB, ctx context.Context, db *dynamodb.Client, table, arn string) bool {
	tb.Helper()
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{sessionmodel.KeyTaskARN: &ddbtypes.AttributeValueMemberS{Value: arn}},
	})
	if err != nil {
		tb.Fatalf("get item %s: %v", arn, err)
	}
	return out.Item != nil
}
