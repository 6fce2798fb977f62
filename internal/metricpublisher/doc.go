// Package metricpublisher is the sessionmetric Lambda's logic, importable so
// it can run in process as well as behind lambda.Start: every minute it turns
// the session table written by the session sidecars into the CloudWatch
// metrics the ECS service scales on: SessionsPerTask, ActiveSessions and
// RunningTasks. It also deletes the items of tasks that no longer run.
//
// [New] reads and validates the configuration from the environment and builds
// the AWS SDK clients once; [Handler.Run] performs one invocation and returns
// the published figures. The command sessionmetric wraps it for Lambda.
package metricpublisher
