// Package cognito stands in for the Amazon Cognito hosted UI of the app's
// user pool in `make local`: a sign-in page, the authorization code grant the
// ALB's authenticate-cognito action uses, and the /logout endpoint. It checks
// requests as Cognito does, so a wrong client id or URL fails here as it would
// on AWS.
package cognito

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// AuthorizeRequest is a valid GET /oauth2/authorize.
type AuthorizeRequest struct {
	ClientID, RedirectURI, State, Scope string
}

// CheckAuthorize validates the query of GET /oauth2/authorize ("Authorize
// endpoint", Amazon Cognito Developer Guide): response_type must be code (the
// grant the ALB uses), client_id the app client's id, and redirect_uri exactly
// one of the client's callback URLs. Anything else is an error page, never a
// redirect, as with Cognito.
func CheckAuthorize(q url.Values, clientID string, callbackURLs []string) (AuthorizeRequest, error) {
	req := AuthorizeRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Scope: q.Get("scope")}
	var errs []error
	if rt := q.Get("response_type"); rt != "code" {
		errs = append(errs, fmt.Errorf("response_type=%q: must be code", rt))
	}
	if req.ClientID != clientID {
		errs = append(errs, fmt.Errorf("client_id=%q: must be the app client's id", req.ClientID))
	}
	if !slices.Contains(callbackURLs, req.RedirectURI) {
		errs = append(errs, fmt.Errorf("redirect_uri=%q: must be one of the app client's callback URLs %s",
			req.RedirectURI, strings.Join(callbackURLs, ", ")))
	}
	return req, errors.Join(errs...)
}

// CheckLogout validates the query of GET /logout as Cognito's "Logout
// endpoint" documents it (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html):
// with client_id and logout_uri, Cognito signs the user out and redirects to
// logout_uri only "if the value of logout_uri is one of the Allowed sign-out
// URLs for your app client" (an exact match). It returns where to redirect.
// The redirect_uri form of the endpoint (sign out, then sign in again) is not
// used by this project and is refused.
func CheckLogout(q url.Values, clientID string, logoutURLs []string) (string, error) {
	var errs []error
	if id := q.Get("client_id"); id != clientID {
		errs = append(errs, fmt.Errorf("client_id=%q: must be the app client's id", id))
	}
	if len(q["logout_uri"]) != 1 {
		errs = append(errs, fmt.Errorf("logout_uri: must be given once (got %d)", len(q["logout_uri"])))
	} else if u := q.Get("logout_uri"); !slices.Contains(logoutURLs, u) {
		errs = append(errs, fmt.Errorf("logout_uri=%q: must be one of the app client's sign-out URLs %s",
			u, strings.Join(logoutURLs, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return q.Get("logout_uri"), nil
}

// SignIn is what the sign-in form asks for.
type SignIn struct {
	Email, GivenName, FamilyName, Role string
}

// CheckSignIn validates the sign-in form: the user pool requires email,
// given_name and family_name; custom:role is optional. Values are trimmed.
func CheckSignIn(form url.Values) (SignIn, error) {
	s := SignIn{
		Email:      strings.TrimSpace(form.Get("email")),
		GivenName:  strings.TrimSpace(form.Get("given_name")),
		FamilyName: strings.TrimSpace(form.Get("family_name")),
		Role:       strings.TrimSpace(form.Get("role")),
	}
	var errs []error
	at := strings.LastIndexByte(s.Email, '@')
	if at < 1 || at == len(s.Email)-1 || strings.ContainsAny(s.Email, " <>\"") || len(s.Email) > 254 {
		errs = append(errs, fmt.Errorf("email=%q: must be an email address such as jane@example.com", s.Email))
	}
	for _, f := range []struct{ name, v string }{{"given_name", s.GivenName}, {"family_name", s.FamilyName}, {"role", s.Role}} {
		if len(f.v) > 256 {
			errs = append(errs, fmt.Errorf("%s: must be at most 256 characters", f.name))
		}
	}
	if s.GivenName == "" {
		errs = append(errs, errors.New("given_name: required"))
	}
	if s.FamilyName == "" {
		errs = append(errs, errors.New("family_name: required"))
	}
	return s, errors.Join(errs...)
}
