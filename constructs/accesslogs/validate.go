package accesslogs

import (
	"fmt"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/internal/awsid"
	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// MaxRetentionDays bounds retentionDays: ten years.
const MaxRetentionDays = 3650

// Validate reports every problem with the settings, in field order, named
// as in the stack configuration (bucket, ...).
func (s Settings) Validate() error {
	p := check.New("")
	if !s.Enabled {
		if s.Bucket != "" {
			p.Add("bucket", s.Bucket, "is only used with accessLogs.enabled true; set it or remove the bucket")
		}
	}
	if s.Bucket != "" && !awsid.ValidBucketName(s.Bucket) {
		p.Add("bucket", s.Bucket, "must be empty (the stack creates a bucket) or an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens")
	}
	if s.RetentionDays < 1 || s.RetentionDays > MaxRetentionDays {
		p.Add("retentionDays", s.RetentionDays, fmt.Sprintf("must be from 1 to %d", MaxRetentionDays))
	}
	return p.Err()
}

// Validate reports every problem with the props at once.
func (p Props) Validate() error {
	c := check.New("")
	s := p.Settings
	s.Enabled = true
	c.Include(s.Validate())
	c.Require("NamePrefix", p.NamePrefix)
	if err := awsid.CheckRegion(p.Region); err != nil {
		c.Add("Region", p.Region, err.Error())
	}
	if strings.Contains(p.NamePrefix, "AWSLogs") {
		c.Add("NamePrefix", p.NamePrefix, "must not contain AWSLogs (ELB refuses such log prefixes)")
	}
	return c.Err()
}
