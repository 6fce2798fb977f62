package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/coder/websocket"

	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// countingPutter counts PutItem calls and their failures.
type countingPutter struct {
	itemPutter
	calls, failed atomic.Int64
}

func (c *countingPutter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.calls.Add(1)
	out, err := c.itemPutter.PutItem(ctx, in, optFns...)
	if err != nil {
		c.failed.Add(1)
	}
	return out, err
}

func dynamoClient(t *testing.T, m *motoserver.Server) *dynamodb.Client {
	// No keep-alive: a pooled connection would look like a leak to checkLeaks.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DisableKeepAlives = true })
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(),
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRegion(m.Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		awsconfig.WithBaseEndpoint(m.URL),
	)
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg)
}

func createTable(t *testing.T, db *dynamodb.Client, name string) {
	t.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(sessionmodel.KeyTaskARN), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(sessionmodel.KeyTaskARN), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

// getItem reads the task's item; ok is false when there is none.
func getItem(t *testing.T, db *dynamodb.Client, table string) (item sessionmodel.Item, ok bool) {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{sessionmodel.KeyTaskARN: &types.AttributeValueMemberS{Value: testTaskARN}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return item, false
		}
		t.Fatalf("get item: %v", err)
	}
	if out.Item == nil {
		return item, false
	}
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		t.Fatal(err)
	}
	return item, true
}

func itemSessions(t *testing.T, db *dynamodb.Client, table string) int {
	if it, ok := getItem(t, db, table); ok {
		return it.Sessions
	}
	return -1
}

// startReporter runs r until the test ends (or stop is called) and waits for it.
func startReporter(t *testing.T, r *reporter) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func TestAgainstMoto(t *testing.T) {
	m := motoserver.StartT(t)
	db := dynamoClient(t, m)
	fastBackoff := backoff{10 * time.Millisecond, 100 * time.Millisecond}
	var tables atomic.Int64
	newTable := func(t *testing.T) string {
		name := fmt.Sprintf("sessions-%d", tables.Add(1))
		createTable(t, db, name)
		return name
	}
	newReporter := func(t *testing.T, table string, sessions *sessionCounter, heartbeat, coalesce time.Duration) (*reporter, *countingPutter, *logBuffer) {
		log, logs := testLogger(t)
		cp := &countingPutter{itemPutter: db}
		return &reporter{
			put: cp, table: table, taskARN: testTaskARN, sessions: sessions, notify: sessions.subscribe(),
			heartbeat: heartbeat, coalesce: coalesce, backoff: fastBackoff, writeTimeout: 5 * time.Second, log: log,
		}, cp, logs
	}

	t.Run("item follows the sessions", func(t *testing.T) {
		checkLeaks(t)
		table := newTable(t)
		b := newBackend(t)
		a, srv, _ := newTestProxy(t, b.URL)
		meta := newMetadataStandIn(t, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()

		metaClient := testClient(t)
		md, err := fetchTaskMetadata(ctx, metaClient, meta.URI(), fastBackoff, a.log)
		arn := md.TaskARN
		if err != nil || arn != testTaskARN || md.TaskDefinition() != "shiny:3" {
			t.Fatalf("task metadata %+v, %v", md, err)
		}
		if meta.hits.Load() != 3 {
			t.Fatalf("metadata endpoint asked %d times, want 3 (two 503s, then the answer)", meta.hits.Load())
		}

		r, cp, _ := newReporter(t, table, a.sessions, time.Hour, 50*time.Millisecond)
		r.taskARN = arn
		stop := startReporter(t, r)
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 0 }, "no initial item")

		client := testClient(t)
		c1 := dialWS(t, ctx, srv.URL, client)
		c2 := dialWS(t, ctx, srv.URL, client)
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 2 }, "item shows %d sessions, want 2", itemSessions(t, db, table))
		it, _ := getItem(t, db, table)
		if it.TaskARN != testTaskARN || it.ExpiresAt-it.UpdatedAt != int64(sessionmodel.TTL/time.Second) {
			t.Fatalf("item %+v: want the task ARN and expires_at = updated_at + TTL", it)
		}
		if age := time.Since(time.Unix(it.UpdatedAt, 0)); age < -2*time.Second || age > 30*time.Second {
			t.Fatalf("updated_at %d is not now", it.UpdatedAt)
		}
		c1.Close(websocket.StatusNormalClosure, "")
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 1 }, "item shows %d sessions, want 1", itemSessions(t, db, table))
		c2.Close(websocket.StatusNormalClosure, "")
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 0 }, "item shows %d sessions, want 0", itemSessions(t, db, table))

		// Only the stop's own write counts here: an earlier write that moto
		// failed under load was retried, and the item above shows it landed.
		before, failedBefore := cp.calls.Load(), cp.failed.Load()
		stop()
		if after, failed := cp.calls.Load(), cp.failed.Load()-failedBefore; after != before+1 || failed != 0 {
			t.Fatalf("stopping made %d writes (%d failed), want one final write", after-before, failed)
		}
	})

	t.Run("heartbeat", func(t *testing.T) {
		checkLeaks(t)
		table := newTable(t)
		const heartbeat = 100 * time.Millisecond
		r, cp, _ := newReporter(t, table, &sessionCounter{}, heartbeat, 10*time.Millisecond)
		start := time.Now()
		startReporter(t, r)
		eventually(t, 10*time.Second, func() bool { return cp.calls.Load() >= 4 }, "%d writes, want heartbeats", cp.calls.Load())
		elapsed := time.Since(start)
		if n := cp.calls.Load(); n > int64(elapsed/heartbeat)+2 {
			t.Fatalf("%d writes in %v with nothing changing: more than heartbeats", n, elapsed)
		}
		if itemSessions(t, db, table) != 0 {
			t.Fatal("heartbeat item does not show 0 sessions")
		}
	})

	t.Run("coalescing", func(t *testing.T) {
		checkLeaks(t)
		table := newTable(t)
		sessions := &sessionCounter{}
		const window = 300 * time.Millisecond
		r, cp, _ := newReporter(t, table, sessions, time.Hour, window)
		startReporter(t, r)
		eventually(t, 10*time.Second, func() bool { return cp.calls.Load() == 1 && itemSessions(t, db, table) == 0 }, "no initial write")
		// 30 changes spread over ~150ms, well within one window.
		for i := range 30 {
			if i%3 == 2 {
				sessions.add(-1)
			} else {
				sessions.add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 10 }, "item does not show the latest count")
		time.Sleep(2 * window) // give extra writes, if any, the chance to happen
		if n := cp.calls.Load(); n > 3 {
			t.Fatalf("30 rapid changes made %d writes, want them coalesced (at most 3 in all)", n)
		}
	})

	t.Run("DynamoDB outage", func(t *testing.T) {
		checkLeaks(t)
		table := fmt.Sprintf("not-yet-%d", tables.Add(1))
		b := newBackend(t)
		a, srv, _ := newTestProxy(t, b.URL)
		r, cp, logs := newReporter(t, table, a.sessions, time.Hour, 10*time.Millisecond)
		startReporter(t, r)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		client := testClient(t)

		eventually(t, 10*time.Second, func() bool { return cp.failed.Load() >= 3 }, "failed write not retried")
		// Traffic goes on while writes fail.
		c := dialWS(t, ctx, srv.URL, client)
		defer c.CloseNow()
		echo(t, ctx, c, "during the outage")
		resp, err := client.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.Contains(logs.String(), "ResourceNotFoundException") || !strings.Contains(logs.String(), "write session item failed") {
			t.Fatalf("the failure is not logged:\n%s", logs.String())
		}

		createTable(t, db, table)
		eventually(t, 10*time.Second, func() bool { return itemSessions(t, db, table) == 1 }, "item not written after the table appeared")
		eventually(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "write session item recovered") }, "recovery not logged")
	})

	t.Run("run end to end", func(t *testing.T) {
		checkLeaks(t)
		table := newTable(t)
		testRunEndToEnd(t, m.Env(), db, table)
	})

	t.Run("drain", func(t *testing.T) {
		checkLeaks(t)
		setUpServices(t, ecsClient(t, m))
		testRunDrain(t, m.Env(), newTable(t))
	})
}
