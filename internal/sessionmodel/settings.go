package sessionmodel

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
)

// Ports inside the Shiny task. The stack maps the target group to AgentPort
// and starts Shiny on ShinyPort; the sidecar listens on AgentPort and proxies
// to ShinyPort unless told otherwise (EnvAgentPort, EnvUpstreamURL).
const (
	AgentPort = 8080
	ShinyPort = 3838
)

// UpstreamURL is the value of EnvUpstreamURL for a Shiny server on port in
// the same task (awsvpc: the task's containers share 127.0.0.1).
func UpstreamURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// EnvListenHost is the address the sidecar listens on. Empty (the default)
// listens on all interfaces, which the ALB needs (it reaches the task's
// ENI); a local preview sets 127.0.0.1. See ValidListenHost.
const EnvListenHost = "SESSION_AGENT_LISTEN_HOST"

// ValidListenHost checks a value of EnvListenHost: empty or an IP address.
func ValidListenHost(s string) error {
	if s == "" {
		return nil
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return errors.New("must be empty (all interfaces) or an IP address such as 127.0.0.1")
	}
	return nil
}

// tableNameRE is DynamoDB's rule for table names.
var tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// ValidTableName checks a DynamoDB table name (the session table, and any
// other table the stack names).
func ValidTableName(s string) error {
	if !tableNameRE.MatchString(s) {
		return errors.New("must be a DynamoDB table name: 3-255 characters of A-Z a-z 0-9 _ . -")
	}
	return nil
}

// IntSetting is a whole-number setting that the stack's config holds and the
// sidecar reads from its environment. It is defined once, here: the config
// key, the variable the stack sets, the default and the limits; Check is the
// one validation both sides apply.
type IntSetting struct {
	// ConfigKey is the setting's name in the stack's config file.
	ConfigKey string
	// Env is the environment variable through which the stack passes it.
	Env string
	// Default applies when the config and the environment leave it unset.
	Default int
	// Min and Max bound the value (inclusive).
	Min, Max int
	// Unit names what the number counts, e.g. "minutes".
	Unit string
}

// Check returns nil when v is allowed, else an error that says what is
// allowed (without the setting's name, which each caller adds in its own
// message format).
func (s IntSetting) Check(v int) error {
	if v < s.Min || v > s.Max {
		return fmt.Errorf("must be a whole number of %s from %d to %d", s.Unit, s.Min, s.Max)
	}
	return nil
}

// ConfigError checks a value from the stack's config and names the key:
// `sessions.idleTimeoutMinutes = 0: must be ...`.
func (s IntSetting) ConfigError(v int) error {
	if err := s.Check(v); err != nil {
		return fmt.Errorf("%s = %d: %w", s.ConfigKey, v, err)
	}
	return nil
}

// Parse reads the setting from its environment variable's value; "" gives
// the default. The error names the variable: `VAR="value": must be ...`.
func (s IntSetting) Parse(raw string) (int, error) {
	if raw == "" {
		return s.Default, nil
	}
	v, err := strconv.Atoi(raw)
	if err == nil {
		err = s.Check(v)
	} else {
		err = s.Check(s.Min - 1) // the same message for a value that is not a number
	}
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", s.Env, raw, err)
	}
	return v, nil
}

// EnvValue is the environment variable's value for v.
func (s IntSetting) EnvValue(v int) string { return strconv.Itoa(v) }

// Settings of the session sidecar that the stack's config holds.
var (
	// IdleTimeoutMinutes: a websocket session with no message from the
	// browser for this long stops counting and holding task protection, and
	// the sidecar closes it. Only what users do counts as a message (see the
	// sidecar's README); Shiny's own keep-alive traffic and websocket
	// control frames do not.
	IdleTimeoutMinutes = IntSetting{
		ConfigKey: "sessions.idleTimeoutMinutes", Env: "SESSION_IDLE_TIMEOUT_MINUTES",
		Default: 30, Min: 1, Max: 1440, Unit: "minutes",
	}
	// DrainMinutes: once a task learns that its service deploys another task
	// definition, it keeps scale-in protection for at most this long, then
	// turns it off so the rollout can stop it.
	DrainMinutes = IntSetting{
		ConfigKey: "sessions.drainMinutes", Env: "SESSION_DRAIN_MINUTES",
		Default: 15, Min: 0, Max: 1440, Unit: "minutes",
	}
	// MaxSessionsPerUser caps the concurrent websocket sessions one signed-in
	// identity (the ALB's x-amzn-oidc-identity header) may hold on a task.
	MaxSessionsPerUser = IntSetting{
		ConfigKey: "sessions.maxPerUser", Env: "SESSION_MAX_PER_USER",
		Default: 10, Min: 1, Max: 1000, Unit: "sessions",
	}
	// BusyGraceSeconds: how long the health check stays healthy while R
	// accepts connections but does not answer (a long computation on R's one
	// thread). A refused connection is unhealthy at once.
	BusyGraceSeconds = IntSetting{
		ConfigKey: "shiny.busyGraceSeconds", Env: "SHINY_BUSY_GRACE_SECONDS",
		Default: 600, Min: 0, Max: 3600, Unit: "seconds",
	}
)

// AgentSettings lists the settings above in a fixed order, for tables and
// for loops that validate or pass them all.
var AgentSettings = []IntSetting{IdleTimeoutMinutes, DrainMinutes, MaxSessionsPerUser, BusyGraceSeconds}

// AgentPathPrefix is the sidecar's own path space: it answers every path
// under it itself (AgentHealthPath, else 404) and never proxies it to Shiny.
// Users have no business there; the ALB answers 404 for it.
const AgentPathPrefix = "/__sessionagent/"
