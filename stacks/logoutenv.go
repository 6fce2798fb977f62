package stacks

import (
	"fmt"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
)

// LogoutEnvironment is the logout server's environment for an app served at
// baseURL (https://DOMAIN on AWS; the local edge's URL in `make local`),
// signing in through the Cognito domain prefix and app client in region.
// The app stack and the local preview both use it, so the server is
// configured the same way in both.
func LogoutEnvironment(baseURL, region, cognitoDomainPrefix, clientID string) map[string]string {
	return map[string]string{
		logoutconfig.EnvPort:                fmt.Sprint(LogoutPort),
		logoutconfig.EnvAuthCookieName:      cognitoauthalb.SessionCookieName,
		logoutconfig.EnvCognitoDomainPrefix: cognitoDomainPrefix,
		logoutconfig.EnvCognitoRegion:       region,
		logoutconfig.EnvCognitoClientID:     clientID,
		logoutconfig.EnvLogoutRedirectURI:   baseURL + cognitoauthalb.LoggedOutPath,
		logoutconfig.EnvSignInURL:           baseURL + "/",
	}
}
