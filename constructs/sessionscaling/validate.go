package sessionscaling

import (
	"errors"
	"fmt"
	"regexp"
	"time"
	_ "time/tzdata" // validate time zones on machines without a zoneinfo database

	"github.com/shinyfargate/shiny-cdktf/internal/awscron"
)

// scheduleNameRE: scheduled action names end up as NamePrefix-NAME.
var scheduleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func (p Props) validate() error {
	var errs []error
	bad := func(field string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s = %#v: %s", field, value, allowed))
	}
	for field, v := range map[string]string{
		"NamePrefix": p.NamePrefix, "Region": p.Region, "ClusterName": p.ClusterName, "ClusterARN": p.ClusterARN,
		"ServiceName": p.ServiceName, "TaskRoleName": p.TaskRoleName, "LambdaZip": p.LambdaZip, "LambdaZipSHA256": p.LambdaZipSHA256,
	} {
		if v == "" {
			bad(field, v, "is required")
		}
	}
	if p.Mode != ModeSessions && p.Mode != ModeTarget && p.Mode != ModeCPU {
		bad("Mode", p.Mode, fmt.Sprintf("must be %q, %q or %q", ModeSessions, ModeTarget, ModeCPU))
	}
	if p.TargetSessionsPerTask < 1 {
		bad("TargetSessionsPerTask", p.TargetSessionsPerTask, "must be at least 1")
	}
	if _, err := time.LoadLocation(p.ScheduleTimeZone); err != nil || p.ScheduleTimeZone == "" || p.ScheduleTimeZone == "Local" {
		bad("ScheduleTimeZone", p.ScheduleTimeZone, "must be an IANA time zone such as UTC or Europe/Paris")
	}
	seen := map[string]bool{}
	for i, a := range p.Schedule {
		field := fmt.Sprintf("Schedule[%d]", i)
		if !scheduleNameRE.MatchString(a.Name) || seen[a.Name] {
			bad(field+".Name", a.Name, "must be unique, 1-32 lowercase letters, digits and hyphens")
		}
		seen[a.Name] = true
		if _, err := awscron.Parse(a.Cron); err != nil {
			bad(field+".Cron", a.Cron, "must be an Application Auto Scaling cron expression: "+err.Error())
		}
		if a.MinTasks < 1 || a.MinTasks > p.MaxTasks {
			bad(field+".MinTasks", a.MinTasks, fmt.Sprintf("must be from 1 to MaxTasks (%d)", p.MaxTasks))
		}
	}
	if p.MinTasks < 1 {
		bad("MinTasks", p.MinTasks, "must be at least 1")
	}
	if p.MaxTasks < p.MinTasks {
		bad("MaxTasks", p.MaxTasks, fmt.Sprintf("must be at least MinTasks (%d)", p.MinTasks))
	}
	if p.ScaleInBelow < 1 {
		bad("ScaleInBelow", p.ScaleInBelow, "must be at least 1")
	}
	if p.ScaleOutAbove <= p.ScaleInBelow {
		bad("ScaleOutAbove", p.ScaleOutAbove, fmt.Sprintf("must be greater than ScaleInBelow (%d)", p.ScaleInBelow))
	}
	if p.CPUTargetPercent < 10 || p.CPUTargetPercent > 90 {
		bad("CPUTargetPercent", p.CPUTargetPercent, "must be from 10 to 90")
	}
	if p.ScaleOutCooldown < 0 || p.ScaleInCooldown < 0 {
		bad("ScaleOutCooldown/ScaleInCooldown", fmt.Sprint(p.ScaleOutCooldown, "/", p.ScaleInCooldown), "must not be negative")
	}
	if p.LogRetentionDays < 1 {
		bad("LogRetentionDays", p.LogRetentionDays, "must be at least 1")
	}
	return errors.Join(errs...)
}
