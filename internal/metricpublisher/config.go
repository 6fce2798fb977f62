package metricpublisher

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// settings is the Lambda's configuration, read once at cold start.
type settings struct {
	Table      string
	Cluster    string
	Service    string
	Namespace  string
	StaleAfter time.Duration
}

// loadConfig reads and validates the configuration. Every problem is
// reported, each naming its variable, so one failed deploy shows them all.
func loadConfig(getenv func(string) string) (settings, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c := settings{
		Table:      get(sessionmodel.EnvTableName),
		Cluster:    get(sessionmodel.EnvCluster),
		Service:    get(sessionmodel.EnvService),
		Namespace:  get(sessionmodel.EnvNamespace),
		StaleAfter: sessionmodel.StaleAfter,
	}
	var errs []error
	for _, req := range []struct{ name, value string }{
		{sessionmodel.EnvTableName, c.Table},
		{sessionmodel.EnvCluster, c.Cluster},
		{sessionmodel.EnvService, c.Service},
	} {
		if req.value == "" {
			errs = append(errs, fmt.Errorf("%s is required but not set", req.name))
		}
	}
	if c.Namespace == "" {
		c.Namespace = sessionmodel.MetricNamespace
	}
	if raw := get(sessionmodel.EnvStaleAfter); raw != "" {
		d, err := time.ParseDuration(raw)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q is not a Go duration such as 90s or 2m: %v", sessionmodel.EnvStaleAfter, raw, err))
		case d <= 0:
			errs = append(errs, fmt.Errorf("%s=%q must be positive", sessionmodel.EnvStaleAfter, raw))
		default:
			c.StaleAfter = d
		}
	}
	if len(errs) > 0 {
		return settings{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
