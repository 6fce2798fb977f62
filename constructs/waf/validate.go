package waf

import (
	"fmt"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// Limits of requestsPer5Minutes: AWS WAF's rate-based rules take 10 to 2
// billion; below 100 a single page load could trip it.
const (
	MinRequestsPer5Minutes = 100
	MaxRequestsPer5Minutes = 2000000000
)

// Validate reports every problem with the settings, named as in the stack
// configuration (requestsPer5Minutes).
func (s Settings) Validate() error {
	p := check.New("")
	if s.RequestsPer5Minutes < MinRequestsPer5Minutes || s.RequestsPer5Minutes > MaxRequestsPer5Minutes {
		p.Add("requestsPer5Minutes", s.RequestsPer5Minutes, fmt.Sprintf("must be from %d to %d (requests from one client address in any 5 minutes)", MinRequestsPer5Minutes, MaxRequestsPer5Minutes))
	}
	return p.Err()
}

// Validate reports every problem with the props at once.
func (p Props) Validate() error {
	c := check.New("")
	c.Include(p.Settings.Validate())
	c.Require("NamePrefix", p.NamePrefix)
	c.Require("LoadBalancerARN", p.LoadBalancerARN)
	return c.Err()
}
