// Package awsid holds the rules for AWS identifiers that more than one part
// of the project checks: the AWS region (the stack's region and backend
// region, the logout server's Cognito region) and the Cognito user pool
// domain prefix (the stack's cognitoDomainPrefix, the logout server's
// COGNITO_DOMAIN_PREFIX). Each rule lives here once; callers add the setting's
// name and value to the message in their own format (`name = value: ...` for
// config, `VAR="value": ...` for environment variables).
package awsid

import (
	"errors"
	"regexp"
	"slices"
	"strings"
)

// regions are the AWS regions a deployment may name: every region of the
// commercial (aws), GovCloud (aws-us-gov) and China (aws-cn) partitions, as
// listed in the AWS SDK for Go v2's partitions.json (v1.48.0). The ISO and
// European Sovereign Cloud partitions are left out on purpose: nothing here
// is tested against them. A pattern would accept names that no region has
// (zz-fake-9), which AWS then refuses only at deploy time. TestRegionsMatchSDK
// fails when the SDK in go.mod lists a region of these partitions that is
// missing here, so an upgrade of the SDK keeps the list current. Sorted.
var regions = []string{
	"af-south-1",
	"ap-east-1",
	"ap-east-2",
	"ap-northeast-1",
	"ap-northeast-2",
	"ap-northeast-3",
	"ap-south-1",
	"ap-south-2",
	"ap-southeast-1",
	"ap-southeast-2",
	"ap-southeast-3",
	"ap-southeast-4",
	"ap-southeast-5",
	"ap-southeast-6",
	"ap-southeast-7",
	"ca-central-1",
	"ca-west-1",
	"cn-north-1",
	"cn-northwest-1",
	"eu-central-1",
	"eu-central-2",
	"eu-north-1",
	"eu-south-1",
	"eu-south-2",
	"eu-west-1",
	"eu-west-2",
	"eu-west-3",
	"il-central-1",
	"me-central-1",
	"me-south-1",
	"me-west-1",
	"mx-central-1",
	"sa-east-1",
	"sa-west-1",
	"us-east-1",
	"us-east-2",
	"us-gov-east-1",
	"us-gov-west-1",
	"us-west-1",
	"us-west-2",
}

// Regions returns the known AWS regions, sorted (a copy).
func Regions() []string { return slices.Clone(regions) }

// ValidRegion reports whether s is a known AWS region (see Regions).
func ValidRegion(s string) bool {
	_, ok := slices.BinarySearch(regions, s)
	return ok
}

// CheckRegion returns nil for a known AWS region, else an error saying what
// is allowed ("must be a known AWS region such as us-east-1; known: ...").
// The caller prefixes the setting's name and value.
func CheckRegion(s string) error {
	if ValidRegion(s) {
		return nil
	}
	return errors.New("must be a known AWS region such as us-east-1 (commercial, GovCloud or China); known: " +
		strings.Join(regions, ", "))
}

// Cognito user pool domain prefixes: lowercase letters, digits and hyphens,
// 1-63 characters, no leading or trailing hyphen (it becomes a DNS label of
// PREFIX.auth.REGION.amazoncognito.com).
var domainPrefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// ReservedDomainPrefixWords may not appear anywhere in a Cognito domain
// prefix: Cognito refuses such prefixes ("The domain prefix can't contain
// the reserved words aws, amazon or cognito").
var ReservedDomainPrefixWords = []string{"aws", "amazon", "cognito"}

// ValidCognitoDomainPrefix reports whether s is a Cognito user pool domain
// prefix that Cognito accepts (CheckCognitoDomainPrefix returns nil).
func ValidCognitoDomainPrefix(s string) bool { return CheckCognitoDomainPrefix(s) == nil }

// CheckCognitoDomainPrefix returns nil for a valid Cognito user pool domain
// prefix, else an error saying what is allowed. The caller prefixes the
// setting's name and value.
func CheckCognitoDomainPrefix(s string) error {
	if !domainPrefixRE.MatchString(s) {
		return errors.New("must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen")
	}
	for _, w := range ReservedDomainPrefixWords {
		if strings.Contains(s, w) {
			return errors.New("must not contain the reserved word " + w +
				" (Cognito refuses prefixes containing aws, amazon or cognito)")
		}
	}
	return nil
}

// bucketNameRE: S3 general purpose bucket names are 3-63 lowercase letters,
// digits, dots and hyphens, starting and ending with a letter or digit.
var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ValidBucketName reports whether s is an S3 bucket name (3-63 lowercase
// letters, digits, dots and hyphens; no "..", not an IP address).
func ValidBucketName(s string) bool {
	return bucketNameRE.MatchString(s) && !strings.Contains(s, "..") && !ipLikeRE.MatchString(s)
}

var ipLikeRE = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
