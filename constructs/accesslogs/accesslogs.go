// Package accesslogs keeps the ALB's access logs and connection logs in S3:
// a bucket the stack creates (SSE-S3 encrypted, public access blocked, ACLs
// off, TLS-only, objects expiring after the retention) with the policy that
// lets Elastic Load Balancing write to it, or an existing bucket.
package accesslogs

import (
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawscalleridentity"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawspartition"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// DefaultRetentionDays keeps a quarter of a year of logs.
const DefaultRetentionDays = 90

// Settings are the audit log choices of a deployment: the stack
// configuration's "accessLogs" section is this struct.
type Settings struct {
	// Enabled writes the ALB's access logs (every request: time, client
	// address, path, status, target) and connection logs (every TLS
	// connection) to S3. False: no logs, no bucket.
	Enabled bool `json:"enabled"`
	// Bucket is an existing S3 bucket in the stack's region whose policy
	// already lets Elastic Load Balancing write under NAMEPREFIX/access and
	// NAMEPREFIX/connection (README, "Audit logs"). Empty: the
	// stack creates one.
	Bucket string `json:"bucket"`
	// RetentionDays is how long the created bucket keeps each log file. Not
	// used with bucket (its lifecycle is yours).
	RetentionDays int `json:"retentionDays"`
}

// DefaultSettings: off; when on, a new bucket keeping 90 days.
func DefaultSettings() Settings { return Settings{RetentionDays: DefaultRetentionDays} }

// Props configure AccessLogs.
type Props struct {
	// Settings are the user's choices; Enabled is not read (the caller
	// creates AccessLogs only when it is on).
	Settings
	// NamePrefix starts the bucket's name and the log prefixes, so several
	// environments may share a bucket. Required.
	NamePrefix string
	// Region of the ALB (and the bucket): it decides who delivers the logs. Required.
	Region string
	// AllowDeletion lets `cdktf destroy` delete the created bucket with the
	// logs in it. False: destroy fails while it holds logs, and they survive.
	AllowDeletion bool
}

// AccessLogs is what NewAccessLogs created. With Settings.Bucket only
// BucketName and the prefixes are set.
type AccessLogs struct {
	Bucket            s3bucket.S3Bucket
	PublicAccessBlock s3bucketpublicaccessblock.S3BucketPublicAccessBlock
	Encryption        s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationA
	Ownership         s3bucketownershipcontrols.S3BucketOwnershipControls
	Lifecycle         s3bucketlifecycleconfiguration.S3BucketLifecycleConfiguration
	Policy            s3bucketpolicy.S3BucketPolicy

	// BucketName is where the logs go.
	BucketName string
	// AccessPrefix and ConnectionPrefix are the key prefixes of the two
	// kinds of logs (ELB adds /AWSLogs/ACCOUNT/elasticloadbalancing/...).
	AccessPrefix, ConnectionPrefix string
}

// Prefixes are the key prefixes of the access and connection logs of a
// deployment (its name prefix, so environments can share a bucket).
func Prefixes(namePrefix string) (access, connection string) {
	return namePrefix + "/access", namePrefix + "/connection"
}

// NewAccessLogs creates the bucket (unless Settings.Bucket names one) under
// a construct named id.
func NewAccessLogs(scope constructs.Construct, id string, props Props) (*AccessLogs, error) {
	if props.RetentionDays == 0 {
		props.RetentionDays = DefaultRetentionDays
	}
	if err := props.Validate(); err != nil {
		return nil, fmt.Errorf("accesslogs %q: %w", id, err)
	}
	l := &AccessLogs{BucketName: props.Bucket}
	l.AccessPrefix, l.ConnectionPrefix = Prefixes(props.NamePrefix)
	if props.Bucket != "" {
		return l, nil
	}
	ns := constructs.NewConstruct(scope, jsii.String(id))
	l.Bucket = s3bucket.NewS3Bucket(ns, jsii.String("Bucket"), &s3bucket.S3BucketConfig{
		// A prefix: bucket names are global, Terraform adds a unique suffix.
		BucketPrefix: jsii.String(props.NamePrefix + "-alb-logs-"),
		ForceDestroy: jsii.Bool(props.AllowDeletion),
	})
	l.BucketName = *l.Bucket.Bucket()
	l.PublicAccessBlock = s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(ns, jsii.String("PublicAccessBlock"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket:          l.Bucket.Id(),
		BlockPublicAcls: jsii.Bool(true), BlockPublicPolicy: jsii.Bool(true),
		IgnorePublicAcls: jsii.Bool(true), RestrictPublicBuckets: jsii.Bool(true),
	})
	// SSE-S3: the only server-side encryption ALB log delivery supports
	// (see the page cited at bucketPolicy).
	l.Encryption = s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(ns, jsii.String("Encryption"), &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
		Bucket: l.Bucket.Id(),
		Rule: []*s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
			ApplyServerSideEncryptionByDefault: &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
				SseAlgorithm: jsii.String("AES256"),
			},
		}},
	})
	l.Ownership = s3bucketownershipcontrols.NewS3BucketOwnershipControls(ns, jsii.String("Ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: l.Bucket.Id(),
		Rule:   &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	l.Lifecycle = s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(ns, jsii.String("Lifecycle"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: l.Bucket.Id(),
		Rule: []*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{{
			Id:         jsii.String("expire-logs"),
			Status:     jsii.String("Enabled"),
			Filter:     []*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{{Prefix: jsii.String("")}},
			Expiration: []*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleExpiration{{Days: jsii.Number(float64(props.RetentionDays))}},
			AbortIncompleteMultipartUpload: []*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{{
				DaysAfterInitiation: jsii.Number(1),
			}},
		}},
	})
	l.bucketPolicy(ns, props)
	return l, nil
}

// bucketPolicy refuses every request without TLS and lets Elastic Load
// Balancing write both kinds of logs under their prefixes, for this account
// only. Who writes depends on the region, as "Enable access logs for your
// Application Load Balancer", step 2 "Attach a policy to your S3 bucket"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)
// says: in regions available before August 2022 the region's Elastic Load
// Balancing account (ELBAccount), in newer regions the service principal
// logdelivery.elasticloadbalancing.amazonaws.com. Connection logs use the
// same policy ("Enable connection logs for your Application Load Balancer").
func (l *AccessLogs) bucketPolicy(ns constructs.Construct, p Props) {
	account := dataawscalleridentity.NewDataAwsCallerIdentity(ns, jsii.String("Account"), &dataawscalleridentity.DataAwsCallerIdentityConfig{})
	partition := dataawspartition.NewDataAwsPartition(ns, jsii.String("Partition"), &dataawspartition.DataAwsPartitionConfig{})
	arn := *l.Bucket.Arn()
	writer := &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{
		Type: jsii.String("Service"), Identifiers: jsii.Strings(LogDeliveryService),
	}
	if id, ok := ELBAccount(p.Region); ok {
		writer = &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{
			Type: jsii.String("AWS"), Identifiers: jsii.Strings("arn:" + *partition.Partition() + ":iam::" + id + ":root"),
		}
	}
	var logObjects []string
	for _, prefix := range []string{l.AccessPrefix, l.ConnectionPrefix} {
		logObjects = append(logObjects, arn+"/"+prefix+"/AWSLogs/"+*account.AccountId()+"/*")
	}
	doc := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(ns, jsii.String("PolicyDocument"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			{
				Sid:        jsii.String("DenyWithoutTLS"),
				Effect:     jsii.String("Deny"),
				Actions:    jsii.Strings("s3:*"),
				Resources:  jsii.Strings(arn, arn+"/*"),
				Principals: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{Type: jsii.String("*"), Identifiers: jsii.Strings("*")}},
				Condition: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{{
					Test: jsii.String("Bool"), Variable: jsii.String("aws:SecureTransport"), Values: jsii.Strings("false"),
				}},
			},
			{
				Sid:        jsii.String("ELBWritesLogs"),
				Actions:    jsii.Strings("s3:PutObject"),
				Resources:  jsii.Strings(logObjects...),
				Principals: []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{writer},
			},
		},
	})
	l.Policy = s3bucketpolicy.NewS3BucketPolicy(ns, jsii.String("Policy"), &s3bucketpolicy.S3BucketPolicyConfig{
		Bucket: l.Bucket.Id(),
		Policy: doc.Json(),
		// S3 refuses a policy while the public access block is being set.
		DependsOn: &[]cdktf.ITerraformDependable{l.PublicAccessBlock},
	})
}

// LogDeliveryService writes ALB logs in regions available since August 2022.
const LogDeliveryService = "logdelivery.elasticloadbalancing.amazonaws.com"

// elbAccounts are the Elastic Load Balancing accounts of the regions
// available before August 2022, from the page cited at bucketPolicy (China
// from its amazonaws.cn edition).
var elbAccounts = map[string]string{
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-southeast-3": "589379963580",
	"ap-south-1":     "718504428378",
	"ap-northeast-3": "383597477331",
	"ap-northeast-2": "600734575887",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ap-northeast-1": "582318560864",
	"ca-central-1":   "985666609251",
	"eu-central-1":   "054676820928",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-south-1":     "635631232127",
	"eu-west-3":      "009996457667",
	"eu-north-1":     "897822967062",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
	"us-gov-west-1":  "048591011584",
	"us-gov-east-1":  "190560391635",
	"cn-north-1":     "638102146993",
	"cn-northwest-1": "037604701340",
}

// ELBAccount is the Elastic Load Balancing account that writes the logs of
// region, and false for a region that uses LogDeliveryService instead.
func ELBAccount(region string) (string, bool) {
	id, ok := elbAccounts[region]
	return id, ok
}

// LegacyRegions are the regions that have an ELBAccount, sorted.
func LegacyRegions() []string {
	var out []string
	for r := range elbAccounts {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
