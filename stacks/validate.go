package stacks

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/internal/awsid"
	"github.com/shinyfargate/shiny-cdktf/internal/check"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

var (
	namePrefixRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,18}[a-z0-9]$`)
	vpcIDRE      = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDRE   = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	imageTagRE   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	keyPrefixRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
)

// MaxKeepImages bounds keepImages.
const MaxKeepImages = 1000

// Validate reports every problem at once, in the order of the settings; each
// names the setting, the value and what is allowed. The constructs validate
// their own settings; this adds the stack's own and those that span them.
func (c Config) Validate() error {
	p := check.New("")
	if err := awsid.CheckRegion(c.Region); err != nil {
		p.Add("region", c.Region, err.Error())
	}
	if !namePrefixRE.MatchString(c.NamePrefix) {
		p.Add("namePrefix", c.NamePrefix, "must be 2-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it starts ALB and target group names, which AWS limits to 32 characters)")
	}
	p.Include(c.Settings.Validate())
	if c.VpcID != "" && !vpcIDRE.MatchString(c.VpcID) {
		p.Add("vpcId", c.VpcID, "must be empty (the default VPC) or a VPC id such as vpc-0123456789abcdef0")
	}
	for i, s := range c.SubnetIDs {
		if !subnetIDRE.MatchString(s) {
			p.Add(fmt.Sprintf("subnetIds[%d]", i), s, "must be a subnet id such as subnet-0123456789abcdef0")
		}
	}
	switch {
	case c.VpcID != "" && len(c.SubnetIDs) < 2:
		p.Add("subnetIds", c.SubnetIDs, "must list at least two subnets (in different availability zones) when vpcId is set")
	case c.VpcID == "" && len(c.SubnetIDs) > 0:
		p.Add("subnetIds", c.SubnetIDs, "must be empty when vpcId is empty (the default VPC's subnets are used); set vpcId too")
	}
	if dup := firstDuplicate(c.SubnetIDs); dup != "" {
		p.Add("subnetIds", c.SubnetIDs, "lists "+dup+" twice")
	}
	c.validateTaskSubnets(p)
	if !imageTagRE.MatchString(c.ImageTag) {
		p.Add("imageTag", c.ImageTag, "must be a Docker tag: 1-128 letters, digits, _ . -, not starting with . or -")
	}
	if c.KeepImages < 1 || c.KeepImages > MaxKeepImages {
		p.Add("keepImages", c.KeepImages, fmt.Sprintf("must be from 1 to %d", MaxKeepImages))
	}
	shiny, logout, scaling := check.New("shiny."), check.New("logout."), check.New("scaling.")
	shiny.Include(c.Shiny.Size.Validate())
	shiny.Include(c.Shiny.AppSettings.Validate(slices.Sorted(maps.Keys(ShinyContainerEnvironment()))...))
	if c.Shiny.DesiredCount < c.Scaling.MinTasks || c.Shiny.DesiredCount > c.Scaling.MaxTasks {
		shiny.Add("desiredCount", c.Shiny.DesiredCount, fmt.Sprintf("must be from scaling.minTasks (%d) to scaling.maxTasks (%d): autoscaling keeps the count in that range", c.Scaling.MinTasks, c.Scaling.MaxTasks))
	}
	c.Shiny.validateBuild(shiny)
	logout.Include(c.Logout.Validate())
	scaling.Include(c.Scaling.Validate())
	for _, sub := range []*check.Problems{shiny, logout, scaling} {
		p.Include(sub.Err())
	}
	for _, s := range c.agentSettings() {
		p.Include(s.ConfigError(s.Value))
	}
	if !cwlogs.ValidRetention(c.LogRetentionDays) {
		p.Add("logRetentionDays", c.LogRetentionDays, fmt.Sprintf("must be one of CloudWatch's values %v", cwlogs.RetentionDays))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		v := c.Tags[k]
		switch {
		case k == "" || len(k) > 128:
			p.Add("tags", k, "a tag key must be 1-128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			p.Add("tags."+k, k, "a tag key must not start with aws: (reserved by AWS)")
		case k == "Project" || k == "Environment" || k == "ManagedBy":
			p.Add("tags."+k, k, "is set by the project itself (Project = namePrefix, Environment = the environment's name, ManagedBy = cdktf)")
		}
		if len(v) > 256 {
			p.Add("tags."+k, v, "a tag value must be at most 256 characters")
		}
	}
	alertsP, logsP, wafP := check.New("alerts."), check.New("accessLogs."), check.New("waf.")
	alertsP.Include(c.Alerts.Validate())
	if parts := strings.Split(c.Alerts.TopicARN, ":"); len(parts) > 3 && parts[3] != c.Region {
		alertsP.Add("topicArn", c.Alerts.TopicARN, fmt.Sprintf("must be a topic in the stack's region %s (CloudWatch alarms notify topics of their own region only)", c.Region))
	}
	logsP.Include(c.AccessLogs.Validate())
	wafP.Include(c.WAF.Validate())
	for _, sub := range []*check.Problems{alertsP, logsP, wafP} {
		p.Include(sub.Err())
	}
	backend := check.New("backend.")
	c.Backend.validate(backend)
	p.Include(backend.Err())
	return p.Err()
}

func (b Backend) validate(p *check.Problems) {
	switch b.Type {
	case BackendLocal:
		if b.Bucket != "" {
			p.Add("bucket", b.Bucket, fmt.Sprintf("only used with backend.type %q; set the type or remove it", BackendS3))
		}
		if b.DynamoDBTable != "" {
			p.Add("dynamodbTable", b.DynamoDBTable, fmt.Sprintf("only used with backend.type %q; set the type or remove it", BackendS3))
		}
	case BackendS3:
		if !awsid.ValidBucketName(b.Bucket) {
			p.Add("bucket", b.Bucket, "with backend.type s3, must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
		}
		if b.DynamoDBTable != "" {
			if err := sessionmodel.ValidTableName(b.DynamoDBTable); err != nil {
				p.Add("dynamodbTable", b.DynamoDBTable, "must be empty (S3 lock file) or "+strings.TrimPrefix(err.Error(), "must be "))
			}
		}
		if err := awsid.CheckRegion(b.Region); err != nil {
			p.Add("region", b.Region, err.Error())
		}
	default:
		p.Add("type", b.Type, fmt.Sprintf("must be %q or %q", BackendLocal, BackendS3))
	}
	if !keyPrefixRE.MatchString(b.KeyPrefix) {
		p.Add("keyPrefix", b.KeyPrefix, "must be path segments of letters, digits, _ . - separated by /")
	}
}

// validateTaskSubnets checks what can be checked without AWS; the plan
// checks that they are in vpcId and span two availability zones
// (taskSubnetChecks).
func (c Config) validateTaskSubnets(p *check.Problems) {
	if len(c.TaskSubnetIDs) == 0 {
		return
	}
	if c.VpcID == "" {
		p.Add("taskSubnetIds", c.TaskSubnetIDs, "must be empty when vpcId is empty (the default VPC has no private subnets); set vpcId and subnetIds too")
	}
	for i, s := range c.TaskSubnetIDs {
		if !subnetIDRE.MatchString(s) {
			p.Add(fmt.Sprintf("taskSubnetIds[%d]", i), s, "must be a subnet id such as subnet-0123456789abcdef0")
		}
	}
	if len(c.TaskSubnetIDs) < 2 {
		p.Add("taskSubnetIds", c.TaskSubnetIDs, "must list at least two subnets (in different availability zones), or none to use subnetIds")
	}
	if dup := firstDuplicate(c.TaskSubnetIDs); dup != "" {
		p.Add("taskSubnetIds", c.TaskSubnetIDs, "lists "+dup+" twice")
	}
}

func firstDuplicate(xs []string) string {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}
