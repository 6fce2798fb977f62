// Command sessionmetric is the Lambda that, every minute, turns the session
// table written by the session sidecars into the CloudWatch metrics the ECS
// service scales on: SessionsPerTask, ActiveSessions, RunningTasks and
// SessionDataMissing. The logic is in internal/metricpublisher; this is the
// Lambda entry point.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/shinyfargate/shiny-cdktf/internal/metricpublisher"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("sessionmetric cannot load its AWS configuration", "err", err)
		os.Exit(1)
	}
	h, err := metricpublisher.New(awsCfg, os.Getenv, log)
	if err != nil {
		log.Error("sessionmetric cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
