package cognitoauthalb

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

func (p Props) validate() error {
	var errs []error
	bad := func(field string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s = %#v: %s", field, value, allowed))
	}
	if p.NamePrefix == "" || len(p.NamePrefix) > 28 {
		bad("NamePrefix", p.NamePrefix, "must be 1-28 characters (the ALB name allows 32)")
	}
	if !strings.Contains(p.Domain, ".") || strings.HasPrefix(p.Domain, "www.") || strings.ContainsAny(p.Domain, "/: ") {
		bad("Domain", p.Domain, "must be a host name such as shiny.example.com, without www. or scheme")
	}
	if p.VpcID == "" {
		bad("VpcID", p.VpcID, "is required")
	}
	if len(p.SubnetIDs) < 2 && !isListToken(p.SubnetIDs) {
		bad("SubnetIDs", p.SubnetIDs, "an ALB needs at least two subnets in different availability zones")
	}
	if p.VpcCIDR == "" {
		bad("VpcCIDR", p.VpcCIDR, "is required (the ALB reaches its targets there only)")
	}
	if len(p.TargetPorts) == 0 {
		bad("TargetPorts", p.TargetPorts, "must list the ports the targets listen on")
	}
	for i, port := range p.TargetPorts {
		if port < 1 || port > 65535 || slices.Index(p.TargetPorts, port) != i {
			bad(fmt.Sprintf("TargetPorts[%d]", i), port, "must be a port from 1 to 65535, listed once")
		}
	}
	if len(p.IngressCIDRs) == 0 {
		bad("IngressCIDRs", p.IngressCIDRs, "must list at least one CIDR")
	}
	for i, c := range p.IngressCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			bad(fmt.Sprintf("IngressCIDRs[%d]", i), c, "must be a CIDR such as 203.0.113.0/24")
		}
	}
	if p.IdleTimeout < time.Second || p.IdleTimeout > 4000*time.Second {
		bad("IdleTimeout", p.IdleTimeout.String(), "must be from 1s to 4000s")
	}
	if p.SessionTimeout < time.Minute || p.SessionTimeout > 7*24*time.Hour {
		bad("SessionTimeout", p.SessionTimeout.String(), "must be from 1m to 7 days")
	}
	if p.CognitoDomainPrefix == "" {
		bad("CognitoDomainPrefix", p.CognitoDomainPrefix, "is required")
	}
	if !strings.HasPrefix(p.SSLPolicy, "ELBSecurityPolicy-TLS13-") && !strings.HasPrefix(p.SSLPolicy, "ELBSecurityPolicy-FS-1-2") {
		bad("SSLPolicy", p.SSLPolicy, "must be a TLS 1.2+ forward-secret policy (ELBSecurityPolicy-TLS13-* or ELBSecurityPolicy-FS-1-2-*)")
	}
	return errors.Join(errs...)
}

// isListToken tells a list known only at apply time (one encoded token, e.g.
// the default VPC's subnet ids) from a literal list.
func isListToken(xs []string) bool {
	return len(xs) == 1 && *cdktf.Token_IsUnresolved(jsii.Strings(xs...))
}

func (r Routes) validate() error {
	var errs []error
	if r.AppTargetGroupARN == "" {
		errs = append(errs, errors.New(`AppTargetGroupARN = "": is required`))
	}
	if r.LogoutTargetGroupARN == "" {
		errs = append(errs, errors.New(`LogoutTargetGroupARN = "": is required`))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cognitoauthalb routes: %w", err)
	}
	return nil
}
