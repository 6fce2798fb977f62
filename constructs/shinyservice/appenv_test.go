package shinyservice

import (
	"strings"
	"testing"
)

func TestAppSettingsValid(t *testing.T) {
	a := AppSettings{
		Environment: map[string]string{"APP_MODE": "prod", "_x": ""},
		Secrets: map[string]Secret{
			"DB":  {ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Ab12Cd", JSONKey: "password"},
			"KEY": {ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/key", KMSKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		},
	}
	if err := a.Validate("SHINY_PORT"); err != nil {
		t.Fatal(err)
	}
}

// One negative case per rule; the stack's config tests cover them by name too.
func TestAppSettingsRules(t *testing.T) {
	const param = "arn:aws:ssm:us-east-1:123456789012:parameter/p"
	for _, tc := range []struct {
		name string
		a    AppSettings
		want string
	}{
		{"name", AppSettings{Environment: map[string]string{"A B": ""}}, `environment.A B = "A B"`},
		{"reserved", AppSettings{Environment: map[string]string{"SHINY_PORT": ""}}, "is set by the stack itself (SHINY_PORT)"},
		{"ecs prefix", AppSettings{Environment: map[string]string{"ecs_agent": ""}}, "must not start with AWS_ or ECS_"},
		{"secret name", AppSettings{Secrets: map[string]Secret{"9": {ARN: param}}}, `secrets.9 = "9"`},
		{"both", AppSettings{Environment: map[string]string{"X": ""}, Secrets: map[string]Secret{"X": {ARN: param}}}, "is also in environment"},
		{"partial secret arn", AppSettings{Secrets: map[string]Secret{"X": {ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}}}, "with its 6-character suffix"},
		{"other service", AppSettings{Secrets: map[string]Secret{"X": {ARN: "arn:aws:s3:::bucket/key"}}}, `secrets.X.arn = "arn:aws:s3:::bucket/key"`},
		{"json key on parameter", AppSettings{Secrets: map[string]Secret{"X": {ARN: param, JSONKey: "k"}}}, "only for Secrets Manager"},
		{"kms", AppSettings{Secrets: map[string]Secret{"X": {ARN: param, KMSKeyARN: "arn:aws:kms:us-east-1:123456789012:alias/x"}}}, "secrets.X.kmsKeyArn"},
		{"shared kms", AppSettings{SecretsKMSKeyARN: "x"}, `secretsKmsKeyArn = "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Validate("SHINY_PORT")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSecretValueFrom(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
	for _, tc := range []struct {
		s    Secret
		want string
	}{
		{Secret{ARN: arn}, arn},
		{Secret{ARN: arn, JSONKey: "password"}, arn + ":password::"},
		{Secret{ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/p"}, "arn:aws:ssm:us-east-1:123456789012:parameter/p"},
	} {
		if got := tc.s.ValueFrom(); got != tc.want {
			t.Errorf("%+v: ValueFrom = %q, want %q", tc.s, got, tc.want)
		}
	}
}
