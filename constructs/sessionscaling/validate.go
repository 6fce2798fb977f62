package sessionscaling

import (
	"fmt"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
)

// Limits of Settings.
const (
	// MaxTasksLimit keeps a typo (500 for 50) from scaling to hundreds of tasks.
	MaxTasksLimit = 100
	// MaxSessionsPerTask bounds the thresholds: no single R process serves more.
	MaxSessionsPerTask = 1000
)

// Validate reports every problem with the settings, in field order, named
// as in the stack configuration (minTasks, ...).
func (s Settings) Validate() error {
	p := check.New("")
	if s.Mode != ModeSessions && s.Mode != ModeCPU {
		p.Add("mode", s.Mode, fmt.Sprintf("must be %q (step scaling on sessions per task) or %q (CPU target tracking)", ModeSessions, ModeCPU))
	}
	if s.MinTasks < 1 || s.MinTasks > MaxTasksLimit {
		p.Add("minTasks", s.MinTasks, fmt.Sprintf("must be from 1 to %d", MaxTasksLimit))
	}
	if s.MaxTasks < s.MinTasks || s.MaxTasks > MaxTasksLimit {
		p.Add("maxTasks", s.MaxTasks, fmt.Sprintf("must be from minTasks (%d) to %d", s.MinTasks, MaxTasksLimit))
	}
	if s.ScaleOutAbove <= s.ScaleInBelow || s.ScaleOutAbove > MaxSessionsPerTask {
		p.Add("scaleOutAbove", s.ScaleOutAbove, fmt.Sprintf("must be greater than scaleInBelow (%d) and at most %d", s.ScaleInBelow, MaxSessionsPerTask))
	}
	if s.ScaleInBelow < 1 || s.ScaleInBelow > MaxSessionsPerTask {
		p.Add("scaleInBelow", s.ScaleInBelow, fmt.Sprintf("must be from 1 to %d", MaxSessionsPerTask))
	}
	if s.CPUTargetPercent < 10 || s.CPUTargetPercent > 90 {
		p.Add("cpuTargetPercent", s.CPUTargetPercent, "must be from 10 to 90")
	}
	return p.Err()
}

// Validate reports every problem with the props at once, in field order.
func (p Props) Validate() error {
	c := check.New("")
	c.Include(p.Settings.Validate())
	c.Require("NamePrefix", p.NamePrefix)
	c.Require("Region", p.Region)
	c.Require("ClusterName", p.ClusterName)
	c.Require("ClusterARN", p.ClusterARN)
	if p.Service == nil {
		c.Add("Service", "none", "is required (the scaled ShinyService)")
	}
	c.Require("Lambda.ZipPath", p.Lambda.ZipPath)
	c.Require("Lambda.SHA256", p.Lambda.SHA256)
	if p.ScaleOutCooldown < 0 {
		c.Add("ScaleOutCooldown", p.ScaleOutCooldown, "must not be negative")
	}
	if p.ScaleInCooldown < 0 {
		c.Add("ScaleInCooldown", p.ScaleInCooldown, "must not be negative")
	}
	if !cwlogs.ValidRetention(p.LogRetentionDays) {
		c.Add("LogRetentionDays", p.LogRetentionDays, fmt.Sprintf("must be one of CloudWatch's values %v", cwlogs.RetentionDays))
	}
	return c.Err()
}
