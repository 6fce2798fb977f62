package stacks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/constructs/shinyservice"
)

func validConfig() Config {
	cfg := DefaultConfig("dev")
	cfg.CognitoDomainPrefix = "shiny-dev-login"
	return cfg
}

func TestDefaultConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig(t.TempDir(), "")
	if err != nil {
		t.Fatalf("defaults must be valid with no config file: %v", err)
	}
	if cfg.Environment != "dev" || cfg.NamePrefix != "shiny-dev" || cfg.CognitoDomainPrefix != "" || cfg.AllowDeletion {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	s := cfg.Scaling
	if s.MinTasks != 1 || s.MaxTasks != 5 || s.ScaleOutAbove != 15 || s.ScaleInBelow != 3 || s.Mode != sessionscaling.ModeSessions {
		t.Errorf("scaling defaults = %+v, want min 1, max 5, out above 15, in below 3, sessions", s)
	}
}

func TestLoadConfigOverridesDefaults(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prod.json"), `{"domain":"apps.example.org","scaling":{"minTasks":2,"maxTasks":8},"shiny":{"cpu":1024,"memoryMiB":2048,"desiredCount":2}}`)
	cfg, err := LoadConfig(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Domain != "apps.example.org" || cfg.Scaling.MinTasks != 2 || cfg.Scaling.MaxTasks != 8 {
		t.Errorf("file values not applied: %+v", cfg)
	}
	if cfg.Scaling.ScaleOutAbove != 15 || cfg.Region != "us-east-1" || cfg.NamePrefix != "shiny-prod" {
		t.Errorf("defaults lost for unset values: %+v", cfg)
	}
}

func TestShippedEnvironmentsAreValid(t *testing.T) {
	files, _ := filepath.Glob("../config/*.json")
	if len(files) == 0 {
		t.Fatal("no environment files in config/")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if _, err := LoadConfig("../config", name); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "typo.json"), `{"domian":"x.example.com"}`)
	writeFile(t, filepath.Join(dir, "broken.json"), `{"domain":`)
	writeFile(t, filepath.Join(dir, "bad.json"), `{"region":"mars-1","keepImages":0}`)
	for _, tc := range []struct{ env, want string }{
		{"typo", `domian = "domian": is not a setting`},
		{"broken", "unexpected EOF"},
		{"staging", "no config file"},
		{"Prod!", "SHINY_ENV"},
		{"bad", `region = "mars-1"`},
		{"bad", "keepImages = 0"},
	} {
		t.Run(tc.env+"/"+tc.want, func(t *testing.T) {
			_, err := LoadConfig(dir, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestValidationRules has one negative case per rule: each error names the
// setting and the value received.
func TestValidationRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"region", func(c *Config) { c.Region = "useast1" }, `region = "useast1"`},
		{"name prefix", func(c *Config) { c.NamePrefix = "Shiny_App" }, `namePrefix = "Shiny_App"`},
		{"name prefix length", func(c *Config) { c.NamePrefix = "a-very-long-prefix-for-names" }, `namePrefix = "a-very-long-prefix-for-names"`},
		{"domain", func(c *Config) { c.Domain = "localhost" }, `domain = "localhost"`},
		{"domain www", func(c *Config) { c.Domain = "www.example.com" }, `domain = "www.example.com"`},
		{"hosted zone", func(c *Config) { c.HostedZoneID = "zone-1" }, `hostedZoneId = "zone-1"`},
		{"vpc id", func(c *Config) { c.VpcID = "vpc-XYZ" }, `vpcId = "vpc-XYZ"`},
		{"subnet id", func(c *Config) { c.VpcID = "vpc-0123456789abcdef0"; c.SubnetIDs = []string{"subnet-01234567", "sn-1"} }, `subnetIds[1] = "sn-1"`},
		{"subnets with vpc", func(c *Config) { c.VpcID = "vpc-0123456789abcdef0"; c.SubnetIDs = []string{"subnet-01234567"} }, "at least two subnets"},
		{"subnets without vpc", func(c *Config) { c.SubnetIDs = []string{"subnet-01234567", "subnet-89abcdef"} }, "set vpcId too"},
		{"duplicate subnet", func(c *Config) {
			c.VpcID = "vpc-0123456789abcdef0"
			c.SubnetIDs = []string{"subnet-01234567", "subnet-01234567"}
		}, "lists subnet-01234567 twice"},
		{"no cidrs", func(c *Config) { c.AllowedIngressCIDRs = nil }, "allowedIngressCidrs = []: must list at least one"},
		{"cidr", func(c *Config) { c.AllowedIngressCIDRs = []string{"10.0.0.1/8"} }, `allowedIngressCidrs[0] = "10.0.0.1/8"`},
		{"image tag", func(c *Config) { c.ImageTag = "-bad" }, `imageTag = "-bad"`},
		{"keep images", func(c *Config) { c.KeepImages = 0 }, "keepImages = 0"},
		{"cognito prefix", func(c *Config) { c.CognitoDomainPrefix = "Login_" }, `cognitoDomainPrefix = "Login_"`},
		{"cognito reserved", func(c *Config) { c.CognitoDomainPrefix = "my-cognito" }, "reserved word cognito"},
		{"auth session timeout", func(c *Config) { c.AuthSessionTimeoutSeconds = 10 }, "authSessionTimeoutSeconds = 10"},
		{"idle timeout", func(c *Config) { c.IdleTimeoutSeconds = 5000 }, "idleTimeoutSeconds = 5000"},
		{"fargate cpu", func(c *Config) { c.Shiny.CPU = 300 }, "shiny.cpu = 300"},
		{"fargate memory", func(c *Config) { c.Logout.MemoryMiB = 4096 }, "logout.memoryMiB = 4096: with cpu 256"},
		{"desired count", func(c *Config) { c.Logout.DesiredCount = 0 }, "logout.desiredCount = 0"},
		{"desired within scaling", func(c *Config) { c.Shiny.DesiredCount = 6 }, "shiny.desiredCount = 6: must be from scaling.minTasks (1) to scaling.maxTasks (5)"},
		{"scaling mode", func(c *Config) { c.Scaling.Mode = "memory" }, `scaling.mode = "memory"`},
		{"min tasks", func(c *Config) { c.Scaling.MinTasks = 0 }, "scaling.minTasks = 0"},
		{"max tasks", func(c *Config) { c.Scaling.MaxTasks = 0 }, "scaling.maxTasks = 0"},
		{"scale in", func(c *Config) { c.Scaling.ScaleInBelow = 0 }, "scaling.scaleInBelow = 0"},
		{"thresholds order", func(c *Config) { c.Scaling.ScaleOutAbove = 3 }, "scaling.scaleOutAbove = 3: must be greater than scaleInBelow (3)"},
		{"cpu target", func(c *Config) { c.Scaling.CPUTargetPercent = 95 }, "scaling.cpuTargetPercent = 95"},
		{"log retention", func(c *Config) { c.LogRetentionDays = 10 }, "logRetentionDays = 10"},
		{"idle timeout", func(c *Config) { c.Sessions.IdleTimeoutMinutes = 0 }, "sessions.idleTimeoutMinutes = 0: must be a whole number of minutes from 1 to 1440"},
		{"drain", func(c *Config) { c.Sessions.DrainMinutes = -1 }, "sessions.drainMinutes = -1"},
		{"max per user", func(c *Config) { c.Sessions.MaxPerUser = 1001 }, "sessions.maxPerUser = 1001"},
		{"busy grace", func(c *Config) { c.Shiny.BusyGraceSeconds = 3601 }, "shiny.busyGraceSeconds = 3601"},
		{"app dir empty", func(c *Config) { c.Shiny.AppDir = "" }, `shiny.appDir = "": must be a folder`},
		{"app dir home", func(c *Config) { c.Shiny.AppDir = "~/apps/sales" }, `shiny.appDir = "~/apps/sales": must be relative to this project's folder or absolute: ~ is not expanded`},
		{"app dir tab", func(c *Config) { c.Shiny.AppDir = "apps/a\tb" }, `shiny.appDir = "apps/a\tb": must not contain tabs`},
		{"dockerfile line break", func(c *Config) { c.Shiny.Dockerfile = "Dockerfile\n" }, `shiny.dockerfile = "Dockerfile\n": must not contain tabs, line breaks`},
		{"dockerfile home", func(c *Config) { c.Shiny.Dockerfile = "~/Dockerfile" }, `shiny.dockerfile = "~/Dockerfile"`},
		{"unknown region", func(c *Config) { c.Region = "zz-fake-9" }, `region = "zz-fake-9"`},
		{"tag reserved", func(c *Config) { c.Tags = map[string]string{"aws:owner": "x"} }, "tags.aws:owner"},
		{"tag managed", func(c *Config) { c.Tags = map[string]string{"Project": "x"} }, "tags.Project"},
		{"tag managed by", func(c *Config) { c.Tags = map[string]string{"ManagedBy": "me"} }, "tags.ManagedBy"},
		{"alerts email without alerts", func(c *Config) { c.Alerts.Email = "ops@example.com" }, `alerts.email = "ops@example.com": is only used with alerts.enabled true`},
		{"alerts topic without alerts", func(c *Config) { c.Alerts.TopicARN = "arn:aws:sns:us-east-1:123456789012:ops" }, `alerts.topicArn = "arn:aws:sns:us-east-1:123456789012:ops": is only used with alerts.enabled true`},
		{"alerts email", func(c *Config) { c.Alerts.Enabled, c.Alerts.Email = true, "ops at example.com" }, `alerts.email = "ops at example.com": must be an email address`},
		{"alerts topic arn", func(c *Config) { c.Alerts.Enabled, c.Alerts.TopicARN = true, "arn:aws:sqs:us-east-1:123456789012:q" }, `alerts.topicArn = "arn:aws:sqs:us-east-1:123456789012:q": must be the ARN of a standard SNS topic`},
		{"alerts fifo topic", func(c *Config) {
			c.Alerts.Enabled, c.Alerts.TopicARN = true, "arn:aws:sns:us-east-1:123456789012:ops.fifo"
		}, `alerts.topicArn = "arn:aws:sns:us-east-1:123456789012:ops.fifo"`},
		{"alerts topic region", func(c *Config) { c.Alerts.Enabled, c.Alerts.TopicARN = true, "arn:aws:sns:eu-west-1:123456789012:ops" }, `alerts.topicArn = "arn:aws:sns:eu-west-1:123456789012:ops": must be a topic in the stack's region us-east-1`},
		{"alerts topic and email", func(c *Config) {
			c.Alerts.Enabled, c.Alerts.TopicARN, c.Alerts.Email = true, "arn:aws:sns:us-east-1:123456789012:ops", "ops@example.com"
		}, `alerts.email = "ops@example.com": must be empty with alerts.topicArn`},
		{"alerts 5xx threshold", func(c *Config) { c.Alerts.ALB5xxPer5Minutes = 0 }, "alerts.alb5xxPer5Minutes = 0: must be from 1 to 100000"},
		{"access logs bucket without logs", func(c *Config) { c.AccessLogs.Bucket = "audit" }, `accessLogs.bucket = "audit": is only used with accessLogs.enabled true`},
		{"access logs bucket", func(c *Config) { c.AccessLogs.Enabled, c.AccessLogs.Bucket = true, "Audit_Logs" }, `accessLogs.bucket = "Audit_Logs": must be empty (the stack creates a bucket) or an S3 bucket name`},
		{"access logs retention", func(c *Config) { c.AccessLogs.RetentionDays = 0 }, "accessLogs.retentionDays = 0: must be from 1 to 3650"},
		{"waf rate", func(c *Config) { c.WAF.RequestsPer5Minutes = 50 }, "waf.requestsPer5Minutes = 50: must be from 100 to 2000000000"},
		{"backend local lock table", func(c *Config) { c.Backend.DynamoDBTable = "locks" }, `backend.dynamodbTable = "locks": only used with backend.type "s3"`},
		{"tag value", func(c *Config) { c.Tags = map[string]string{"Team": strings.Repeat("x", 300)} }, "tags.Team"},
		{"backend type", func(c *Config) { c.Backend.Type = "gcs" }, `backend.type = "gcs"`},
		{"backend local bucket", func(c *Config) { c.Backend.Bucket = "b" }, `backend.bucket = "b": only used with backend.type "s3"`},
		{"backend bucket", func(c *Config) { c.Backend.Type = BackendS3; c.Backend.Region = "us-east-1"; c.Backend.Bucket = "" }, `backend.bucket = ""`},
		{"backend lock table", func(c *Config) {
			c.Backend = Backend{Type: BackendS3, Bucket: "state", Region: "us-east-1", KeyPrefix: "x", DynamoDBTable: "a b"}
		}, `backend.dynamodbTable = "a b"`},
		{"backend region", func(c *Config) { c.Backend = Backend{Type: BackendS3, Bucket: "state", KeyPrefix: "x", Region: "eu"} }, `backend.region = "eu"`},
		{"backend key prefix", func(c *Config) { c.Backend.KeyPrefix = "/abs" }, `backend.keyPrefix = "/abs"`},
		{"sign up", func(c *Config) { c.Auth.SignUp = "" }, `auth.signUp = "": must be one of`},
		{"allowed domains", func(c *Config) { c.Auth.SignUp = "domains" }, "auth.allowedEmailDomains = []: must list at least one domain"},
		{"mfa", func(c *Config) { c.Auth.MFA = "required" }, `auth.mfa = "required"`},
		{"task subnets without vpc", func(c *Config) { c.TaskSubnetIDs = []string{"subnet-01234567", "subnet-89abcdef"} }, "taskSubnetIds = [\"subnet-01234567\", \"subnet-89abcdef\"]: must be empty when vpcId is empty"},
		{"task subnet id", func(c *Config) { withVPC(c); c.TaskSubnetIDs = []string{"subnet-01234567", "private-1"} }, `taskSubnetIds[1] = "private-1"`},
		{"one task subnet", func(c *Config) { withVPC(c); c.TaskSubnetIDs = []string{"subnet-01234567"} }, "taskSubnetIds = [\"subnet-01234567\"]: must list at least two"},
		{"duplicate task subnet", func(c *Config) { withVPC(c); c.TaskSubnetIDs = []string{"subnet-01234567", "subnet-01234567"} }, "lists subnet-01234567 twice"},
		{"env name", func(c *Config) { c.Shiny.Environment = map[string]string{"1BAD": "x"} }, `shiny.environment.1BAD = "1BAD": an environment variable name`},
		{"env name stack sets", func(c *Config) { c.Shiny.Environment = map[string]string{"SHINY_PORT": "80"} }, `shiny.environment.SHINY_PORT = "SHINY_PORT": is set by the stack itself`},
		{"env name aws", func(c *Config) { c.Shiny.Environment = map[string]string{"AWS_REGION": "x"} }, `shiny.environment.AWS_REGION = "AWS_REGION": must not start with AWS_`},
		{"secret name", func(c *Config) { c.Shiny.Secrets = map[string]shinyservice.Secret{"DB-PASS": {ARN: testParamARN}} }, `shiny.secrets.DB-PASS = "DB-PASS"`},
		{"secret name stack sets", func(c *Config) { c.Shiny.Secrets = map[string]shinyservice.Secret{"SHINY_HOST": {ARN: testParamARN}} }, `shiny.secrets.SHINY_HOST = "SHINY_HOST": is set by the stack itself`},
		{"secret and env", func(c *Config) {
			c.Shiny.Environment = map[string]string{"TOKEN": "x"}
			c.Shiny.Secrets = map[string]shinyservice.Secret{"TOKEN": {ARN: testParamARN}}
		}, `shiny.secrets.TOKEN = "TOKEN": is also in environment`},
		{"secret arn", func(c *Config) {
			c.Shiny.Secrets = map[string]shinyservice.Secret{"DB": {ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}}
		}, `shiny.secrets.DB.arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db": must be the full ARN`},
		{"secret json key on parameter", func(c *Config) {
			c.Shiny.Secrets = map[string]shinyservice.Secret{"K": {ARN: testParamARN, JSONKey: "k"}}
		}, `shiny.secrets.K.jsonKey = "k": is only for Secrets Manager`},
		{"secret json key", func(c *Config) {
			c.Shiny.Secrets = map[string]shinyservice.Secret{"K": {ARN: testSecretARN, JSONKey: "a:b"}}
		}, `shiny.secrets.K.jsonKey = "a:b"`},
		{"secret kms key", func(c *Config) {
			c.Shiny.Secrets = map[string]shinyservice.Secret{"K": {ARN: testSecretARN, KMSKeyARN: "alias/mine"}}
		}, `shiny.secrets.K.kmsKeyArn = "alias/mine"`},
		{"secrets kms key", func(c *Config) { c.Shiny.SecretsKMSKeyARN = "key-1" }, `shiny.secretsKmsKeyArn = "key-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func withVPC(c *Config) {
	c.VpcID = "vpc-0123456789abcdef0"
	c.SubnetIDs = []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	cfg := validConfig()
	cfg.Region = "x"
	cfg.Domain = "y"
	cfg.KeepImages = -1
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"region", "domain", "keepImages"} {
		if !strings.Contains(err.Error(), want+" = ") {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A file must say exactly what it is read as: what encoding/json would
// silently accept is refused, each with what to write instead.
func TestConfigFileSaysWhatItMeans(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"null", `null`, "the file holds null, not a JSON object of settings (write {} to take every default)"},
		{"list", `[]`, "the file holds a list"},
		{"case", `{"REGION": "eu-west-1"}`, `REGION = "REGION": is not a setting; did you mean "region"? (setting names are case-sensitive)`},
		{"nested case", `{"scaling": {"MaxTasks": 3}}`, `scaling.MaxTasks = "MaxTasks": is not a setting; did you mean "maxTasks"?`},
		{"duplicate", `{"domain": "a.example.com", "domain": "b.example.com"}`, `domain = "domain": is set twice in the file`},
		{"nested duplicate", `{"shiny": {"cpu": 1024, "cpu": 2048}}`, `shiny.cpu = "cpu": is set twice`},
		{"duplicate tag", `{"tags": {"Team": "a", "Team": "b"}}`, `tags.Team = "Team": is set twice`},
		{"renamed", `{"deletionProtection": true}`, `deletionProtection = "deletionProtection": was replaced by "allowDeletion" with the opposite meaning`},
		{"unknown nested", `{"backend": {"bukket": "x"}}`, `backend.bukket = "bukket": is not a setting`},
		{"ip domain", `{"domain": "203.0.113.9"}`, `domain = "203.0.113.9": is an IP address`},
		{"long domain", `{"domain": "` + strings.Repeat("a", 60) + `.example.com"}`, "ACM certificates allow 64"},
		{"duplicate cidr", `{"allowedIngressCidrs": ["10.0.0.0/8", "10.0.0.0/8"]}`, "is listed twice"},
		{"secret key case", `{"shiny": {"secrets": {"K": {"arn": "arn:aws:ssm:us-east-1:123456789012:parameter/k", "jsonkey": "x"}}}}`, `shiny.secrets.K.jsonkey = "jsonkey": is not a setting; did you mean "jsonKey"?`},
		{"huge threshold", `{"scaling": {"scaleOutAbove": 9223372036854775807}}`, "scaling.scaleOutAbove = 9223372036854775807: must be greater than scaleInBelow (3) and at most 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "prod.json"), tc.file)
			_, err := LoadConfig(dir, "prod")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// Every key problem of a file is reported at once.
func TestConfigKeyProblemsAllAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prod.json"), `{"Region": "eu-west-1", "imageTag": "a", "imageTag": "b", "nope": 1}`)
	_, err := LoadConfig(dir, "prod")
	for _, want := range []string{"Region = ", "imageTag = ", "nope = "} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to report %q", err, want)
		}
	}
}
