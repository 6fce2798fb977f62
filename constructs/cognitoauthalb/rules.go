package cognitoauthalb

import (
	"slices"
	"strings"
)

// Target is where a listener rule sends a request.
type Target string

const (
	// TargetApp is the app's target group; the listener's default action
	// reaches it only after Cognito sign-in.
	TargetApp Target = "app"
	// TargetLogout is the logout server's target group, reached without sign-in.
	TargetLogout Target = "logout"
)

// Rule is one rule of the HTTPS listener, as data. NewCognitoAuthALB renders
// each into an aws_lb_listener_rule, and `make local`'s edge interprets the
// same list with Match, so a local preview routes exactly as the ALB does.
type Rule struct {
	// ID is the construct id of the rendered rule (part of the contract:
	// renaming it replaces the rule).
	ID string
	// Priority orders the rules: the ALB evaluates the lowest first.
	Priority int
	// HostHeaders and PathPatterns are the rule's conditions: every
	// condition given must match, and a condition matches when any of its
	// values does. An empty list is no condition.
	HostHeaders  []string
	PathPatterns []string
	// Forward, when set, sends the request to that target without sign-in.
	Forward Target
	// RedirectHost, when set, answers 301 with
	// https://RedirectHost:443/#{path}?#{query}.
	RedirectHost string
	// FixedStatus, when set, answers with that status and FixedBody (text/plain).
	FixedStatus int
	FixedBody   string
}

// DefaultAction is what the listener does when no rule matches: sign in with
// Cognito (authenticate-cognito), then forward to the app.
var DefaultAction = Rule{ID: "default", Forward: TargetApp}

// PriorityPrivate is the rule that keeps the targets' own endpoints from users.
const PriorityPrivate = 5

// ListenerRules are the HTTPS listener's rules for the apex host domain;
// privatePaths (path patterns) are answered 404 on every host, first.
//
// The logout rule has a host condition: on www.DOMAIN it does not match, so
// the www redirect sends /logout to the apex first, where the session cookie
// lives. Without it, https://www.DOMAIN/logout would expire cookies on a host
// that has none and the apex session would survive.
func ListenerRules(domain string, privatePaths ...string) []Rule {
	var rules []Rule
	if len(privatePaths) > 0 {
		rules = append(rules, Rule{ID: "PrivatePathsRule", Priority: PriorityPrivate, PathPatterns: privatePaths, FixedStatus: 404, FixedBody: "Not found"})
	}
	return append(rules,
		Rule{ID: "LogoutRule", Priority: PriorityLogout, HostHeaders: []string{domain}, PathPatterns: []string{LogoutPath, LoggedOutPath}, Forward: TargetLogout},
		Rule{ID: "WWWRedirectRule", Priority: PriorityWWW, HostHeaders: []string{WWWHost(domain)}, RedirectHost: domain},
	)
}

// WWWHost is the www host name of the apex host domain.
func WWWHost(domain string) string { return "www." + domain }

// Match returns the rule the ALB applies to a request for host and path: the
// matching rule with the lowest priority, or DefaultAction. It follows
// "Listener rules for your Application Load Balancer" (Elastic Load Balancing
// User Guide, condition types): host names match case-insensitively, paths
// case-sensitively, and in both * matches any run of characters and ? exactly
// one. A port in host is ignored, as the ALB compares the host name only.
func Match(rules []Rule, host, urlPath string) Rule {
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	sorted := slices.Clone(rules)
	slices.SortFunc(sorted, func(a, b Rule) int { return a.Priority - b.Priority })
	for _, r := range sorted {
		if matchesAny(r.HostHeaders, strings.ToLower(host), strings.ToLower) && matchesAny(r.PathPatterns, urlPath, nil) {
			return r
		}
	}
	return DefaultAction
}

// matchesAny tells whether v matches one of the patterns (true when there are
// none: no condition). fold, when set, is applied to each pattern first.
func matchesAny(patterns []string, v string, fold func(string) string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if fold != nil {
			p = fold(p)
		}
		if wildcardMatch(p, v) {
			return true
		}
	}
	return false
}

// wildcardMatch matches ALB wildcards (* and ?) and nothing else (path.Match
// would also give meaning to [ ] and \ and stop * at /).
func wildcardMatch(pattern, v string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return len(pattern) == len(v) && questionMatch(pattern, v)
	}
	prefix, rest := pattern[:star], pattern[star+1:]
	if len(v) < len(prefix) || !questionMatch(prefix, v[:len(prefix)]) {
		return false
	}
	for i := len(prefix); i <= len(v); i++ {
		if wildcardMatch(rest, v[i:]) {
			return true
		}
	}
	return false
}

// questionMatch compares equal-length strings where ? in pattern matches any byte.
func questionMatch(pattern, v string) bool {
	if len(pattern) != len(v) {
		return false
	}
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '?' && pattern[i] != v[i] {
			return false
		}
	}
	return true
}
