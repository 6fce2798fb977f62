// Package metricpublisher is the sessionmetric Lambda's logic, importable so
// it can run in process as well as behind lambda.Start: every minute it turns
// the session table written by the session sidecars into the CloudWatch
// metrics the ECS service scales on: SessionsPerTask, ActiveSessions,
// RunningTasks and SessionDataMissing. It also deletes the items of tasks
// that no longer run.
//
// An unknown session count never passes for zero: when a running task's item
// is stale, undecodable or missing beyond the startup grace, SessionsPerTask
// and ActiveSessions are not published (scaling on sessions holds still), a
// warning names the tasks and why, and SessionDataMissing counts them.
//
// [New] takes an explicit aws.Config and getenv, reads and validates the
// configuration and builds the AWS SDK clients once; [Handler.Run] performs
// one invocation and returns the published figures. The command
// sessionmetric wraps it for Lambda. The decision is the pure function
// compute; the handler only reads, publishes and writes.
package metricpublisher
