// Command sessionagent is the session sidecar of the Shiny ECS task.
//
// It runs as a second container in the Shiny task (awsvpc networking, so both
// containers share 127.0.0.1). The ALB target group points at the sidecar's
// port (SESSION_AGENT_PORT, default 8080); the sidecar reverse-proxies every
// request to the Shiny server (SHINY_UPSTREAM_URL, default
// http://127.0.0.1:3838) and counts open Shiny sessions. Shiny uses one
// websocket per browser session, so a session is a request with
// "Upgrade: websocket" that the Shiny server answered with 101 Switching
// Protocols; it lasts until the upgraded connection ends, whichever side ends
// it, cleanly or not.
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
//     off.
//
// DynamoDB and the agent endpoint are called only from background goroutines;
// their failures are logged and retried with capped, jittered exponential
// backoff. The request path only changes an atomic counter and does a
// non-blocking notify, so user traffic never waits for them.
//
// Health: GET /__sessionagent/healthz (this exact path is answered by the
// sidecar and never proxied) returns 200 when the Shiny server answers GET /
// with a status below 500 within 2 seconds, else 503. Point the target
// group's health check at it. `sessionagent -healthcheck` requests it on
// 127.0.0.1 and exits 0 or 1, for a container health check in an image
// without curl.
//
// On SIGTERM (ECS is stopping the task) the sidecar stops accepting
// connections, lets in-flight plain HTTP requests finish (up to 10s), writes
// a final item with the count at that moment, then closes the remaining
// websockets and exits. It does not turn protection off: the task is going
// away, and an item that is no longer refreshed stops counting after
// sessionmodel.StaleAfter.
//
// Logs are JSON (log/slog) on stdout.
package main
