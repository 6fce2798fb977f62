package metricpublisher

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

const (
	// StartupGrace is how long a running task may go without an item from its
	// sidecar, counted from when the Lambda first saw it, before its sessions
	// count as unknown. ECS lists a task as soon as it is placed; Fargate's
	// provisioning and the pull of an R image take a few minutes at most.
	StartupGrace = 5 * time.Minute
	// MaxClockSkew is how far in the future an item's updated_at may lie and
	// still be read as written now (clamped). Fargate and Lambda clocks are
	// synchronised (Amazon Time Sync), so anything further ahead is a wrong
	// clock or a bogus write, and the item is not trusted: it would otherwise
	// look fresh, with an old session count, long after its sidecar stopped.
	MaxClockSkew = 10 * time.Second
)

// settings is the Lambda's configuration, read once at cold start.
type settings struct {
	Table     string
	Cluster   string
	Service   string
	Namespace string
	Limits    limits
}

// loadConfig reads and validates the configuration. Every problem is
// reported, in a fixed order, each as VAR="value": must be ....
func loadConfig(getenv func(string) string) (settings, error) {
	c := settings{
		Namespace: sessionmodel.MetricNamespace,
		Limits:    limits{StaleAfter: sessionmodel.StaleAfter, StartupGrace: StartupGrace, MaxClockSkew: MaxClockSkew},
	}
	var errs []error
	for _, req := range []struct {
		name, what string
		dst        *string
	}{
		{sessionmodel.EnvTableName, "the session table's name", &c.Table},
		{sessionmodel.EnvCluster, "the ECS cluster's name", &c.Cluster},
		{sessionmodel.EnvService, "the Shiny service's name", &c.Service},
	} {
		raw := getenv(req.name)
		if *req.dst = strings.TrimSpace(raw); *req.dst == "" {
			errs = append(errs, fmt.Errorf("%s=%q: must be set to %s", req.name, raw, req.what))
		}
	}
	if ns := strings.TrimSpace(getenv(sessionmodel.EnvNamespace)); ns != "" {
		c.Namespace = ns
	}
	if raw := getenv(sessionmodel.EnvStaleAfter); strings.TrimSpace(raw) != "" {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: must be a positive Go duration such as 90s or 2m (unset: %s)",
				sessionmodel.EnvStaleAfter, raw, sessionmodel.StaleAfter))
		} else {
			c.Limits.StaleAfter = d
		}
	}
	if len(errs) > 0 {
		return settings{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
