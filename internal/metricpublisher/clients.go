package metricpublisher

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// New reads and validates the configuration through getenv (the variables
// named in sessionmodel: EnvTableName, EnvCluster and EnvService required,
// EnvNamespace and EnvStaleAfter optional) and builds the AWS SDK clients
// from the default credential and region chain, once. Configuration errors
// are all reported together, each naming its variable. The handler logs to
// logger (slog.Default() if nil) and reads the clock with time.Now.
//
// Endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDWATCH) are
// honoured, so pointing the environment at a local emulator such as moto is
// enough to run the handler against it; the SDK itself reads the process
// environment, getenv only decides the CloudWatch protocol (see newClients).
func New(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Handler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	c, err := newClients(ctx, getenv)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	h := newHandler(cfg, c, time.Now, logger)
	logger.Info("sessionmetric ready", "table", cfg.Table, "cluster", cfg.Cluster, "service", cfg.Service,
		"namespace", cfg.Namespace, "staleAfter", cfg.StaleAfter.String())
	return h, nil
}

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

func newHandler(cfg settings, c clients, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, store: c.dynamo, tasks: c.ecs, metrics: c.cloudwatch, now: now, log: log}
}
