package stacks

import "github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"

// ScalingProps maps an environment's config onto the scaling policy fields
// of sessionscaling.Props (resource names and ARNs are left to the stack).
// The app stack and the simulator (go run ./simulate) both use it, so the
// simulated policy is the one that deploys.
func ScalingProps(cfg Config) sessionscaling.Props {
	return sessionscaling.Props{
		NamePrefix:       cfg.NamePrefix,
		Region:           cfg.Region,
		Mode:             cfg.Scaling.Mode,
		MinTasks:         cfg.Scaling.MinTasks,
		MaxTasks:         cfg.Scaling.MaxTasks,
		ScaleOutAbove:    cfg.Scaling.ScaleOutAbove,
		ScaleInBelow:     cfg.Scaling.ScaleInBelow,
		CPUTargetPercent: cfg.Scaling.CPUTargetPercent,
		LogRetentionDays: cfg.LogRetentionDays,
	}
}
