package stacks

import "github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"

// ScalingProps maps an environment's config onto the scaling policy fields
// of sessionscaling.Props (the resources it scales are left to the app
// stack). The app stack and the simulator (go run ./simulate) both use it,
// so the simulated policy is the one that deploys.
func ScalingProps(cfg Config) sessionscaling.Props {
	return sessionscaling.Props{
		Settings:         cfg.Scaling,
		NamePrefix:       cfg.NamePrefix,
		Region:           cfg.Region,
		LogRetentionDays: cfg.LogRetentionDays,
	}
}
