package metricpublisher

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// New reads and validates the configuration through getenv (the variables
// named in sessionmodel: EnvTableName, EnvCluster and EnvService required,
// EnvNamespace and EnvStaleAfter optional) and builds the AWS SDK clients
// from awsCfg, once. Nothing is read from the process environment: the
// Lambda passes config.LoadDefaultConfig's result and os.Getenv; a caller
// outside Lambda (the rehearsal against moto) passes its own aws.Config
// (region, credentials, BaseEndpoint) and a getenv of its own. Configuration
// errors are all reported together, each naming its variable. The handler
// logs to logger (slog.Default() if nil) and reads the clock with time.Now.
func New(awsCfg aws.Config, getenv func(string) string, logger *slog.Logger) (*Handler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	h := newHandler(cfg, newClients(awsCfg), time.Now, logger)
	logger.Info("sessionmetric ready", "table", cfg.Table, "cluster", cfg.Cluster, "service", cfg.Service,
		"namespace", cfg.Namespace, "stale_after", cfg.Limits.StaleAfter.String(),
		"startup_grace", cfg.Limits.StartupGrace.String())
	return h, nil
}

// clients are the SDK clients, built once per execution environment.
type clients struct {
	dynamo     *dynamodb.Client
	ecs        *ecs.Client
	cloudwatch *cloudwatch.Client
}

// newClients builds the SDK clients from cfg. This CloudWatch SDK version
// speaks Smithy RPCv2 CBOR by default, which local emulators such as moto do
// not route; when the endpoint is overridden (cfg.BaseEndpoint, or
// AWS_ENDPOINT_URL_CLOUDWATCH among the config sources LoadDefaultConfig
// read, both resolved into the client's BaseEndpoint before the option
// below runs) the client uses the awsQuery protocol instead, which real
// CloudWatch accepts too. Against AWS proper nothing changes.
func newClients(cfg aws.Config) clients {
	return clients{
		dynamo: dynamodb.NewFromConfig(cfg),
		ecs:    ecs.NewFromConfig(cfg),
		cloudwatch: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			if aws.ToString(o.BaseEndpoint) != "" {
				o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
			}
		}),
	}
}

func newHandler(cfg settings, c clients, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, store: c.dynamo, tasks: c.ecs, metrics: c.cloudwatch, now: now, log: log}
}
