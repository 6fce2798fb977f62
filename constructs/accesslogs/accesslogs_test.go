package accesslogs

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/shinyfargate/shiny-cdktf/internal/awsid"
	"github.com/shinyfargate/shiny-cdktf/internal/synthtest"
)

func synth(t *testing.T, p Props) (*AccessLogs, synthtest.Synth) {
	t.Helper()
	stack := cdktf.NewTerraformStack(cdktf.Testing_App(nil), jsii.String("test"))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String(p.Region)})
	l, err := NewAccessLogs(stack, "logs", p)
	if err != nil {
		t.Fatal(err)
	}
	return l, synthtest.SynthStack(t, stack)
}

// Regions available before August 2022 have an ELB account; later ones use
// the log delivery service (the AWS page cited at bucketPolicy).
func TestELBAccount(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "127311923021", "eu-west-1": "156460612806", "ap-southeast-3": "589379963580", "us-gov-west-1": "048591011584",
		"eu-central-2": "", "ap-southeast-5": "", "il-central-1": "", "ca-west-1": "", "mx-central-1": "",
	} {
		id, ok := ELBAccount(region)
		if id != want || ok != (want != "") {
			t.Errorf("ELBAccount(%q) = %q, %v; want %q", region, id, ok, want)
		}
	}
	for _, r := range LegacyRegions() {
		if !awsid.ValidRegion(r) {
			t.Errorf("%s has an ELB account but is not a known region", r)
		}
	}
}

func TestNewRegionUsesTheLogDeliveryService(t *testing.T) {
	_, out := synth(t, Props{Settings: DefaultSettings(), NamePrefix: "shiny-prod", Region: "ap-southeast-5"})
	out.HasDataSource(t, "aws_iam_policy_document", map[string]any{
		"statement": []any{
			map[string]any{"sid": "DenyWithoutTLS", "effect": "Deny"},
			map[string]any{"sid": "ELBWritesLogs", "actions": []any{"s3:PutObject"},
				"principals": []any{map[string]any{"type": "Service", "identifiers": []any{LogDeliveryService}}}},
		},
	})
}

func TestBucket(t *testing.T) {
	l, out := synth(t, Props{Settings: Settings{RetentionDays: 30}, NamePrefix: "shiny-prod", Region: "eu-west-1"})
	if l.AccessPrefix != "shiny-prod/access" || l.ConnectionPrefix != "shiny-prod/connection" {
		t.Errorf("prefixes %q %q", l.AccessPrefix, l.ConnectionPrefix)
	}
	out.HasResource(t, "aws_s3_bucket", map[string]any{"bucket_prefix": "shiny-prod-alb-logs-", "force_destroy": false})
	out.HasResource(t, "aws_s3_bucket_ownership_controls", map[string]any{"rule": map[string]any{"object_ownership": "BucketOwnerEnforced"}})
	out.HasResource(t, "aws_s3_bucket_lifecycle_configuration", map[string]any{
		"rule": []any{map[string]any{"status": "Enabled", "expiration": []any{map[string]any{"days": 30}}}},
	})
	out.HasDataSource(t, "aws_iam_policy_document", map[string]any{
		"statement": []any{
			map[string]any{"sid": "DenyWithoutTLS"},
			map[string]any{"sid": "ELBWritesLogs", "principals": []any{map[string]any{"type": "AWS"}}},
		},
	})
}

func TestExistingBucketCreatesNothing(t *testing.T) {
	l, out := synth(t, Props{Settings: Settings{Enabled: true, Bucket: "audit-logs"}, NamePrefix: "shiny-prod", Region: "eu-west-1"})
	if l.BucketName != "audit-logs" || l.Bucket != nil || len(out.Resources("aws_s3_bucket")) != 0 {
		t.Errorf("with an existing bucket: %+v", l)
	}
}

func TestPropsValidate(t *testing.T) {
	err := Props{Settings: Settings{RetentionDays: 4000}, Region: "mars-1"}.Validate()
	for _, want := range []string{"retentionDays = 4000", `NamePrefix = "": is required`, `Region = "mars-1"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want %q", err, want)
		}
	}
}
