package sessionscaling

import (
	"fmt"
	"regexp"
	"time"
	_ "time/tzdata" // validate time zones on machines without a zoneinfo database

	"github.com/shinyfargate/shiny-cdktf/internal/awscron"
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

// scheduleNameRE: scheduled action names end up as NamePrefix-NAME.
var scheduleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Validate reports every problem with the settings, in field order, named
// as in the stack configuration (minTasks, ...).
func (s Settings) Validate() error {
	p := check.New("")
	if s.Mode != ModeSessions && s.Mode != ModeTarget && s.Mode != ModeCPU {
		p.Add("mode", s.Mode, fmt.Sprintf("must be %q (step scaling on sessions per task), %q (target tracking on sessions per task) or %q (CPU target tracking)", ModeSessions, ModeTarget, ModeCPU))
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
	if s.TargetSessionsPerTask < 1 || s.TargetSessionsPerTask > MaxSessionsPerTask {
		p.Add("targetSessionsPerTask", s.TargetSessionsPerTask, fmt.Sprintf("must be from 1 to %d", MaxSessionsPerTask))
	}
	seen := map[string]bool{}
	for i, a := range s.Schedule {
		field := fmt.Sprintf("schedule[%d]", i)
		if !scheduleNameRE.MatchString(a.Name) || seen[a.Name] {
			p.Add(field+".name", a.Name, "must be unique, 1-32 lowercase letters, digits and hyphens")
		}
		seen[a.Name] = true
		if _, err := awscron.Parse(a.Cron); err != nil {
			p.Add(field+".cron", a.Cron, "must be an Application Auto Scaling cron expression: "+err.Error())
		}
		if a.MinTasks < 1 || a.MinTasks > s.MaxTasks {
			p.Add(field+".minTasks", a.MinTasks, fmt.Sprintf("must be from 1 to maxTasks (%d)", s.MaxTasks))
		}
	}
	if _, err := time.LoadLocation(s.ScheduleTimeZone); err != nil || s.ScheduleTimeZone == "" || s.ScheduleTimeZone == "Local" {
		p.Add("scheduleTimeZone", s.ScheduleTimeZone, "must be an IANA time zone such as UTC or Europe/Paris")
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
