package sessionscaling

import (
	"strings"
	"testing"
)

func validProps() Props {
	p := Props{NamePrefix: "shiny-dev", Region: "us-east-1", ClusterName: "c", ClusterARN: "arn:c", ServiceName: "s",
		TaskRoleName: "r", LambdaZip: "x.zip", LambdaZipSHA256: "abc="}
	p.defaults()
	return p
}

func TestDefaults(t *testing.T) {
	p := validProps()
	if p.Mode != ModeSessions || p.MinTasks != 1 || p.MaxTasks != 5 || p.ScaleOutAbove != 15 || p.ScaleInBelow != 3 {
		t.Errorf("defaults = %+v", p)
	}
	if err := p.validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPropsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"prefix", func(p *Props) { p.NamePrefix = "" }, `NamePrefix = ""`},
		{"cluster", func(p *Props) { p.ClusterName = "" }, `ClusterName = ""`},
		{"cluster arn", func(p *Props) { p.ClusterARN = "" }, `ClusterARN = ""`},
		{"service", func(p *Props) { p.ServiceName = "" }, `ServiceName = ""`},
		{"role", func(p *Props) { p.TaskRoleName = "" }, `TaskRoleName = ""`},
		{"zip", func(p *Props) { p.LambdaZip = "" }, `LambdaZip = ""`},
		{"hash", func(p *Props) { p.LambdaZipSHA256 = "" }, `LambdaZipSHA256 = ""`},
		{"region", func(p *Props) { p.Region = "" }, `Region = ""`},
		{"mode", func(p *Props) { p.Mode = "memory" }, `Mode = "memory"`},
		{"min", func(p *Props) { p.MinTasks = -1 }, "MinTasks = -1"},
		{"max", func(p *Props) { p.MaxTasks = 0 }, "MaxTasks = 0"},
		{"scale in", func(p *Props) { p.ScaleInBelow = -2 }, "ScaleInBelow = -2"},
		{"thresholds", func(p *Props) { p.ScaleOutAbove = 2 }, "ScaleOutAbove = 2"},
		{"cpu", func(p *Props) { p.CPUTargetPercent = 99 }, "CPUTargetPercent = 99"},
		{"cooldown", func(p *Props) { p.ScaleInCooldown = -1 }, "ScaleOutCooldown/ScaleInCooldown"},
		{"retention", func(p *Props) { p.LogRetentionDays = -1 }, "LogRetentionDays = -1"},
		{"target", func(p *Props) { p.TargetSessionsPerTask = -1 }, "TargetSessionsPerTask = -1"},
		{"time zone", func(p *Props) { p.ScheduleTimeZone = "Mars/Olympus" }, `ScheduleTimeZone = "Mars/Olympus"`},
		{"schedule name", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "Class!", Cron: "0 8 ? * MON *", MinTasks: 2}} }, `Schedule[0].Name = "Class!"`},
		{"schedule duplicate", func(p *Props) {
			p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 ? * MON *", MinTasks: 2}, {Name: "a", Cron: "0 9 ? * MON *", MinTasks: 1}}
		}, `Schedule[1].Name = "a"`},
		{"schedule cron", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 * * MON-FRI", MinTasks: 2}} }, `Schedule[0].Cron = "0 8 * * MON-FRI": must be an Application Auto Scaling cron expression`},
		{"schedule min", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 ? * MON *", MinTasks: 6}} }, "Schedule[0].MinTasks = 6: must be from 1 to MaxTasks (5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProps()
			tc.mutate(&p)
			if err := p.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
