// Command sessionmetric is the Lambda that, every minute, turns the session
// table written by the session sidecars into the CloudWatch metrics the ECS
// service scales on: SessionsPerTask, ActiveSessions and RunningTasks. The
// logic is in internal/metricpublisher; this is the Lambda entry point.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shinyfargate/shiny-cdktf/internal/metricpublisher"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := metricpublisher.New(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("sessionmetric cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
