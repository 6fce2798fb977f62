package stacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/shinyfargate/shiny-cdktf/constructs/accesslogs"
	"github.com/shinyfargate/shiny-cdktf/constructs/alerts"
	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
	"github.com/shinyfargate/shiny-cdktf/constructs/waf"
	"github.com/shinyfargate/shiny-cdktf/internal/cwlogs"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// EnvVarEnvironment selects the environment at synth time: SHINY_ENV=prod cdktf synth.
const EnvVarEnvironment = "SHINY_ENV"

// EnvVarConfigDir names the folder of the environment files; unset, it is
// DefaultConfigDir (relative to the project). Teams that keep environments
// elsewhere (a private repository) point it there.
const EnvVarConfigDir = "SHINY_CONFIG_DIR"

// DefaultConfigDir is the folder of the environment files.
const DefaultConfigDir = "config"

// ConfigDir is the folder of the environment files for the environment getenv describes.
func ConfigDir(getenv func(string) string) string {
	if d := getenv(EnvVarConfigDir); d != "" {
		return d
	}
	return DefaultConfigDir
}

// DefaultEnvironment is used when SHINY_ENV is unset. It synthesizes with no
// config file and no AWS credentials: the defaults are an example.
const DefaultEnvironment = "dev"

// Config is one environment's settings: DefaultConfig, overridden by the
// environment file config/NAME.json. The README's settings table is
// generated from this struct (go generate ./...): its doc comments say what
// each setting means, DefaultConfig what it defaults to.
type Config struct {
	// Environment is the environment's name (from SHINY_ENV), not read from the file.
	Environment string `json:"-"`

	// Region is the AWS region of every resource.
	Region string `json:"region"`
	// NamePrefix starts every resource name, so environments live side by side
	// in one account. Default: "shiny-" + the environment's name.
	NamePrefix string `json:"namePrefix"`
	// The ALB, its certificate and the Cognito sign-in.
	cognitoauthalb.Settings
	// VpcID is the VPC for the ALB and tasks. Empty: the account's default VPC.
	VpcID string `json:"vpcId"`
	// SubnetIDs are at least two subnets of vpcId in different availability
	// zones. Empty: the default VPC's subnets.
	SubnetIDs []string `json:"subnetIds"`
	// TaskSubnetIDs puts the tasks in these subnets of vpcId (at least two,
	// in different availability zones), without public IPs, while the ALB
	// stays in subnetIds: private subnets that reach ECR, CloudWatch Logs,
	// DynamoDB and ECS through a NAT gateway or VPC endpoints. Empty: the
	// tasks share the ALB's subnets.
	TaskSubnetIDs []string `json:"taskSubnetIds"`
	// ImageTag is the tag `make push-image` pushes and the app stack deploys
	// (pinned to its digest at plan time).
	ImageTag string `json:"imageTag"`
	// KeepImages is how many images each ECR repository keeps.
	KeepImages int `json:"keepImages"`
	// ECRForceDelete lets `cdktf destroy ecr` delete repositories that still
	// hold images. False: destroy refuses and the images survive.
	ECRForceDelete bool `json:"ecrForceDelete"`
	// Shiny sizes the Shiny app's tasks.
	Shiny ShinySettings `json:"shiny"`
	// Logout sizes the logout server's tasks.
	Logout shinyservice.Size `json:"logout"`
	// Scaling configures autoscaling of the Shiny service.
	Scaling sessionscaling.Settings `json:"scaling"`
	// Sessions configures how the session sidecar treats users' sessions.
	Sessions SessionSettings `json:"sessions"`
	// LogRetentionDays is how long CloudWatch keeps logs.
	LogRetentionDays int `json:"logRetentionDays"`
	// Alerts notify people (SNS) when the app fails or runs out of capacity.
	Alerts alerts.Settings `json:"alerts"`
	// AccessLogs keep the ALB's access and connection logs in S3 (who reached the app).
	AccessLogs accesslogs.Settings `json:"accessLogs"`
	// WAF puts an AWS WAF web ACL (managed rules and a rate limit) in front of the ALB.
	WAF waf.Settings `json:"waf"`
	// Tags are added to every resource (with Project, Environment and ManagedBy).
	Tags map[string]string `json:"tags"`
	// Backend is where Terraform keeps state.
	Backend Backend `json:"backend"`
}

// ShinySettings are the Shiny service's task size and how long a busy R stays healthy.
type ShinySettings struct {
	shinyservice.Size
	// The app container's environment variables and secrets.
	shinyservice.AppSettings
	// EnableExec turns on ECS Exec: `aws ecs execute-command` opens a shell
	// in a running Shiny task (the task role may open SSM's channels).
	// False: no shell.
	EnableExec bool `json:"enableExec"`
	// BusyGraceSeconds is how long a task stays healthy while R computes
	// (accepts connections but does not answer); a crashed R is unhealthy at
	// once, and ECS replaces it within about a minute.
	BusyGraceSeconds int `json:"busyGraceSeconds"`
	// AppDir is the folder of the Shiny app that `make push-image` builds
	// and `make local` runs, relative to this project's folder or absolute:
	// app.R, or ui.R and server.R, and the renv.lock of its packages (which
	// also sets the image's R version).
	AppDir string `json:"appDir"`
	// Dockerfile builds the app with this Dockerfile instead (relative to
	// this project's folder or absolute), appDir being the build context.
	// Empty: the project's hardened Dockerfile (R from rocker/shiny, renv
	// restore, non-root, tini, health check).
	Dockerfile string `json:"dockerfile"`
}

// SessionSettings are what the session sidecar does with users' sessions.
// Their defaults and limits are internal/sessionmodel's (AgentSettings),
// which the sidecar applies to the same values.
type SessionSettings struct {
	// IdleTimeoutMinutes closes a session without input from its user for
	// this long; it stops counting and holding the task's scale-in protection.
	IdleTimeoutMinutes int `json:"idleTimeoutMinutes"`
	// DrainMinutes is how long a task the service no longer deploys (a
	// rollout) keeps its scale-in protection, so a rollout ends in bounded time.
	DrainMinutes int `json:"drainMinutes"`
	// MaxPerUser is how many sessions one signed-in user may hold open on a
	// task; more are refused with 429.
	MaxPerUser int `json:"maxPerUser"`
}

// agentSettings pairs each sidecar setting with its value in c, in
// sessionmodel.AgentSettings order.
func (c Config) agentSettings() []struct {
	sessionmodel.IntSetting
	Value int
} {
	values := map[string]int{
		sessionmodel.IdleTimeoutMinutes.ConfigKey: c.Sessions.IdleTimeoutMinutes,
		sessionmodel.DrainMinutes.ConfigKey:       c.Sessions.DrainMinutes,
		sessionmodel.MaxSessionsPerUser.ConfigKey: c.Sessions.MaxPerUser,
		sessionmodel.BusyGraceSeconds.ConfigKey:   c.Shiny.BusyGraceSeconds,
	}
	var out []struct {
		sessionmodel.IntSetting
		Value int
	}
	for _, s := range sessionmodel.AgentSettings {
		v, ok := values[s.ConfigKey]
		if !ok {
			panic("stacks: no config value for sidecar setting " + s.ConfigKey) // a programming error, caught by every test
		}
		out = append(out, struct {
			sessionmodel.IntSetting
			Value int
		}{s, v})
	}
	return out
}

// Backend kinds.
const (
	BackendLocal = "local"
	BackendS3    = "s3"
)

// Backend is where Terraform state lives.
type Backend struct {
	// Type is "local" (terraform.ENV.STACK.tfstate in the project folder) or "s3".
	Type string `json:"type"`
	// Bucket is the S3 bucket (s3 only).
	Bucket string `json:"bucket"`
	// KeyPrefix starts each state object's key; the key is PREFIX/ENV/STACK.tfstate.
	KeyPrefix string `json:"keyPrefix"`
	// Region is the bucket's region. Empty: the stacks' region.
	Region string `json:"region"`
	// DynamoDBTable locks state with a DynamoDB table. Empty: S3's own lock file.
	DynamoDBTable string `json:"dynamodbTable"`
}

// DefaultConfig returns the defaults for environment name: the constructs'
// own defaults, and the stack's choices where the two services differ.
func DefaultConfig(name string) Config {
	return Config{
		Environment: name,
		Region:      "us-east-1",
		NamePrefix:  "shiny-" + name,
		Settings: cognitoauthalb.Settings{
			Domain:                    "shiny.example.com",
			AllowedIngressCIDRs:       []string{"0.0.0.0/0"},
			IdleTimeoutSeconds:        cognitoauthalb.DefaultIdleTimeoutSeconds,
			AuthSessionTimeoutSeconds: cognitoauthalb.DefaultAuthSessionTimeoutSeconds,
			Auth:                      cognitoauthalb.DefaultAuth(),
		},
		ImageTag:   "latest",
		KeepImages: 10,
		Shiny:      ShinySettings{Size: shinyservice.Size{CPU: 1024, MemoryMiB: 2048, DesiredCount: 1}, BusyGraceSeconds: sessionmodel.BusyGraceSeconds.Default, AppDir: SampleAppDir},
		Logout:     shinyservice.Size{CPU: 256, MemoryMiB: 512, DesiredCount: 1},
		Scaling:    sessionscaling.DefaultSettings(),
		Sessions: SessionSettings{
			IdleTimeoutMinutes: sessionmodel.IdleTimeoutMinutes.Default,
			DrainMinutes:       sessionmodel.DrainMinutes.Default,
			MaxPerUser:         sessionmodel.MaxSessionsPerUser.Default,
		},
		LogRetentionDays: cwlogs.DefaultRetentionDays,
		Alerts:           alerts.DefaultSettings(),
		AccessLogs:       accesslogs.DefaultSettings(),
		WAF:              waf.DefaultSettings(),
		Tags:             map[string]string{},
		Backend:          Backend{Type: BackendLocal, KeyPrefix: "shiny"},
	}
}

var envNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,9}$`)

// LoadConfig reads environment name from dir/NAME.json over the defaults and
// validates the result. A missing file is an error, except for the default
// environment, whose defaults are a complete example.
func LoadConfig(dir, name string) (Config, error) {
	if name == "" {
		name = DefaultEnvironment
	}
	if !envNameRE.MatchString(name) {
		return Config{}, fmt.Errorf("%s=%q: an environment name is 1-10 lowercase letters and digits, starting with a letter", EnvVarEnvironment, name)
	}
	cfg := DefaultConfig(name)
	path := filepath.Join(dir, name+".json")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && name == DefaultEnvironment:
		// The built-in example environment.
	case errors.Is(err, fs.ErrNotExist):
		return Config{}, fmt.Errorf("environment %q: no config file %s (create it, or unset %s to use %q)", name, path, EnvVarEnvironment, DefaultEnvironment)
	case err != nil:
		return Config{}, fmt.Errorf("environment %q: %w", name, err)
	default:
		if err := decodeStrict(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		cfg.Environment = name
	}
	if cfg.Backend.Region == "" {
		cfg.Backend.Region = cfg.Region
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: invalid configuration:\n%w", path, err)
	}
	return cfg, nil
}

// decodeStrict decodes a JSON object onto v. A file must say exactly what it
// is read as: its keys are checked first (see checkKeys), then decoded with
// unknown fields refused.
func decodeStrict(data []byte, v any) error {
	if err := checkKeys(data, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}
