package cognitoauthalb

import "testing"

// The routing the ALB applies, checked on the rule list the construct
// renders (the same list `make local` interprets).
func TestMatchListenerRules(t *testing.T) {
	rules := ListenerRules("shiny.example.com", "/__agent/*")
	for _, tc := range []struct {
		host, path string
		want       string
	}{
		{"shiny.example.com", "/logout", "LogoutRule"},
		{"shiny.example.com", "/logged-out", "LogoutRule"},
		{"SHINY.example.com:443", "/logout", "LogoutRule"}, // host names are case-insensitive; the port is not compared
		{"shiny.example.com", "/Logout", "default"},        // paths are case-sensitive
		{"shiny.example.com", "/logout/x", "default"},      // no wildcard: exact path only
		{"shiny.example.com", "/", "default"},
		{"www.shiny.example.com", "/", "WWWRedirectRule"},
		// Signing out on www must reach the apex first, where the cookie is.
		{"www.shiny.example.com", "/logout", "WWWRedirectRule"},
		{"www.shiny.example.com", "/logged-out", "WWWRedirectRule"},
		{"other.example.com", "/logout", "default"},
		// The targets' own endpoints are answered 404 on every host, before sign-in.
		{"shiny.example.com", "/__agent/healthz", "PrivatePathsRule"},
		{"www.shiny.example.com", "/__agent/healthz", "PrivatePathsRule"},
		{"shiny.example.com", "/__agent", "default"},
	} {
		if got := Match(rules, tc.host, tc.path).ID; got != tc.want {
			t.Errorf("Match(%q, %q) = %s, want %s", tc.host, tc.path, got, tc.want)
		}
	}
}

// Wildcards as the ALB documents them for host and path conditions: * any
// run of characters (including /), ? exactly one; nothing else is special.
func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, v string
		want       bool
	}{
		{"/img/*", "/img/a/b.png", true},
		{"/img/*", "/img", false},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "example.com", false},
		{"/a?c", "/abc", true},
		{"/a?c", "/ac", false},
		{"/[a]", "/[a]", true}, // brackets are literal
		{"/[a]", "/a", false},
		{"*", "", true},
		{"/x*y*z", "/xAyBz", true},
		{"/x*y*z", "/xAyB", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.v); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.v, got, tc.want)
		}
	}
}

// A rule with a lower priority wins whatever the list order.
func TestMatchPriorityOrder(t *testing.T) {
	rules := []Rule{
		{ID: "late", Priority: 50, PathPatterns: []string{"/*"}},
		{ID: "early", Priority: 5, PathPatterns: []string{"/a"}},
	}
	if got := Match(rules, "h", "/a").ID; got != "early" {
		t.Errorf("got %s, want early", got)
	}
	if got := Match(rules, "h", "/b").ID; got != "late" {
		t.Errorf("got %s, want late", got)
	}
}
