package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Drain: a rollout replaces tasks only once they are unprotected, so a task
// that runs an outdated task definition must not keep its protection for
// ever. The watcher compares the task's own task definition (family and
// revision, from the task metadata endpoint) with the one the service's
// PRIMARY deployment runs (ecs:DescribeServices); from the moment it learns
// that they differ, the protector keeps protection at most Drain longer.

// servicesDescriber is the one ECS call the watcher makes.
type servicesDescriber interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// nextOutdatedSince is the pure decision: given when the task first learned it
// is outdated (zero: it has not), whether it is outdated now, and the time,
// it returns the new "outdated since". A service that deploys this task's
// definition again (a rollback) makes the task current again.
func nextOutdatedSince(outdatedSince time.Time, outdated bool, now time.Time) time.Time {
	switch {
	case !outdated:
		return time.Time{}
	case outdatedSince.IsZero():
		return now
	default:
		return outdatedSince
	}
}

// deploymentWatcher polls the service and publishes the drain deadline.
type deploymentWatcher struct {
	ecs      servicesDescriber
	cluster  string
	service  string
	own      string // "family:revision" of this task
	drain    time.Duration
	interval time.Duration
	log      *slog.Logger

	since  atomic.Int64 // Unix nanoseconds this task learned it is outdated; 0: current
	notify chan struct{}
}

func newDeploymentWatcher(c servicesDescriber, cluster, service, own string, drain, interval time.Duration, log *slog.Logger) *deploymentWatcher {
	return &deploymentWatcher{ecs: c, cluster: cluster, service: service, own: own, drain: drain, interval: interval, log: log,
		notify: make(chan struct{}, 1)}
}

// deadline is when protection must end for good; zero while the task is current.
func (w *deploymentWatcher) deadline() time.Time {
	ns := w.since.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).Add(w.drain)
}

// run polls until ctx ends; failed polls are logged and retried at the next one.
func (w *deploymentWatcher) run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		primary, err := w.primaryTaskDefinition(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("cannot read the service's deployment, retrying", "cluster", w.cluster, "service", w.service,
				"retry_in", w.interval.String(), "err", err)
		} else {
			w.update(primary, time.Now())
		}
		t.Reset(w.interval)
	}
}

func (w *deploymentWatcher) update(primary string, now time.Time) {
	var old time.Time
	if ns := w.since.Load(); ns != 0 {
		old = time.Unix(0, ns)
	}
	since := nextOutdatedSince(old, primary != w.own, now)
	if since.Equal(old) {
		return
	}
	if since.IsZero() {
		w.since.Store(0)
		w.log.Info("the service deploys this task's definition again: no drain", "task_definition", w.own)
	} else {
		w.since.Store(since.UnixNano())
		w.log.Info("the service deploys another task definition: this task drains", "task_definition", w.own,
			"service_deploys", primary, "protection_ends_by", since.Add(w.drain).UTC().Format(time.RFC3339))
	}
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// primaryTaskDefinition returns "family:revision" of the service's PRIMARY deployment.
func (w *deploymentWatcher) primaryTaskDefinition(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(w.cluster), Services: []string{w.service}})
	if err != nil {
		return "", err
	}
	if len(out.Services) != 1 {
		if len(out.Failures) > 0 {
			return "", fmt.Errorf("service %s/%s: %s", w.cluster, w.service, aws.ToString(out.Failures[0].Reason))
		}
		return "", fmt.Errorf("service %s/%s not found", w.cluster, w.service)
	}
	for _, d := range out.Services[0].Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return taskDefinitionOf(aws.ToString(d.TaskDefinition))
		}
	}
	return "", errors.New("the service has no PRIMARY deployment")
}

// taskDefinitionOf turns a task definition ARN
// (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION) into
// "FAMILY:REVISION".
func taskDefinitionOf(arn string) (string, error) {
	_, rest, ok := strings.Cut(arn, ":task-definition/")
	if !ok || !strings.Contains(rest, ":") {
		return "", fmt.Errorf("not a task definition ARN: %q", arn)
	}
	return rest, nil
}
