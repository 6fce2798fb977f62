// Package sessionmodel is the one definition of how Shiny sessions are
// recorded and published. The app stack (table, IAM, alarms), the session
// sidecar (writer) and the sessionmetric Lambda (reader, publisher) all import
// it, so names never have to be kept aligned by hand.
package sessionmodel

import "time"

// DynamoDB table layout: one item per running Shiny task.
const (
	// KeyTaskARN is the table's partition key (type S): the ECS task ARN, as
	// reported by the task metadata endpoint and by ecs:ListTasks.
	KeyTaskARN = "task_arn"
	// AttrSessions (type N) is the number of open websocket sessions in the task.
	AttrSessions = "sessions"
	// AttrUpdatedAt (type N) is when the sidecar last wrote the item, Unix seconds.
	AttrUpdatedAt = "updated_at"
	// AttrExpiresAt (type N) is the table's TTL attribute, Unix seconds.
	AttrExpiresAt = "expires_at"
	// AttrFirstSeenAt (type N, Unix seconds) is the attribute of a marker
	// item: the sessionmetric Lambda writes {task_arn, first_seen_at} for a
	// running task that has no item yet, so that a later invocation knows
	// how long the task has run without its sidecar writing. The sidecar's
	// first PutItem replaces the marker.
	AttrFirstSeenAt = "first_seen_at"
)

// CloudWatch metrics published by the sessionmetric Lambda.
const (
	MetricNamespace       = "ShinyApp/Sessions"
	MetricSessionsPerTask = "SessionsPerTask"
	MetricActiveSessions  = "ActiveSessions"
	MetricRunningTasks    = "RunningTasks"
	// MetricSessionDataMissing is the number of running tasks whose session
	// count is unknown (stale, undecodable or missing item). While it is
	// above 0, SessionsPerTask and ActiveSessions are not published, so
	// scaling on sessions holds still; alarm on it to learn that the sidecars
	// cannot write (a DynamoDB or IAM problem).
	MetricSessionDataMissing = "SessionDataMissing"
	DimensionCluster         = "ClusterName"
	DimensionService         = "ServiceName"
)

// Timing shared by the writer and the reader.
const (
	// Heartbeat is how often the sidecar rewrites its item when nothing changes.
	Heartbeat = 30 * time.Second
	// StaleAfter is the age after which an item no longer counts: several
	// missed heartbeats mean the task is gone or cannot write.
	StaleAfter = 3 * Heartbeat
	// TTL is how long after its last write DynamoDB may delete an item on its own.
	TTL = 15 * time.Minute
)

// Environment variable names through which the stack passes the above to the
// programs, so a program never guesses a table or a dimension.
const (
	EnvTableName  = "SESSION_TABLE_NAME"
	EnvCluster    = "ECS_CLUSTER_NAME"
	EnvService    = "ECS_SERVICE_NAME"
	EnvNamespace  = "METRIC_NAMESPACE"
	EnvStaleAfter = "SESSION_STALE_AFTER"
)

// Item is one task's record in the session table.
type Item struct {
	TaskARN   string `dynamodbav:"task_arn"`
	Sessions  int    `dynamodbav:"sessions"`
	UpdatedAt int64  `dynamodbav:"updated_at"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// NewItem returns the item a task writes at time now.
func NewItem(taskARN string, sessions int, now time.Time) Item {
	return Item{
		TaskARN:   taskARN,
		Sessions:  sessions,
		UpdatedAt: now.Unix(),
		ExpiresAt: now.Add(TTL).Unix(),
	}
}

// Environment variables of the session sidecar (sessionagent), set by the app stack.
const (
	// EnvAgentPort is the port the sidecar listens on; the target group points at it.
	EnvAgentPort = "SESSION_AGENT_PORT"
	// EnvUpstreamURL is the Shiny server inside the task, e.g. http://127.0.0.1:3838.
	EnvUpstreamURL = "SHINY_UPSTREAM_URL"
)

// AgentHealthPath is answered by the sidecar itself (never proxied): 200 when
// the Shiny server answers. The Shiny target group's health check uses it.
const AgentHealthPath = "/__sessionagent/healthz"

// Headers the ALB adds to every request it forwards after Cognito sign-in
// ("Authenticate users using an Application Load Balancer"): the signed
// claims (a JWT), the user's subject, and the access token. The sidecar caps
// sessions per identity; make local's edge sets all three.
const (
	HeaderOIDCData        = "X-Amzn-Oidc-Data"
	HeaderOIDCIdentity    = "X-Amzn-Oidc-Identity"
	HeaderOIDCAccessToken = "X-Amzn-Oidc-Accesstoken"
)
