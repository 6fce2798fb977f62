// Package cwlogs holds the CloudWatch Logs rules every log group of the
// project follows (the services' and the Lambda's).
package cwlogs

import "slices"

// DefaultRetentionDays is how long log groups keep events unless configured.
const DefaultRetentionDays = 30

// RetentionDays are the values CloudWatch Logs accepts for a retention
// (PutRetentionPolicy's retentionInDays).
var RetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ValidRetention tells whether CloudWatch Logs accepts days as a retention.
func ValidRetention(days int) bool { return slices.Contains(RetentionDays, days) }
