package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// The AWS settings the sidecar reads, all through the getenv given to run:
// the SDK never reads the process environment or shared config files here.
const (
	envRegion        = "AWS_REGION"
	envDefaultRegion = "AWS_DEFAULT_REGION"
	envAccessKeyID   = "AWS_ACCESS_KEY_ID"
	envSecretKey     = "AWS_SECRET_ACCESS_KEY"
	envSessionToken  = "AWS_SESSION_TOKEN"
	// ECS sets the relative URI in every task with a task role.
	envContainerCredsRelative = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	envContainerCredsFull     = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	envContainerAuthToken     = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	// envEndpointURL points every client at another endpoint (a local
	// emulator such as moto).
	envEndpointURL = "AWS_ENDPOINT_URL"
)

// ecsCredentialsHost is where ECS serves a task role's credentials
// (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on it).
const ecsCredentialsHost = "http://169.254.170.2"

// newAWSConfig builds the SDK configuration from getenv alone. Credentials
// come from static keys when AWS_ACCESS_KEY_ID is set, else from the ECS
// container credentials endpoint; region from AWS_REGION or
// AWS_DEFAULT_REGION, else Region stays empty for the caller to fill (from
// the task ARN). HTTP(S)_PROXY is not honoured: the sidecar talks to AWS
// directly.
func newAWSConfig(getenv func(string) string) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(30 * time.Second).
		WithTransportOptions(func(tr *http.Transport) { tr.Proxy = nil })
	cfg := aws.Config{HTTPClient: httpClient}
	cfg.Region = firstNonEmpty(getenv(envRegion), getenv(envDefaultRegion))
	switch {
	case getenv(envAccessKeyID) != "":
		cfg.Credentials = credentials.NewStaticCredentialsProvider(getenv(envAccessKeyID), getenv(envSecretKey), getenv(envSessionToken))
	case getenv(envContainerCredsRelative) != "" || getenv(envContainerCredsFull) != "":
		url := getenv(envContainerCredsFull)
		if rel := getenv(envContainerCredsRelative); rel != "" {
			url = ecsCredentialsHost + "/" + strings.TrimLeft(rel, "/")
		}
		token := getenv(envContainerAuthToken)
		cfg.Credentials = aws.NewCredentialsCache(endpointcreds.New(url, func(o *endpointcreds.Options) {
			o.HTTPClient = httpClient
			o.AuthorizationToken = token
		}))
	default:
		return aws.Config{}, errors.New("no AWS credentials: neither " + envAccessKeyID + " nor " + envContainerCredsRelative + " is set (a task role gives ECS tasks the latter)")
	}
	if ep := getenv(envEndpointURL); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
