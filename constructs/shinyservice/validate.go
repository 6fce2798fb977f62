package shinyservice

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
)

var (
	containerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$`)
	serviceNameRE   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// Validate reports every problem with the props at once, in field order.
func (p Props) Validate() error {
	c := check.New("")
	bad := c.Add
	if !serviceNameRE.MatchString(p.Name) {
		bad("Name", p.Name, "must be lowercase letters, digits and hyphens, starting with a letter")
	}
	if p.NamePrefix == "" {
		bad("NamePrefix", p.NamePrefix, "is required")
	}
	if n := len(p.NamePrefix) + 1 + len(p.Name) + len("-execution"); n > 64 {
		bad("Name", p.Name, fmt.Sprintf("NamePrefix-Name-execution is %d characters; IAM role names allow 64", n))
	}
	c.Require("Region", p.Region)
	c.Require("ClusterARN", p.ClusterARN)
	c.Require("VpcID", p.VpcID)
	c.Require("ALBSecurityGroupID", p.ALBSecurityGroupID)
	if len(p.SubnetIDs) == 0 {
		bad("SubnetIDs", p.SubnetIDs, "must list at least one subnet")
	}
	if len(p.ImageRepositoryARNs) == 0 {
		bad("ImageRepositoryARNs", p.ImageRepositoryARNs, "must list the repositories the images come from")
	}
	if len(p.Containers) == 0 {
		bad("Containers", p.Containers, "must have at least one container")
	}
	names := map[string]bool{}
	for i, c := range p.Containers {
		if !containerNameRE.MatchString(c.Name) {
			bad(fmt.Sprintf("Containers[%d].Name", i), c.Name, "must be 1-255 letters, digits, _ and -")
		}
		if names[c.Name] {
			bad(fmt.Sprintf("Containers[%d].Name", i), c.Name, "is used twice")
		}
		names[c.Name] = true
		if c.Image == "" {
			bad(fmt.Sprintf("Containers[%d].Image", i), c.Image, "is required")
		}
		if c.HealthCheckStartPeriod < 0 || c.HealthCheckStartPeriod > 300*time.Second {
			bad(fmt.Sprintf("Containers[%d].HealthCheckStartPeriod", i), c.HealthCheckStartPeriod, "must be from 0 to 300s (the ECS limit)")
		}
		if c.Port < 0 || c.Port > 65535 {
			bad(fmt.Sprintf("Containers[%d].Port", i), c.Port, "must be from 1 to 65535, or 0 for none")
		}
	}
	for i, c := range p.Containers {
		for _, d := range c.DependsOnHealthy {
			if !names[d] || d == c.Name {
				bad(fmt.Sprintf("Containers[%d].DependsOnHealthy", i), d, "must name another container of the task")
			} else if len(p.container(d).HealthCheck) == 0 {
				bad(fmt.Sprintf("Containers[%d].DependsOnHealthy", i), d, "names a container without a HealthCheck, which never becomes HEALTHY")
			}
		}
	}
	if t := p.container(p.TargetContainer); t.Name == "" || t.Port == 0 {
		bad("TargetContainer", p.TargetContainer, "must name a container with a Port")
	}
	c.Include(p.Size.Validate())
	if !strings.HasPrefix(p.HealthCheckPath, "/") {
		bad("HealthCheckPath", p.HealthCheckPath, "must start with /")
	}
	if !cwlogs.ValidRetention(p.LogRetentionDays) {
		bad("LogRetentionDays", p.LogRetentionDays, fmt.Sprintf("must be one of CloudWatch's values %v", cwlogs.RetentionDays))
	}
	if p.HealthCheckGracePeriod < 0 || p.HealthCheckGracePeriod > 2147483647*time.Second {
		bad("HealthCheckGracePeriod", p.HealthCheckGracePeriod, "must be from 0 to 2147483647s")
	}
	if p.DeregistrationDelay < 0 || p.DeregistrationDelay > time.Hour {
		bad("DeregistrationDelay", p.DeregistrationDelay, "must be from 0 to 3600s")
	}
	if p.RoutingAlgorithm != "" && p.RoutingAlgorithm != AlgorithmRoundRobin && p.RoutingAlgorithm != AlgorithmLeastOutstandingRequests {
		bad("RoutingAlgorithm", p.RoutingAlgorithm, fmt.Sprintf("must be %q or %q", AlgorithmRoundRobin, AlgorithmLeastOutstandingRequests))
	}
	if p.StickinessDuration != 0 && (p.StickinessDuration < time.Second || p.StickinessDuration > 7*24*time.Hour) {
		bad("StickinessDuration", p.StickinessDuration, "must be 0 (off) or from 1s to 7 days")
	}
	return c.Err()
}
