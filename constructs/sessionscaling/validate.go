package sessionscaling

import (
	"errors"
	"fmt"
)

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
	if p.Mode != ModeSessions && p.Mode != ModeCPU {
		bad("Mode", p.Mode, fmt.Sprintf("must be %q or %q", ModeSessions, ModeCPU))
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
