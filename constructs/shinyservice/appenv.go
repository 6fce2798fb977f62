package shinyservice

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// AppSettings are the environment variables and secrets an app's container
// receives: the stack configuration's "shiny" section holds them. Secret
// values never pass through the stack: ECS reads them at task start with the
// execution role, which may read exactly these ARNs.
type AppSettings struct {
	// Environment are plain environment variables of the app's container
	// (name → value). They are visible in the task definition: put
	// passwords and keys in secrets.
	Environment map[string]string `json:"environment"`
	// Secrets are environment variables ECS reads at task start from AWS
	// Secrets Manager or SSM Parameter Store (name → {"arn", "jsonKey",
	// "kmsKeyArn"}). A secret's full ARN (with its 6-character suffix) or a
	// parameter's ARN; jsonKey picks one key of a JSON secret; kmsKeyArn is
	// its customer managed key, if any.
	Secrets map[string]Secret `json:"secrets"`
	// SecretsKMSKeyARN is the customer managed KMS key the secrets are
	// encrypted with, for those without their own kmsKeyArn. Empty: AWS
	// managed keys (aws/secretsmanager, aws/ssm), which need no grant.
	SecretsKMSKeyARN string `json:"secretsKmsKeyArn"`
}

// Secret is one secret environment variable.
type Secret struct {
	// ARN of a Secrets Manager secret or an SSM parameter.
	ARN string `json:"arn"`
	// JSONKey picks one key of a Secrets Manager secret holding JSON. Empty: the whole secret.
	JSONKey string `json:"jsonKey"`
	// KMSKeyARN is the customer managed key this secret is encrypted with. Empty: secretsKmsKeyArn.
	KMSKeyARN string `json:"kmsKeyArn"`
}

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)
	// A full Secrets Manager ARN ends with "-" and 6 random characters; IAM
	// matches the full ARN only.
	secretARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	parameterARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$`)
	kmsKeyARNRE    = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$`)
	jsonKeyRE      = regexp.MustCompile(`^[^:\s]{1,256}$`)
)

// ReservedEnvPrefixes are names ECS and the AWS SDKs set in every container.
var ReservedEnvPrefixes = []string{"AWS_", "ECS_"}

// Validate reports every problem with the settings, named as in the stack
// configuration (environment.NAME, secrets.NAME.arn, ...). reserved are the
// names the stack itself sets in the container.
func (a AppSettings) Validate(reserved ...string) error {
	p := check.New("")
	checkName := func(field, name string) {
		switch {
		case !envNameRE.MatchString(name):
			p.Add(field, name, "an environment variable name must be letters, digits and _, not starting with a digit")
		case slices.Contains(reserved, name):
			p.Add(field, name, fmt.Sprintf("is set by the stack itself (%s); choose another name", strings.Join(reserved, ", ")))
		case slices.ContainsFunc(ReservedEnvPrefixes, func(pre string) bool { return strings.HasPrefix(strings.ToUpper(name), pre) }):
			p.Add(field, name, fmt.Sprintf("must not start with %s (set by ECS and read by the AWS SDKs)", strings.Join(ReservedEnvPrefixes, " or ")))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Environment)) {
		checkName("environment."+k, k)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Secrets)) {
		s := a.Secrets[k]
		checkName("secrets."+k, k)
		if _, dup := a.Environment[k]; dup {
			p.Add("secrets."+k, k, "is also in environment; a name is either a plain value or a secret")
		}
		switch {
		case secretARNRE.MatchString(s.ARN):
			if s.JSONKey != "" && !jsonKeyRE.MatchString(s.JSONKey) {
				p.Add("secrets."+k+".jsonKey", s.JSONKey, "must be 1-256 characters without colons or spaces")
			}
		case parameterARNRE.MatchString(s.ARN):
			if s.JSONKey != "" {
				p.Add("secrets."+k+".jsonKey", s.JSONKey, "is only for Secrets Manager secrets; an SSM parameter is read whole")
			}
		default:
			p.Add("secrets."+k+".arn", s.ARN, "must be the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf, with its 6-character suffix) or an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)")
		}
		if s.KMSKeyARN != "" && !kmsKeyARNRE.MatchString(s.KMSKeyARN) {
			p.Add("secrets."+k+".kmsKeyArn", s.KMSKeyARN, "must be empty or a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		}
	}
	if a.SecretsKMSKeyARN != "" && !kmsKeyARNRE.MatchString(a.SecretsKMSKeyARN) {
		p.Add("secretsKmsKeyArn", a.SecretsKMSKeyARN, "must be empty or a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	}
	return p.Err()
}

// IsParameter tells an SSM parameter from a Secrets Manager secret.
func (s Secret) IsParameter() bool { return strings.Contains(s.ARN, ":ssm:") }

// ValueFrom is the container definition's valueFrom: the ARN, or for one
// key of a JSON secret ARN:KEY:: (the latest version).
func (s Secret) ValueFrom() string {
	if s.JSONKey == "" {
		return s.ARN
	}
	return s.ARN + ":" + s.JSONKey + "::"
}

// ValueFroms are the secrets as a container's Secrets (name → valueFrom).
func (a AppSettings) ValueFroms() map[string]string {
	if len(a.Secrets) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, s := range a.Secrets {
		out[k] = s.ValueFrom()
	}
	return out
}

// ReadSecretsPolicy lets ECS read exactly these secrets and parameters, and
// decrypt with their customer managed keys: the execution role's grant
// (see GrantExecution). Nil when there are no secrets.
func (a AppSettings) ReadSecretsPolicy(scope constructs.Construct, id string) dataawsiampolicydocument.DataAwsIamPolicyDocument {
	if len(a.Secrets) == 0 {
		return nil
	}
	var secrets, params, keys []string
	for _, k := range slices.Sorted(maps.Keys(a.Secrets)) {
		s := a.Secrets[k]
		if s.IsParameter() {
			params = append(params, s.ARN)
		} else {
			secrets = append(secrets, s.ARN)
		}
		key := s.KMSKeyARN
		if key == "" {
			key = a.SecretsKMSKeyARN
		}
		if key != "" {
			keys = append(keys, key)
		}
	}
	var st []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement
	add := func(sid string, actions []string, resources []string) {
		if len(resources) > 0 {
			resources = slices.Compact(slices.Sorted(slices.Values(resources)))
			st = append(st, &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
				Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...),
			})
		}
	}
	add("ReadSecrets", []string{"secretsmanager:GetSecretValue"}, secrets)
	add("ReadParameters", []string{"ssm:GetParameters"}, params)
	add("DecryptSecrets", []string{"kms:Decrypt"}, keys)
	return dataawsiampolicydocument.NewDataAwsIamPolicyDocument(scope, jsii.String(id), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{Statement: st})
}
