// Package httpsec holds the response headers the project's own servers (the
// session sidecar and the logout server) send on every response.
package httpsec

// StrictTransportSecurity tells browsers to use HTTPS only for this host for
// a year. Without includeSubDomains: DOMAIN may be an apex whose other
// subdomains are not this app's.
const StrictTransportSecurity = "max-age=31536000"
