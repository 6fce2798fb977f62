// Command sessionmetric is the Lambda that, every minute, turns the session
// table written by the session sidecars into the CloudWatch metrics the ECS
// service scales on: SessionsPerTask, ActiveSessions and RunningTasks.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// clients are the SDK clients, built once per execution environment.
type clients struct {
	dynamo     *dynamodb.Client
	ecs        *ecs.Client
	cloudwatch *cloudwatch.Client
}

// newClients builds the SDK clients from the default credential and region
// chain. This CloudWatch SDK version speaks Smithy RPCv2 CBOR by default,
// which local emulators such as moto do not route; when the endpoint is
// overridden (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDWATCH or a resolved
// base endpoint) the client uses the awsQuery protocol instead, which real
// CloudWatch accepts too. Against AWS proper nothing changes.
func newClients(ctx context.Context, getenv func(string) string) (clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return clients{}, err
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if cloudWatchEndpointOverridden(getenv, o.BaseEndpoint) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}
	})
	return clients{
		dynamo:     dynamodb.NewFromConfig(cfg),
		ecs:        ecs.NewFromConfig(cfg),
		cloudwatch: cw,
	}, nil
}

func cloudWatchEndpointOverridden(getenv func(string) string, baseEndpoint *string) bool {
	return (baseEndpoint != nil && *baseEndpoint != "") ||
		getenv("AWS_ENDPOINT_URL") != "" ||
		getenv("AWS_ENDPOINT_URL_CLOUDWATCH") != ""
}

func newHandler(cfg settings, c clients, now func() time.Time, log *slog.Logger) *handler {
	return &handler{cfg: cfg, store: c.dynamo, tasks: c.ecs, metrics: c.cloudwatch, now: now, log: log}
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		log.Error("configuration rejected", "error", err)
		os.Exit(1)
	}
	c, err := newClients(context.Background(), os.Getenv)
	if err != nil {
		log.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	h := newHandler(cfg, c, time.Now, log)
	log.Info("sessionmetric ready", "table", cfg.Table, "cluster", cfg.Cluster, "service", cfg.Service,
		"namespace", cfg.Namespace, "staleAfter", cfg.StaleAfter.String())
	lambda.Start(h.Handle)
}
