package sessionscaling

import (
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/internal/lambdabuild"
)

func validProps() Props {
	p := Props{NamePrefix: "shiny-dev", Region: "us-east-1", ClusterName: "c", ClusterARN: "arn:c", Service: &shinyservice.ShinyService{},
		Lambda: lambdabuild.Package{ZipPath: "x.zip", SHA256: "abc="}}
	p.defaults()
	return p
}

func TestDefaults(t *testing.T) {
	p := validProps()
	if p.Mode != ModeSessions || p.MinTasks != 1 || p.MaxTasks != 5 || p.ScaleOutAbove != 15 || p.ScaleInBelow != 3 {
		t.Errorf("defaults = %+v", p)
	}
	if err := p.Validate(); err != nil {
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
		{"service", func(p *Props) { p.Service = nil }, `Service = "none": is required`},
		{"zip", func(p *Props) { p.Lambda.ZipPath = "" }, `Lambda.ZipPath = ""`},
		{"hash", func(p *Props) { p.Lambda.SHA256 = "" }, `Lambda.SHA256 = ""`},
		{"region", func(p *Props) { p.Region = "" }, `Region = ""`},
		{"mode", func(p *Props) { p.Mode = "memory" }, `mode = "memory"`},
		{"min", func(p *Props) { p.MinTasks = -1 }, "minTasks = -1"},
		{"min limit", func(p *Props) { p.MinTasks = 101 }, "minTasks = 101: must be from 1 to 100"},
		{"max", func(p *Props) { p.MaxTasks = 0 }, "maxTasks = 0"},
		{"max limit", func(p *Props) { p.MaxTasks = 101 }, "maxTasks = 101"},
		{"scale in", func(p *Props) { p.ScaleInBelow = -2 }, "scaleInBelow = -2"},
		{"thresholds", func(p *Props) { p.ScaleOutAbove = 2 }, "scaleOutAbove = 2: must be greater than scaleInBelow (3)"},
		{"threshold overflow", func(p *Props) { p.ScaleOutAbove = 9223372036854775807 }, "scaleOutAbove = 9223372036854775807: must be greater than scaleInBelow (3) and at most 1000"},
		{"cpu", func(p *Props) { p.CPUTargetPercent = 99 }, "cpuTargetPercent = 99"},
		{"scale-out cooldown", func(p *Props) { p.ScaleOutCooldown = -1 }, "ScaleOutCooldown = -1ns"},
		{"scale-in cooldown", func(p *Props) { p.ScaleInCooldown = -1 }, "ScaleInCooldown = -1ns"},
		{"retention", func(p *Props) { p.LogRetentionDays = 2 }, "LogRetentionDays = 2: must be one of CloudWatch's values"},
		{"target", func(p *Props) { p.TargetSessionsPerTask = -1 }, "targetSessionsPerTask = -1"},
		{"time zone", func(p *Props) { p.ScheduleTimeZone = "Mars/Olympus" }, `scheduleTimeZone = "Mars/Olympus"`},
		{"schedule name", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "Class!", Cron: "0 8 ? * MON *", MinTasks: 2}} }, `schedule[0].name = "Class!"`},
		{"schedule duplicate", func(p *Props) {
			p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 ? * MON *", MinTasks: 2}, {Name: "a", Cron: "0 9 ? * MON *", MinTasks: 1}}
		}, `schedule[1].name = "a"`},
		{"schedule cron", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 * * MON-FRI", MinTasks: 2}} }, `schedule[0].cron = "0 8 * * MON-FRI": must be an Application Auto Scaling cron expression`},
		{"schedule min", func(p *Props) { p.Schedule = []ScheduledAction{{Name: "a", Cron: "0 8 ? * MON *", MinTasks: 6}} }, "schedule[0].minTasks = 6: must be from 1 to maxTasks (5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProps()
			tc.mutate(&p)
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
