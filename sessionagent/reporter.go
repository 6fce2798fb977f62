package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// itemPutter is the one DynamoDB call the reporter makes.
type itemPutter interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// reporter writes this task's session item: after changes of the count
// (coalesced over a window), as a heartbeat when nothing changes, and once
// more when stopped.
type reporter struct {
	put          itemPutter
	table        string
	taskARN      string
	sessions     *sessionCounter
	notify       <-chan struct{}
	heartbeat    time.Duration
	coalesce     time.Duration
	backoff      backoff
	writeTimeout time.Duration
	log          *slog.Logger
}

// run writes the item until ctx ends, then writes it a last time.
func (r *reporter) run(ctx context.Context) {
	defer r.final(ctx)
	next := time.NewTimer(0) // first write right away
	defer next.Stop()
	failures := 0
	lastWritten := -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		case <-r.notify:
			if failures > 0 {
				continue // the pending retry writes the latest count
			}
			// Let a burst of changes settle, then write the latest count once.
			if !sleepCtx(ctx, r.coalesce) {
				return
			}
			select {
			case <-r.notify:
			default:
			}
			if r.sessions.load() == lastWritten {
				continue
			}
		}
		n := r.sessions.load()
		if err := r.write(ctx, n); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait := r.backoff.delay(failures)
			r.log.Error("write session item failed, retrying", "table", r.table, "sessions", n,
				"attempt", failures, "retry_in", wait.String(), "err", err)
			next.Reset(wait)
			continue
		}
		if failures > 0 {
			r.log.Info("write session item recovered", "table", r.table, "sessions", n, "failed_attempts", failures)
		}
		failures = 0
		lastWritten = n
		next.Reset(r.heartbeat)
	}
}

// final writes the count at shutdown, bounded by writeTimeout.
func (r *reporter) final(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout)
	defer cancel()
	n := r.sessions.load()
	if err := r.write(ctx, n); err != nil {
		r.log.Error("final session item write failed", "table", r.table, "sessions", n, "err", err)
		return
	}
	r.log.Info("final session item written", "table", r.table, "sessions", n)
}

func (r *reporter) write(ctx context.Context, n int) error {
	av, err := attributevalue.MarshalMap(sessionmodel.NewItem(r.taskARN, n, time.Now()))
	if err != nil {
		return fmt.Errorf("marshal item: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.writeTimeout)
	defer cancel()
	_, err = r.put.PutItem(ctx, &dynamodb.PutItemInput{TableName: &r.table, Item: av})
	if err == nil {
		r.log.Debug("session item written", "sessions", n)
	}
	return err
}
