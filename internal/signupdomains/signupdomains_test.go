package signupdomains

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// event is a pre sign-up event as Cognito sends it (the shape of
// aws-lambda-go's testdata/cognito-event-userpools-presignup.json).
func event(t *testing.T, trigger, email string, autoConfirm bool) events.CognitoEventUserPoolsPreSignup {
	t.Helper()
	raw := `{
  "version": "1", "triggerSource": "` + trigger + `", "region": "us-east-1",
  "userPoolId": "us-east-1_AbCdEfGhI", "userName": "5f1c2a9e-1111-2222-3333-444455556666",
  "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
  "request": {"userAttributes": {"email": ` + mustJSON(email) + `, "given_name": "Ada", "family_name": "Lovelace"},
              "validationData": null, "clientMetadata": {}},
  "response": {"autoConfirmUser": ` + mustJSON(autoConfirm) + `, "autoVerifyEmail": true, "autoVerifyPhone": false}
}`
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestDecide(t *testing.T) {
	domains := []string{"example.com", "research.example.org"}
	for _, tc := range []struct {
		name, trigger, email string
		allowed              bool
	}{
		{"allowed domain", TriggerSignUp, "ada@example.com", true},
		{"second domain", TriggerSignUp, "ada@research.example.org", true},
		{"domain case", TriggerSignUp, "Ada@EXAMPLE.com", true},
		{"other domain", TriggerSignUp, "ada@example.net", false},
		{"subdomain not listed", TriggerSignUp, "ada@mail.example.com", false},
		{"parent of listed", TriggerSignUp, "ada@example.org", false},
		{"suffix trick", TriggerSignUp, "ada@evilexample.com", false},
		{"domain as prefix", TriggerSignUp, "ada@example.com.evil.net", false},
		{"two ats", TriggerSignUp, "ada@example.com@evil.net", false},
		{"quoted local part", TriggerSignUp, `"ada@evil.net"@example.com`, true},
		{"no domain", TriggerSignUp, "ada@", false},
		{"no local part", TriggerSignUp, "@example.com", false},
		{"no at", TriggerSignUp, "example.com", false},
		{"space", TriggerSignUp, "ada@example.com ", false},
		{"empty", TriggerSignUp, "", false},
		{"external provider", TriggerExternalProvider, "ada@example.net", false},
		{"external provider allowed", TriggerExternalProvider, "ada@example.com", true},
		{"admin invites anyone", TriggerAdminCreateUser, "contractor@example.net", true},
		{"unknown trigger", "PreSignUp_Future", "ada@example.net", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Decide(event(t, tc.trigger, tc.email, true), domains)
			if tc.allowed && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.allowed && !errors.Is(err, ErrDomainNotAllowed) {
				t.Fatalf("error = %v, want a refusal", err)
			}
			if resp.Response.AutoConfirmUser || resp.Response.AutoVerifyEmail || resp.Response.AutoVerifyPhone {
				t.Errorf("response = %+v: the user must still verify the address", resp.Response)
			}
		})
	}
}

func TestDecideMissingEmailAttribute(t *testing.T) {
	ev := event(t, TriggerSignUp, "ada@example.com", false)
	delete(ev.Request.UserAttributes, "email")
	if _, err := Decide(ev, []string{"example.com"}); !errors.Is(err, ErrDomainNotAllowed) {
		t.Fatalf("error = %v, want a refusal", err)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse(Format([]string{"example.com", "a.example.org"}))
	if err != nil || len(got) != 2 || got[1] != "a.example.org" {
		t.Fatalf("Parse = %v, %v", got, err)
	}
	for _, bad := range []string{"", "example.com,", "Example.com", "*.example.com", "@example.com", "localhost", "exa mple.com", strings.Repeat("a", 64) + ".com", strings.Repeat("abcdefgh.", 29) + "com"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), EnvAllowedDomains+"=") {
			t.Errorf("Parse(%q) = %v, want an error naming %s", bad, err, EnvAllowedDomains)
		}
	}
	many := strings.TrimSuffix(strings.Repeat("example.com,", MaxDomains+1), ",")
	if _, err := Parse(many); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("Parse(%d domains) = %v", MaxDomains+1, err)
	}
}
