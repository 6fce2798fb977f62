// Command sessionagent is the session sidecar of the Shiny ECS task.
//
// It runs as a second container in the Shiny task (awsvpc networking, so both
// containers share 127.0.0.1). The ALB target group points at the sidecar's
// port (SESSION_AGENT_PORT, default sessionmodel.AgentPort); the sidecar
// reverse-proxies every request to the Shiny server (SHINY_UPSTREAM_URL,
// default port sessionmodel.ShinyPort on 127.0.0.1) and counts open Shiny
// sessions. Shiny uses one websocket per browser session, so a session is a
// request with "Upgrade: websocket" that the Shiny server answered with 101
// Switching Protocols; it lasts until the upgraded connection ends, whichever
// side ends it, cleanly or not, or until the sidecar closes it after
// SESSION_IDLE_TIMEOUT_MINUTES without a user's message (wsframes.go says
// what counts as one).
//
// From the count it
//   - writes the task's item (sessionmodel.NewItem) to the DynamoDB table
//     SESSION_TABLE_NAME on every change (changes within one second are
//     coalesced into one write of the latest count) and every
//     sessionmodel.Heartbeat, so the sessionmetric Lambda can publish sessions
//     per task for autoscaling. The task ARN comes from the task metadata
//     endpoint ${ECS_CONTAINER_METADATA_URI_V4}/task. Without that variable
//     (a local run) reporting is off.
//   - keeps ECS task scale-in protection on while at least one session is open
//     (PUT ${ECS_AGENT_URI}/task-protection/v1/state, ExpiresInMinutes
//     SESSION_PROTECTION_MINUTES, refreshed every half of that), and turns it
//     off SESSION_PROTECTION_GRACE (default 30s) after the last session ended,
//     so a browser reload does not flap it. Without ECS_AGENT_URI protection is
//     off. decideProtection is the decision, protector.run the loop around it.
//   - drains: once the service (ECS_CLUSTER_NAME, ECS_SERVICE_NAME) deploys
//     another task definition than this task's, protection ends for good
//     SESSION_DRAIN_MINUTES later (drain.go).
//
// DynamoDB, ECS and the agent endpoint are called only from background
// goroutines; their failures are logged and retried with capped, jittered
// exponential backoff. The request path only changes an atomic counter and
// does a non-blocking notify, so user traffic never waits for them.
//
// Health: GET /__sessionagent/healthz (every path under /__sessionagent/ is
// answered by the sidecar and never proxied) tells whether the task can
// serve: Shiny answering, or accepting connections without answering for
// less than SHINY_BUSY_GRACE_SECONDS (R computing), is healthy; a refused
// connection is unhealthy at once (health.go). `sessionagent -healthcheck`
// requests it and exits 0 or 1, for a container health check in an image
// without curl.
//
// Per-client limits (proxy.go): SESSION_MAX_PER_USER websockets per
// x-amzn-oidc-identity, a cap on requests in flight to Shiny, a deadline for
// plain request bodies, websocket as the only upgrade.
//
// On SIGTERM (ECS is stopping the task) the sidecar stops accepting
// connections, lets in-flight plain HTTP requests finish (up to 10s), writes
// a final item with the count at that moment, then closes the remaining
// websockets and exits. It does not turn protection off: the task is going
// away, and an item that is no longer refreshed stops counting after
// sessionmodel.StaleAfter.
//
// All configuration, AWS's included, is read through the getenv given to
// run (awsconfig.go). Logs are JSON (log/slog) on stdout; errors under the
// key "err". README.md has the table of settings.
package main
