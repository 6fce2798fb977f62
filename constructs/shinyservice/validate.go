package shinyservice

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	containerNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$`)
	serviceNameRE   = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// validate reports every problem with the props at once.
func (p Props) validate() error {
	var errs []error
	bad := func(field string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s = %#v: %s", field, value, allowed))
	}
	if !serviceNameRE.MatchString(p.Name) {
		bad("Name", p.Name, "must be lowercase letters, digits and hyphens, starting with a letter")
	}
	if p.NamePrefix == "" {
		bad("NamePrefix", p.NamePrefix, "is required")
	}
	if n := len(p.NamePrefix) + 1 + len(p.Name); n > 32 {
		bad("Name", p.Name, fmt.Sprintf("NamePrefix-Name is %d characters; target group names allow 32", n))
	}
	for field, v := range map[string]string{"Region": p.Region, "ClusterARN": p.ClusterARN, "VpcID": p.VpcID, "ALBSecurityGroupID": p.ALBSecurityGroupID} {
		if v == "" {
			bad(field, v, "is required")
		}
	}
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
			bad(fmt.Sprintf("Containers[%d].HealthCheckStartPeriod", i), c.HealthCheckStartPeriod.String(), "must be from 0 to 300s (the ECS limit)")
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
	if p.CPU <= 0 || p.MemoryMiB <= 0 {
		bad("CPU/MemoryMiB", fmt.Sprintf("%d/%d", p.CPU, p.MemoryMiB), "must be a Fargate CPU/memory pair")
	}
	if p.DesiredCount < 0 {
		bad("DesiredCount", p.DesiredCount, "must not be negative")
	}
	if !strings.HasPrefix(p.HealthCheckPath, "/") {
		bad("HealthCheckPath", p.HealthCheckPath, "must start with /")
	}
	if p.HealthCheckGracePeriod < 0 || p.HealthCheckGracePeriod > 2147483647*time.Second {
		bad("HealthCheckGracePeriod", p.HealthCheckGracePeriod.String(), "must be from 0 to 2147483647s")
	}
	if p.DeregistrationDelay < 0 || p.DeregistrationDelay > time.Hour {
		bad("DeregistrationDelay", p.DeregistrationDelay.String(), "must be from 0 to 3600s")
	}
	if p.StickinessDuration != 0 && (p.StickinessDuration < time.Second || p.StickinessDuration > 7*24*time.Hour) {
		bad("StickinessDuration", p.StickinessDuration.String(), "must be 0 (off) or from 1s to 7 days")
	}
	return errors.Join(errs...)
}
