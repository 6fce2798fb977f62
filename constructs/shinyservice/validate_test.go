package shinyservice

import (
	"strings"
	"testing"
	"time"
)

func validProps() Props {
	p := Props{
		Name: "shiny", NamePrefix: "shiny-dev", Region: "us-east-1",
		ClusterARN: "arn:aws:ecs:us-east-1:123456789012:cluster/shiny-dev", VpcID: "vpc-1",
		SubnetIDs: []string{"subnet-1"}, ALBSecurityGroupID: "sg-1",
		ImageRepositoryARNs: []string{"arn:aws:ecr:us-east-1:123456789012:repository/x"},
		Containers: []Container{
			{Name: "shiny", Image: "repo@sha256:abc", Port: 3838, HealthCheck: []string{"CMD", "true"}},
			{Name: "agent", Image: "agent@sha256:def", Port: 8080, DependsOnHealthy: []string{"shiny"}},
		},
		TargetContainer: "agent", Size: Size{CPU: 1024, MemoryMiB: 2048, DesiredCount: 1},
	}
	p.defaults()
	return p
}

func TestValidPropsPass(t *testing.T) {
	if err := validProps().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPropsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"name", func(p *Props) { p.Name = "Shiny App" }, `Name = "Shiny App"`},
		{"prefix", func(p *Props) { p.NamePrefix = "" }, `NamePrefix = ""`},
		{"name length", func(p *Props) { p.NamePrefix = strings.Repeat("a", 50) }, "IAM role names allow 64"},
		{"cluster", func(p *Props) { p.ClusterARN = "" }, `ClusterARN = "": is required`},
		{"vpc", func(p *Props) { p.VpcID = "" }, `VpcID = "": is required`},
		{"region", func(p *Props) { p.Region = "" }, `Region = "": is required`},
		{"alb sg", func(p *Props) { p.ALBSecurityGroupID = "" }, `ALBSecurityGroupID = "": is required`},
		{"subnets", func(p *Props) { p.SubnetIDs = nil }, "SubnetIDs = []: must list"},
		{"repositories", func(p *Props) { p.ImageRepositoryARNs = nil }, "ImageRepositoryARNs"},
		{"no containers", func(p *Props) { p.Containers = nil }, "Containers = []: must have"},
		{"container name", func(p *Props) { p.Containers[0].Name = "bad name" }, `Containers[0].Name = "bad name"`},
		{"duplicate container", func(p *Props) { p.Containers[1].Name = "shiny" }, `Containers[1].Name = "shiny": is used twice`},
		{"image", func(p *Props) { p.Containers[0].Image = "" }, `Containers[0].Image = ""`},
		{"port", func(p *Props) { p.Containers[0].Port = 70000 }, "Containers[0].Port = 70000"},
		{"start period", func(p *Props) { p.Containers[0].HealthCheckStartPeriod = 10 * time.Minute }, "Containers[0].HealthCheckStartPeriod = 10m0s"},
		{"empty health path", func(p *Props) { p.HealthCheckPath = "" }, `HealthCheckPath = ""`},
		{"depends unknown", func(p *Props) { p.Containers[1].DependsOnHealthy = []string{"db"} }, `Containers[1].DependsOnHealthy = "db"`},
		{"depends without healthcheck", func(p *Props) { p.Containers[0].HealthCheck = nil }, "never becomes HEALTHY"},
		{"target", func(p *Props) { p.TargetContainer = "nope" }, `TargetContainer = "nope"`},
		{"cpu", func(p *Props) { p.CPU = 0 }, "cpu = 0: must be a Fargate CPU size"},
		{"desired", func(p *Props) { p.DesiredCount = -1 }, "desiredCount = -1"},
		{"health path", func(p *Props) { p.HealthCheckPath = "healthz" }, `HealthCheckPath = "healthz"`},
		{"grace", func(p *Props) { p.HealthCheckGracePeriod = -time.Second }, "HealthCheckGracePeriod"},
		{"deregistration", func(p *Props) { p.DeregistrationDelay = 2 * time.Hour }, "DeregistrationDelay"},
		{"retention", func(p *Props) { p.LogRetentionDays = 31 }, "LogRetentionDays = 31"},
		{"stickiness", func(p *Props) { p.StickinessDuration = 8 * 24 * time.Hour }, "StickinessDuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProps()
			tc.mutate(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
