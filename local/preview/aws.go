package preview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// motoCreds are the fake credentials motoserver.Env gives every client.
var motoCreds = aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing"}

// NewDynamoDB returns a DynamoDB client for moto.
func NewDynamoDB(m *motoserver.Server) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       m.Region,
		BaseEndpoint: aws.String(m.URL),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return motoCreds, nil }),
	})
}

// createSessionTable creates the session table as the app stack defines it:
// partition key sessionmodel.KeyTaskARN (S), on-demand, TTL on
// sessionmodel.AttrExpiresAt.
func createSessionTable(ctx context.Context, db *dynamodb.Client, name string) error {
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(sessionmodel.KeyTaskARN), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(sessionmodel.KeyTaskARN), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		return fmt.Errorf("create session table %s: %w", name, err)
	}
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(sessionmodel.AttrExpiresAt), Enabled: aws.Bool(true)},
	}); err != nil {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}

// registerTasks makes the local tasks known to moto's ECS as tasks of the
// service, so the sessionmetric handler (which lists the service's running
// tasks) counts them: a cluster, a Fargate task definition, and n tasks
// started with RunTask, tagged as the ECS scheduler tags a service's tasks
// (group "service:NAME"). moto never runs their containers; the local
// processes are the tasks. It returns the task ARNs.
//
// RunTask is called on the wire: moto 5.2.1 answers it with container cpu and
// memory as JSON numbers, which the Go SDK's ECS deserializer refuses.
func registerTasks(ctx context.Context, m *motoserver.Server, cluster, service string, n int) ([]string, error) {
	if err := ecsCall(ctx, m, "CreateCluster", map[string]any{"clusterName": cluster}, nil); err != nil {
		return nil, err
	}
	if err := ecsCall(ctx, m, "RegisterTaskDefinition", map[string]any{
		"family": service, "requiresCompatibilities": []string{"FARGATE"}, "networkMode": "awsvpc",
		"cpu": "1024", "memory": "2048",
		"containerDefinitions": []map[string]any{{"name": "shiny", "image": "shiny", "essential": true, "memory": 2048}},
	}, nil); err != nil {
		return nil, err
	}
	// moto checks that the awsvpc configuration names a subnet it has: the
	// default VPC's.
	subnet, err := ec2Query(ctx, m, url.Values{"Action": {"DescribeSubnets"}, "Filter.1.Name": {"default-for-az"}, "Filter.1.Value.1": {"true"}}, "subnetId")
	if err != nil {
		return nil, err
	}
	group, err := ec2Query(ctx, m, url.Values{"Action": {"DescribeSecurityGroups"}, "Filter.1.Name": {"group-name"}, "Filter.1.Value.1": {"default"}}, "groupId")
	if err != nil {
		return nil, err
	}
	var out struct {
		Tasks []struct {
			TaskArn string `json:"taskArn"`
		} `json:"tasks"`
		Failures []any `json:"failures"`
	}
	if err := ecsCall(ctx, m, "RunTask", map[string]any{
		"cluster": cluster, "taskDefinition": service, "count": n, "launchType": "FARGATE",
		"group": "service:" + service, "startedBy": "ecs-svc/local-preview",
		"networkConfiguration": map[string]any{"awsvpcConfiguration": map[string]any{
			"subnets": []string{subnet}, "securityGroups": []string{group}, "assignPublicIp": "DISABLED",
		}},
	}, &out); err != nil {
		return nil, err
	}
	if len(out.Tasks) != n {
		return nil, fmt.Errorf("moto RunTask started %d of %d tasks (failures %v)", len(out.Tasks), n, out.Failures)
	}
	var arns []string
	for _, t := range out.Tasks {
		arns = append(arns, t.TaskArn)
	}
	return arns, nil
}

// ecsCall makes one signed ECS JSON call to moto and decodes the answer into
// out (when not nil).
func ecsCall(ctx context.Context, m *motoserver.Server, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	raw, err := motoCall(ctx, m, "ecs", http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"AmazonEC2ContainerServiceV20141113." + op},
	}, body)
	if err != nil {
		return fmt.Errorf("ecs %s: %w", op, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("ecs %s: %w: %s", op, err, raw)
		}
	}
	return nil
}

// ec2Query makes one EC2 query API call and returns the text of the first
// <tag> element of the answer (the module has no EC2 client, and needs none).
func ec2Query(ctx context.Context, m *motoserver.Server, form url.Values, tag string) (string, error) {
	form.Set("Version", "2016-11-15")
	raw, err := motoCall(ctx, m, "ec2", http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, []byte(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("ec2 %s: %w", form.Get("Action"), err)
	}
	dec := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("ec2 %s: no <%s> in the answer: %s", form.Get("Action"), tag, raw)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == tag {
			var v string
			err := dec.DecodeElement(&v, &se)
			return v, err
		}
	}
}

// motoCall sends one SigV4-signed POST to moto and returns the answer's body.
func motoCall(ctx context.Context, m *motoserver.Server, service string, hdr http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, motoCreds, req, hex.EncodeToString(sum[:]), service, m.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return raw, nil
}
