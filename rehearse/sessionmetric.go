package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/metricpublisher"
	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// checkSessionMetric writes session items as the sidecars would, runs the
// Lambda's handler in-process with the environment the stack gives the
// Lambda, and reads the datapoint back through the scale-out alarm's own
// metric, dimensions included. moto runs no service tasks, so every item
// belongs to a task that is gone: the handler must publish 0 sessions per
// task over 0 running tasks and delete the items.
func checkSessionMetric(ctx context.Context, cl clients, cfg stacks.Config, names deployedNames, moto *motoserver.Server, out io.Writer) error {
	c := &checker{out: out}
	table := names.Table
	// Written before the freshness window: the handler keeps fresher items of
	// tasks ECS does not list (the task may be too young to be listed).
	written := time.Now().Add(-sessionmodel.StaleAfter - time.Minute)
	items := []sessionmodel.Item{
		sessionmodel.NewItem("arn:aws:ecs:us-east-1:123456789012:task/"+names.Cluster+"/gone1", 4, written),
		sessionmodel.NewItem("arn:aws:ecs:us-east-1:123456789012:task/"+names.Cluster+"/gone2", 7, written),
	}
	for _, it := range items {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return err
		}
		if _, err := cl.dynamodb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
			return fmt.Errorf("write a session item to %s: %w", table, err)
		}
	}

	lambdaEnv := map[string]string{ // as the stack sets them
		sessionmodel.EnvTableName: table,
		sessionmodel.EnvCluster:   names.Cluster,
		sessionmodel.EnvService:   names.ShinyService,
		sessionmodel.EnvNamespace: sessionmodel.MetricNamespace,
	}
	h, err := metricpublisher.New(cl.aws, func(k string) string { return lambdaEnv[k] }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	res, err := h.Handle(ctx, events.EventBridgeEvent{})
	if err != nil {
		return fmt.Errorf("sessionmetric handler: %w", err)
	}
	c.expect(res.RunningTasks == 0 && res.ActiveSessions == 0 && res.SessionsPerTask == 0 && res.SessionsPublished &&
		res.SessionDataMissing == 0 && res.DeletedItems == len(items),
		"handler published 0 sessions over 0 running tasks and deleted the %d items of stopped tasks (%+v)", len(items), res)
	scan, err := cl.dynamodb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if c.must(err, "scan the session table") {
		c.expect(len(scan.Items) == 0, "the session table is empty afterwards (%d items)", len(scan.Items))
	}
	if cfg.Scaling.Mode == sessionscaling.ModeSessions && len(names.Alarms) > 0 {
		alarms, err := cl.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names.Alarms[:1]})
		if c.must(err, "describe the scale-out alarm") && c.expect(len(alarms.MetricAlarms) == 1, "the scale-out alarm %s exists", names.Alarms[0]) {
			a := alarms.MetricAlarms[0]
			v, err := waitForDatapoint(ctx, cl.cw, aws.ToString(a.Namespace), aws.ToString(a.MetricName), a.Dimensions)
			c.expect(err == nil && v == 0, "the scale-out alarm's own metric and dimensions have the published datapoint (%v, %v)", v, err)
		}
	}
	for _, metric := range []string{sessionmodel.MetricActiveSessions, sessionmodel.MetricRunningTasks, sessionmodel.MetricSessionDataMissing} {
		_, err := waitForDatapoint(ctx, cl.cw, sessionmodel.MetricNamespace, metric, dimensions(names))
		c.expect(err == nil, "%s was published (%v)", metric, err)
	}
	return errors.Join(c.errs...)
}

func dimensions(names deployedNames) []cwtypes.Dimension {
	return []cwtypes.Dimension{
		{Name: aws.String(sessionmodel.DimensionCluster), Value: aws.String(names.Cluster)},
		{Name: aws.String(sessionmodel.DimensionService), Value: aws.String(names.ShinyService)},
	}
}
