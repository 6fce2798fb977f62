package alerts

import (
	"regexp"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// MaxALB5xxPer5Minutes bounds the 5xx threshold (a typo, not a choice, beyond it).
const MaxALB5xxPer5Minutes = 100000

var (
	// emailRE is deliberately plain: one @, no spaces, a dotted domain.
	emailRE    = regexp.MustCompile(`^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
	topicARNRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
)

// Validate reports every problem with the settings, in field order, named
// as in the stack configuration (email, ...).
func (s Settings) Validate() error {
	p := check.New("")
	if !s.Enabled {
		if s.Email != "" {
			p.Add("email", s.Email, "is only used with alerts.enabled true; set it or remove the address")
		}
		if s.TopicARN != "" {
			p.Add("topicArn", s.TopicARN, "is only used with alerts.enabled true; set it or remove the topic")
		}
	}
	if s.Email != "" && !emailRE.MatchString(s.Email) {
		p.Add("email", s.Email, "must be an email address such as ops@example.com")
	}
	if s.TopicARN != "" {
		if !topicARNRE.MatchString(s.TopicARN) {
			p.Add("topicArn", s.TopicARN, "must be the ARN of a standard SNS topic, such as arn:aws:sns:us-east-1:123456789012:alerts (CloudWatch alarms cannot notify FIFO topics)")
		}
		if s.Email != "" {
			p.Add("email", s.Email, "must be empty with alerts.topicArn: subscribe the address to your own topic (the stack subscribes only to the topic it creates)")
		}
	}
	if s.ALB5xxPer5Minutes < 1 || s.ALB5xxPer5Minutes > MaxALB5xxPer5Minutes {
		p.Add("alb5xxPer5Minutes", s.ALB5xxPer5Minutes, "must be from 1 to 100000")
	}
	return p.Err()
}

// Validate reports every problem with the props at once.
func (p Props) Validate() error {
	c := check.New("")
	s := p.Settings
	s.Enabled = true
	c.Include(s.Validate())
	c.Require("NamePrefix", p.NamePrefix)
	c.Require("LoadBalancerARNSuffix", p.LoadBalancerARNSuffix)
	c.Require("TargetGroupARNSuffix", p.TargetGroupARNSuffix)
	c.Require("ClusterName", p.ClusterName)
	c.Require("ServiceName", p.ServiceName)
	c.Require("FunctionName", p.FunctionName)
	if p.Scaling.MaxTasks < 1 {
		c.Add("Scaling.MaxTasks", p.Scaling.MaxTasks, "must be at least 1 (give the service's scaling settings with defaults applied)")
	}
	return c.Err()
}
