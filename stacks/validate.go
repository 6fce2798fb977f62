package stacks

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
)

var (
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	namePrefixRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,18}[a-z0-9]$`)
	domainLabelRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostedZoneRE   = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	vpcIDRE        = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDRE     = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	imageTagRE     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	bucketRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	dynamoTableRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	keyPrefixRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	retentionDays  = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	fargateCPUMems = map[int][3]int{ // cpu: {min MiB, max MiB, step MiB}
		256:   {512, 2048, 512},
		512:   {1024, 4096, 1024},
		1024:  {2048, 8192, 1024},
		2048:  {4096, 16384, 1024},
		4096:  {8192, 30720, 1024},
		8192:  {16384, 61440, 4096},
		16384: {32768, 122880, 8192},
	}
)

// Validate reports every problem at once; each names the setting, the value
// and what is allowed.
func (c Config) Validate() error {
	var errs []error
	bad := func(setting string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s = %#v: %s", setting, value, allowed))
	}

	if !regionRE.MatchString(c.Region) {
		bad("region", c.Region, "must be an AWS region such as us-east-1")
	}
	if !namePrefixRE.MatchString(c.NamePrefix) {
		bad("namePrefix", c.NamePrefix, "must be 2-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it starts ALB and target group names, which AWS limits to 32 characters)")
	}
	if !validDomain(c.Domain) {
		bad("domain", c.Domain, "must be a lowercase DNS name with at least two labels, such as shiny.example.com, without www. (www is added)")
	}
	if c.HostedZoneID != "" && !hostedZoneRE.MatchString(c.HostedZoneID) {
		bad("hostedZoneId", c.HostedZoneID, "must be empty or a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ")
	}
	if c.VpcID != "" && !vpcIDRE.MatchString(c.VpcID) {
		bad("vpcId", c.VpcID, "must be empty (the default VPC) or a VPC id such as vpc-0123456789abcdef0")
	}
	for i, s := range c.SubnetIDs {
		if !subnetIDRE.MatchString(s) {
			bad(fmt.Sprintf("subnetIds[%d]", i), s, "must be a subnet id such as subnet-0123456789abcdef0")
		}
	}
	switch {
	case c.VpcID != "" && len(c.SubnetIDs) < 2:
		bad("subnetIds", c.SubnetIDs, "must list at least two subnets (in different availability zones) when vpcId is set")
	case c.VpcID == "" && len(c.SubnetIDs) > 0:
		bad("subnetIds", c.SubnetIDs, "must be empty when vpcId is empty (the default VPC's subnets are used); set vpcId too")
	}
	if dup := firstDuplicate(c.SubnetIDs); dup != "" {
		bad("subnetIds", c.SubnetIDs, "lists "+dup+" twice")
	}
	if len(c.AllowedIngressCIDRs) == 0 {
		bad("allowedIngressCidrs", c.AllowedIngressCIDRs, "must list at least one CIDR, such as 0.0.0.0/0 or 203.0.113.0/24")
	}
	for i, cidr := range c.AllowedIngressCIDRs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil || !p.Addr().Is4() || p.Masked() != p {
			bad(fmt.Sprintf("allowedIngressCidrs[%d]", i), cidr, "must be an IPv4 CIDR with no host bits set, such as 203.0.113.0/24")
		}
	}
	if !imageTagRE.MatchString(c.ImageTag) {
		bad("imageTag", c.ImageTag, "must be a Docker tag: 1-128 letters, digits, _ . -, not starting with . or -")
	}
	if c.KeepImages < 1 || c.KeepImages > 1000 {
		bad("keepImages", c.KeepImages, "must be from 1 to 1000")
	}
	if !logoutconfig.ValidDomainPrefix(c.CognitoDomainPrefix) {
		bad("cognitoDomainPrefix", c.CognitoDomainPrefix, "must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen")
	} else {
		for _, reserved := range []string{"aws", "amazon", "cognito"} {
			if strings.Contains(c.CognitoDomainPrefix, reserved) {
				bad("cognitoDomainPrefix", c.CognitoDomainPrefix, "must not contain the reserved word "+reserved)
			}
		}
	}
	if c.AuthSessionTimeoutSeconds < 60 || c.AuthSessionTimeoutSeconds > 604800 {
		bad("authSessionTimeoutSeconds", c.AuthSessionTimeoutSeconds, "must be from 60 to 604800 (7 days)")
	}
	if c.IdleTimeoutSeconds < 1 || c.IdleTimeoutSeconds > 4000 {
		bad("idleTimeoutSeconds", c.IdleTimeoutSeconds, "must be from 1 to 4000 (the ALB's limit)")
	}
	errs = append(errs, c.Shiny.validate("shiny")...)
	errs = append(errs, c.Logout.validate("logout")...)
	errs = append(errs, c.Scaling.validate(c.Shiny.DesiredCount)...)
	if !slices.Contains(retentionDays, c.LogRetentionDays) {
		bad("logRetentionDays", c.LogRetentionDays, fmt.Sprintf("must be one of CloudWatch's values %v", retentionDays))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		v := c.Tags[k]
		switch {
		case k == "" || len(k) > 128:
			bad("tags", k, "a tag key must be 1-128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			bad("tags."+k, k, "a tag key must not start with aws: (reserved by AWS)")
		case k == "Project" || k == "Environment" || k == "ManagedBy":
			bad("tags."+k, k, "is set by the project itself (Project = namePrefix, Environment = the environment's name, ManagedBy = cdktf)")
		}
		if len(v) > 256 {
			bad("tags."+k, v, "a tag value must be at most 256 characters")
		}
	}
	errs = append(errs, c.Backend.validate()...)
	return errors.Join(errs...)
}

func (t TaskSize) validate(name string) []error {
	var errs []error
	mem, ok := fargateCPUMems[t.CPU]
	if !ok {
		errs = append(errs, fmt.Errorf("%s.cpu = %d: must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384", name, t.CPU))
	} else if t.MemoryMiB < mem[0] || t.MemoryMiB > mem[1] || (t.MemoryMiB-mem[0])%mem[2] != 0 {
		errs = append(errs, fmt.Errorf("%s.memoryMiB = %d: with cpu %d Fargate allows %d to %d MiB in steps of %d", name, t.MemoryMiB, t.CPU, mem[0], mem[1], mem[2]))
	}
	if t.DesiredCount < 1 || t.DesiredCount > 100 {
		errs = append(errs, fmt.Errorf("%s.desiredCount = %d: must be from 1 to 100", name, t.DesiredCount))
	}
	return errs
}

func (s Scaling) validate(desired int) []error {
	var errs []error
	if s.Mode != ScalingSessions && s.Mode != ScalingCPU {
		errs = append(errs, fmt.Errorf("scaling.mode = %q: must be %q (step scaling on sessions per task) or %q (CPU target tracking)", s.Mode, ScalingSessions, ScalingCPU))
	}
	if s.MinTasks < 1 || s.MinTasks > 100 {
		errs = append(errs, fmt.Errorf("scaling.minTasks = %d: must be from 1 to 100", s.MinTasks))
	}
	if s.MaxTasks < s.MinTasks || s.MaxTasks > 100 {
		errs = append(errs, fmt.Errorf("scaling.maxTasks = %d: must be from minTasks (%d) to 100", s.MaxTasks, s.MinTasks))
	}
	if desired < s.MinTasks || desired > s.MaxTasks {
		errs = append(errs, fmt.Errorf("shiny.desiredCount = %d: must be from scaling.minTasks (%d) to scaling.maxTasks (%d)", desired, s.MinTasks, s.MaxTasks))
	}
	if s.ScaleInBelow < 1 {
		errs = append(errs, fmt.Errorf("scaling.scaleInBelow = %d: must be at least 1", s.ScaleInBelow))
	}
	if s.ScaleOutAbove <= s.ScaleInBelow {
		errs = append(errs, fmt.Errorf("scaling.scaleOutAbove = %d: must be greater than scaling.scaleInBelow (%d), or the alarms fight", s.ScaleOutAbove, s.ScaleInBelow))
	}
	if s.CPUTargetPercent < 10 || s.CPUTargetPercent > 90 {
		errs = append(errs, fmt.Errorf("scaling.cpuTargetPercent = %d: must be from 10 to 90", s.CPUTargetPercent))
	}
	return errs
}

func (b Backend) validate() []error {
	var errs []error
	switch b.Type {
	case BackendLocal:
		if b.Bucket != "" {
			errs = append(errs, fmt.Errorf("backend.bucket = %q: only used with backend.type %q; set the type or remove it", b.Bucket, BackendS3))
		}
		if b.DynamoDBTable != "" {
			errs = append(errs, fmt.Errorf("backend.dynamodbTable = %q: only used with backend.type %q; set the type or remove it", b.DynamoDBTable, BackendS3))
		}
	case BackendS3:
		if !bucketRE.MatchString(b.Bucket) {
			errs = append(errs, fmt.Errorf("backend.bucket = %q: with backend.type s3, must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)", b.Bucket))
		}
		if b.DynamoDBTable != "" && !dynamoTableRE.MatchString(b.DynamoDBTable) {
			errs = append(errs, fmt.Errorf("backend.dynamodbTable = %q: must be empty (S3 lock file) or a DynamoDB table name", b.DynamoDBTable))
		}
		if !regionRE.MatchString(b.Region) {
			errs = append(errs, fmt.Errorf("backend.region = %q: must be an AWS region such as us-east-1", b.Region))
		}
	default:
		errs = append(errs, fmt.Errorf("backend.type = %q: must be %q or %q", b.Type, BackendLocal, BackendS3))
	}
	if !keyPrefixRE.MatchString(b.KeyPrefix) {
		errs = append(errs, fmt.Errorf("backend.keyPrefix = %q: must be path segments of letters, digits, _ . - separated by /", b.KeyPrefix))
	}
	return errs
}

func validDomain(d string) bool {
	if len(d) > 253 || strings.HasPrefix(d, "www.") {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !domainLabelRE.MatchString(l) {
			return false
		}
	}
	return true
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
