// Command presignup is the Cognito pre sign-up Lambda of auth.signUp
// "domains": it refuses self sign-ups whose email is not at one of the
// allowed domains (environment ALLOWED_EMAIL_DOMAINS). The decision is
// internal/signupdomains.Decide; this is the Lambda entry point.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/shinyfargate/shiny-cdktf/internal/signupdomains"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	domains, err := signupdomains.Parse(os.Getenv(signupdomains.EnvAllowedDomains))
	if err != nil {
		log.Error("presignup cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(_ context.Context, ev events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
		resp, err := signupdomains.Decide(ev, domains)
		if err != nil {
			// The user pool and trigger only: the address is personal data.
			log.Info("sign-up refused", "userPoolId", ev.UserPoolID, "triggerSource", ev.TriggerSource, "err", err)
		}
		return resp, err
	})
}
