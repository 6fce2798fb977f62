package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// Environment variables read only by the sidecar. The stack sets the ones
// defined in sessionmodel; ECS injects the ECS_* ones below.
const (
	// EnvProtectionMinutes is ExpiresInMinutes of task scale-in protection.
	EnvProtectionMinutes = "SESSION_PROTECTION_MINUTES"
	// EnvProtectionGrace is how long after the last session ends protection
	// is turned off (a Go duration such as 30s).
	EnvProtectionGrace = "SESSION_PROTECTION_GRACE"
	// EnvMetadataURI is injected by ECS: the task metadata endpoint v4.
	EnvMetadataURI = "ECS_CONTAINER_METADATA_URI_V4"
	// EnvAgentURI is injected by ECS: the container agent API (task protection).
	EnvAgentURI = "ECS_AGENT_URI"
)

// Defaults and limits of the sidecar-only settings.
const (
	defaultProtectionMinutes = 60
	defaultProtectionGrace   = 30 * time.Second
	maxProtectionMinutes     = 2880 // the agent's limit (48 hours)
	maxProtectionGrace       = 10 * time.Minute
)

// config is the validated configuration of the sidecar.
type config struct {
	// ListenHost is the address to listen on; "" is all interfaces.
	ListenHost string
	Port       int
	Upstream   *url.URL
	// TableName is the session table; required when reporting is on.
	TableName string
	// MetadataURI is ECS_CONTAINER_METADATA_URI_V4; "" turns reporting off.
	MetadataURI string
	// AgentURI is ECS_AGENT_URI; "" turns task protection off.
	AgentURI          string
	ProtectionMinutes int
	ProtectionGrace   time.Duration
	// Cluster and Service name the ECS service the task belongs to; both
	// empty turn the drain (stop protecting outdated tasks) off.
	Cluster, Service string
	IdleTimeout      time.Duration
	Drain            time.Duration
	MaxPerUser       int
	BusyGrace        time.Duration
}

// loadConfig reads and validates the environment. It reports every problem,
// in a fixed order, each naming the variable and the value it had.
func loadConfig(getenv func(string) string) (config, error) {
	var errs []error
	bad := func(name, value, rule string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, value, rule))
	}
	cfg := config{
		Port:              sessionmodel.AgentPort,
		ProtectionMinutes: defaultProtectionMinutes,
		ProtectionGrace:   defaultProtectionGrace,
	}

	cfg.ListenHost = getenv(sessionmodel.EnvListenHost)
	if err := sessionmodel.ValidListenHost(cfg.ListenHost); err != nil {
		bad(sessionmodel.EnvListenHost, cfg.ListenHost, err.Error())
	}

	if v := getenv(sessionmodel.EnvAgentPort); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad(sessionmodel.EnvAgentPort, v, "must be a port number from 1 to 65535")
		} else {
			cfg.Port = p
		}
	}

	upstream := getenv(sessionmodel.EnvUpstreamURL)
	if upstream == "" {
		upstream = sessionmodel.UpstreamURL(sessionmodel.ShinyPort)
	}
	if u, err := parseHTTPURL(upstream); err != nil {
		bad(sessionmodel.EnvUpstreamURL, upstream, err.Error())
	} else {
		cfg.Upstream = u
	}

	cfg.MetadataURI = getenv(EnvMetadataURI)
	if cfg.MetadataURI != "" {
		if _, err := parseHTTPURL(cfg.MetadataURI); err != nil {
			bad(EnvMetadataURI, cfg.MetadataURI, err.Error())
		}
	}
	cfg.AgentURI = getenv(EnvAgentURI)
	if cfg.AgentURI != "" {
		if _, err := parseHTTPURL(cfg.AgentURI); err != nil {
			bad(EnvAgentURI, cfg.AgentURI, err.Error())
		}
	}

	cfg.TableName = getenv(sessionmodel.EnvTableName)
	switch {
	case cfg.TableName == "" && cfg.MetadataURI != "":
		bad(sessionmodel.EnvTableName, "", "must be set when "+EnvMetadataURI+" is set (running in ECS)")
	case cfg.TableName != "":
		if err := sessionmodel.ValidTableName(cfg.TableName); err != nil {
			bad(sessionmodel.EnvTableName, cfg.TableName, err.Error())
		}
	}

	cfg.Cluster, cfg.Service = getenv(sessionmodel.EnvCluster), getenv(sessionmodel.EnvService)
	if cfg.Cluster == "" && cfg.Service != "" {
		bad(sessionmodel.EnvCluster, "", "must be set when "+sessionmodel.EnvService+" is set")
	}
	if cfg.Service == "" && cfg.Cluster != "" {
		bad(sessionmodel.EnvService, "", "must be set when "+sessionmodel.EnvCluster+" is set")
	}

	if v := getenv(EnvProtectionMinutes); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > maxProtectionMinutes {
			bad(EnvProtectionMinutes, v, fmt.Sprintf("must be a whole number of minutes from 1 to %d", maxProtectionMinutes))
		} else {
			cfg.ProtectionMinutes = m
		}
	}
	if v := getenv(EnvProtectionGrace); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxProtectionGrace {
			bad(EnvProtectionGrace, v, "must be a duration from 0s to "+maxProtectionGrace.String()+", e.g. 30s")
		} else {
			cfg.ProtectionGrace = d
		}
	}

	intSetting := func(s sessionmodel.IntSetting, unit time.Duration) time.Duration {
		v, err := s.Parse(getenv(s.Env))
		if err != nil {
			errs = append(errs, err)
			return time.Duration(s.Default) * unit
		}
		return time.Duration(v) * unit
	}
	cfg.IdleTimeout = intSetting(sessionmodel.IdleTimeoutMinutes, time.Minute)
	cfg.Drain = intSetting(sessionmodel.DrainMinutes, time.Minute)
	cfg.MaxPerUser = int(intSetting(sessionmodel.MaxSessionsPerUser, 1))
	cfg.BusyGrace = intSetting(sessionmodel.BusyGraceSeconds, time.Second)

	if len(errs) > 0 {
		return config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// parseHTTPURL accepts an absolute http:// URL with a host and without query,
// fragment or user info.
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, errors.New("must be an http:// URL")
	case u.Scheme != "http":
		return nil, errors.New("must be an http:// URL (scheme " + strconv.Quote(u.Scheme) + " is not supported)")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("must be an http:// URL with a host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("must be an http:// URL without user info, query or fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("must be an http:// URL with a valid port")
		}
	}
	return u, nil
}
