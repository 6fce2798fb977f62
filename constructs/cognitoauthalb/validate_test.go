package cognitoauthalb

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func validProps() Props {
	p := Props{
		NamePrefix: "shiny-dev", Domain: "shiny.example.com", VpcID: "vpc-1",
		SubnetIDs: []string{"subnet-1", "subnet-2"}, IngressCIDRs: []string{"0.0.0.0/0"},
		VpcCIDR: "172.31.0.0/16", TargetPorts: []int{8080},
		CognitoDomainPrefix: "shiny-dev-login",
	}
	p.defaults()
	return p
}

func TestValidPropsPass(t *testing.T) {
	if err := validProps().validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPropsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Props)
		want   string
	}{
		{"prefix", func(p *Props) { p.NamePrefix = strings.Repeat("a", 29) }, "NamePrefix"},
		{"domain", func(p *Props) { p.Domain = "https://example.com" }, `Domain = "https://example.com"`},
		{"domain www", func(p *Props) { p.Domain = "www.example.com" }, `Domain = "www.example.com"`},
		{"vpc", func(p *Props) { p.VpcID = "" }, `VpcID = ""`},
		{"subnets", func(p *Props) { p.SubnetIDs = []string{"subnet-1"} }, "at least two subnets"},
		{"vpc cidr", func(p *Props) { p.VpcCIDR = "" }, `VpcCIDR = ""`},
		{"no target ports", func(p *Props) { p.TargetPorts = nil }, "TargetPorts = []int(nil)"},
		{"target port", func(p *Props) { p.TargetPorts = []int{8080, 8080} }, "TargetPorts[1] = 8080"},
		{"no cidrs", func(p *Props) { p.IngressCIDRs = nil }, "IngressCIDRs = []string(nil)"},
		{"cidr", func(p *Props) { p.IngressCIDRs = []string{"everyone"} }, `IngressCIDRs[0] = "everyone"`},
		{"idle", func(p *Props) { p.IdleTimeout = time.Hour * 2 }, "IdleTimeout"},
		{"session", func(p *Props) { p.SessionTimeout = 8 * 24 * time.Hour }, "SessionTimeout"},
		{"cognito", func(p *Props) { p.CognitoDomainPrefix = "" }, `CognitoDomainPrefix = ""`},
		{"ssl policy", func(p *Props) { p.SSLPolicy = "ELBSecurityPolicy-2016-08" }, `SSLPolicy = "ELBSecurityPolicy-2016-08"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProps()
			tc.mutate(&p)
			err := p.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRoutesValidation(t *testing.T) {
	err := Routes{}.validate()
	for _, want := range []string{"AppTargetGroupARN", "LogoutTargetGroupARN"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to name %s", err, want)
		}
	}
}

func TestURLsForBothHosts(t *testing.T) {
	p := validProps()
	if got := p.CallbackURLs(); got[0] != "https://shiny.example.com/oauth2/idpresponse" || got[1] != "https://www.shiny.example.com/oauth2/idpresponse" {
		t.Errorf("callbacks = %v", got)
	}
	if got := p.LogoutURLs(); got[0] != "https://shiny.example.com/logged-out" || got[1] != "https://www.shiny.example.com/logged-out" {
		t.Errorf("logout URLs = %v", got)
	}
}
