package awsid

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-2", "ap-southeast-7", "us-gov-west-1", "us-gov-east-1",
		"cn-north-1", "cn-northwest-1", "il-central-1", "mx-central-1"} {
		if !ValidRegion(r) || CheckRegion(r) != nil {
			t.Errorf("ValidRegion(%q) = false, want true", r)
		}
	}
	for _, r := range []string{
		"", "zz-fake-9", "us-east-99", "us-east-0", "useast1", "US-EAST-1", " us-east-1", "us-east-1 ",
		"us-east-1.evil.example", "moon-base-1", "aws-global", "us-iso-east-1", "eu-west-1a",
	} {
		if ValidRegion(r) {
			t.Errorf("ValidRegion(%q) = true, want false", r)
		}
		err := CheckRegion(r)
		if err == nil || !strings.HasPrefix(err.Error(), "must be a known AWS region") || !strings.Contains(err.Error(), "us-west-2") {
			t.Errorf("CheckRegion(%q) = %v, want a message listing the known regions", r, err)
		}
	}
}

// ValidRegion searches a sorted list; an unsorted or duplicated entry would
// make it refuse a region it lists.
func TestRegionsSortedAndUnique(t *testing.T) {
	if !slices.IsSorted(regions) || len(slices.Compact(slices.Clone(regions))) != len(regions) {
		t.Errorf("regions must be sorted and unique: %v", regions)
	}
	for _, r := range Regions() {
		if !ValidRegion(r) {
			t.Errorf("listed region %q refused", r)
		}
	}
}

// The list is the commercial, GovCloud and China partitions of the AWS SDK's
// partitions.json, for the SDK version go.mod requires: a region added there
// (by an SDK upgrade) and missing here fails this test, and so does a region
// here that the SDK does not know.
func TestRegionsMatchSDK(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to find the SDK module: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/aws/aws-sdk-go-v2: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Fatalf("read the SDK's partitions.json: %v", err)
	}
	var doc struct {
		Partitions []struct {
			ID      string                     `json:"id"`
			Regions map[string]json.RawMessage `json:"regions"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse partitions.json: %v", err)
	}
	var sdk []string
	for _, p := range doc.Partitions {
		if p.ID != "aws" && p.ID != "aws-us-gov" && p.ID != "aws-cn" {
			continue
		}
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") { // pseudo-regions of global endpoints
				sdk = append(sdk, r)
			}
		}
	}
	slices.Sort(sdk)
	if !slices.Equal(sdk, regions) {
		t.Errorf("regions differ from the SDK's partitions.json:\n sdk  %v\n here %v", sdk, regions)
	}
}

func TestCognitoDomainPrefix(t *testing.T) {
	for _, s := range []string{"a", "123", "shiny-dev-login", "a" + strings.Repeat("-", 61) + "b", strings.Repeat("x", 63)} {
		if err := CheckCognitoDomainPrefix(s); err != nil || !ValidCognitoDomainPrefix(s) {
			t.Errorf("CheckCognitoDomainPrefix(%q) = %v, want nil", s, err)
		}
	}
	for _, tc := range []struct{ value, want string }{
		{"", "1-63 lowercase"},
		{"Shiny", "1-63 lowercase"},
		{"-shiny", "not starting or ending with a hyphen"},
		{"shiny-", "not starting or ending with a hyphen"},
		{"shiny.app", "1-63 lowercase"},
		{"shiny_app", "1-63 lowercase"},
		{strings.Repeat("a", 64), "1-63 lowercase"},
		{"my-aws-login", "reserved word aws"},
		{"amazonshiny", "reserved word amazon"},
		{"shiny-cognito", "reserved word cognito"},
		{"paws", "reserved word aws"}, // anywhere, as Cognito checks it
	} {
		err := CheckCognitoDomainPrefix(tc.value)
		if err == nil || ValidCognitoDomainPrefix(tc.value) {
			t.Errorf("CheckCognitoDomainPrefix(%q) = nil, want an error", tc.value)
			continue
		}
		if !strings.HasPrefix(err.Error(), "must ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckCognitoDomainPrefix(%q) = %q, want a \"must ...\" message containing %q", tc.value, err, tc.want)
		}
	}
}

func TestValidBucketName(t *testing.T) {
	for name, want := range map[string]bool{
		"audit-logs": true, "a.b.c": true, "abc": true,
		"ab": false, "Audit": false, "a..b": false, "-abc": false, "abc-": false, "192.168.1.1": false, "a_b": false,
	} {
		if got := ValidBucketName(name); got != want {
			t.Errorf("ValidBucketName(%q) = %v, want %v", name, got, want)
		}
	}
}
