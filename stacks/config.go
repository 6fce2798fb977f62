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
)

// EnvVarEnvironment selects the environment at synth time: SHINY_ENV=prod cdktf synth.
const EnvVarEnvironment = "SHINY_ENV"

// DefaultEnvironment is used when SHINY_ENV is unset. It synthesizes with no
// config file and no AWS credentials: the defaults below are an example.
const DefaultEnvironment = "dev"

// Config is one environment's settings. Every field has a default (see
// DefaultConfig); an environment file config/NAME.json overrides any of them.
type Config struct {
	// Environment is the environment's name (from SHINY_ENV), not read from the file.
	Environment string `json:"-"`

	// Region is the AWS region of every resource. Default: us-east-1.
	Region string `json:"region"`
	// NamePrefix starts every resource name, so environments live side by side
	// in one account. Default: "shiny-" + environment name.
	NamePrefix string `json:"namePrefix"`
	// Domain is the apex host name users open; www.DOMAIN redirects to it.
	// Default: shiny.example.com (an example: change it before deploying).
	Domain string `json:"domain"`
	// HostedZoneID is the Route 53 zone of Domain. When set, the stack creates
	// the certificate validation records and alias records for both names;
	// when empty they are outputs for you to create at your DNS provider.
	// Default: empty.
	HostedZoneID string `json:"hostedZoneId"`
	// VpcID is the VPC for the ALB and tasks. Default: empty, the account's default VPC.
	VpcID string `json:"vpcId"`
	// SubnetIDs are at least two subnets of VpcID in different availability
	// zones. Default: empty, the default VPC's subnets.
	SubnetIDs []string `json:"subnetIds"`
	// AllowedIngressCIDRs may reach the ALB on 443 and 80. Default: ["0.0.0.0/0"].
	AllowedIngressCIDRs []string `json:"allowedIngressCidrs"`
	// ImageTag is the tag `make push-image` pushes and the app stack deploys
	// (pinned to its digest at plan time). Default: latest.
	ImageTag string `json:"imageTag"`
	// KeepImages is how many images each ECR repository keeps. Default: 10.
	KeepImages int `json:"keepImages"`
	// DeletionProtection protects the ALB and the Cognito user pool (and so
	// its users) from deletion, including by `cdktf destroy app`. Default: false.
	DeletionProtection bool `json:"deletionProtection"`
	// ECRForceDelete lets `cdktf destroy ecr` delete repositories that still
	// hold images. Default: false (destroy refuses and the images survive).
	ECRForceDelete bool `json:"ecrForceDelete"`
	// CognitoDomainPrefix is the hosted sign-in domain
	// PREFIX.auth.REGION.amazoncognito.com; it must be unique in the region.
	// Default: NamePrefix + "-login".
	CognitoDomainPrefix string `json:"cognitoDomainPrefix"`
	// AuthSessionTimeoutSeconds is how long an ALB sign-in lasts. Default: 28800 (8 hours).
	AuthSessionTimeoutSeconds int `json:"authSessionTimeoutSeconds"`
	// IdleTimeoutSeconds is the ALB idle timeout; Shiny websockets sit idle
	// between messages, so it is longer than the ALB's 60 s. Default: 300.
	IdleTimeoutSeconds int `json:"idleTimeoutSeconds"`
	// Shiny sizes the Shiny app's tasks. Default: 1024 CPU units, 2048 MiB, 1 task.
	Shiny TaskSize `json:"shiny"`
	// Logout sizes the logout server's tasks. Default: 256 CPU units, 512 MiB, 1 task.
	Logout TaskSize `json:"logout"`
	// Scaling configures autoscaling of the Shiny service.
	Scaling Scaling `json:"scaling"`
	// LogRetentionDays is how long CloudWatch keeps logs. Default: 30.
	LogRetentionDays int `json:"logRetentionDays"`
	// Tags are added to every resource (with Project and Environment). Default: none.
	Tags map[string]string `json:"tags"`
	// Backend is where Terraform keeps state. Default: a local file per stack.
	Backend Backend `json:"backend"`
}

// TaskSize is a Fargate task's size and initial count.
type TaskSize struct {
	// CPU in CPU units (256 = 0.25 vCPU), a Fargate size.
	CPU int `json:"cpu"`
	// MemoryMiB must be allowed by Fargate for CPU.
	MemoryMiB int `json:"memoryMiB"`
	// DesiredCount is the task count at creation; afterwards autoscaling owns it.
	DesiredCount int `json:"desiredCount"`
}

// Scaling modes.
const (
	ScalingSessions = "sessions"
	ScalingCPU      = "cpu"
)

// Scaling configures autoscaling of the Shiny service.
type Scaling struct {
	// Mode is "sessions" (step scaling on SessionsPerTask) or "cpu" (CPU
	// target tracking, the notes' simpler alternative). Default: sessions.
	Mode string `json:"mode"`
	// MinTasks is the least number of Shiny tasks. Default: 1.
	MinTasks int `json:"minTasks"`
	// MaxTasks is the most Shiny tasks. Default: 5.
	MaxTasks int `json:"maxTasks"`
	// ScaleOutAbove adds a task when sessions per task exceed it. Default: 15.
	ScaleOutAbove int `json:"scaleOutAbove"`
	// ScaleInBelow removes a task when sessions per task fall below it. Default: 3.
	ScaleInBelow int `json:"scaleInBelow"`
	// CPUTargetPercent is the average CPU target in "cpu" mode. Default: 60.
	CPUTargetPercent int `json:"cpuTargetPercent"`
}

// Backend kinds.
const (
	BackendLocal = "local"
	BackendS3    = "s3"
)

// Backend is where Terraform state lives.
type Backend struct {
	// Type is "local" or "s3". Default: local (terraform.ENV.STACK.tfstate in the project folder).
	Type string `json:"type"`
	// Bucket is the S3 bucket (s3 only).
	Bucket string `json:"bucket"`
	// KeyPrefix starts each state object's key; the key is PREFIX/ENV/STACK.tfstate. Default: shiny.
	KeyPrefix string `json:"keyPrefix"`
	// Region of the bucket. Default: the stack's region.
	Region string `json:"region"`
	// DynamoDBTable locks state with a DynamoDB table; empty uses S3's own lock file. Default: empty.
	DynamoDBTable string `json:"dynamodbTable"`
}

// DefaultConfig returns the defaults for environment name.
func DefaultConfig(name string) Config {
	prefix := "shiny-" + name
	return Config{
		Environment:               name,
		Region:                    "us-east-1",
		NamePrefix:                prefix,
		Domain:                    "shiny.example.com",
		AllowedIngressCIDRs:       []string{"0.0.0.0/0"},
		ImageTag:                  "latest",
		KeepImages:                10,
		AuthSessionTimeoutSeconds: 28800,
		IdleTimeoutSeconds:        300,
		Shiny:                     TaskSize{CPU: 1024, MemoryMiB: 2048, DesiredCount: 1},
		Logout:                    TaskSize{CPU: 256, MemoryMiB: 512, DesiredCount: 1},
		Scaling: Scaling{
			Mode: ScalingSessions, MinTasks: 1, MaxTasks: 5,
			ScaleOutAbove: 15, ScaleInBelow: 3, CPUTargetPercent: 60,
		},
		LogRetentionDays: 30,
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
	if cfg.CognitoDomainPrefix == "" {
		cfg.CognitoDomainPrefix = cfg.NamePrefix + "-login"
	}
	if cfg.Backend.Region == "" {
		cfg.Backend.Region = cfg.Region
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: invalid configuration:\n%w", path, err)
	}
	return cfg, nil
}

// decodeStrict decodes JSON, refusing unknown settings (a typo must not be silently ignored).
func decodeStrict(data []byte, v any) error {
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
