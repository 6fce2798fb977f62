# syntax=docker/dockerfile:1
#
# Logout server for the Shiny app (see logout/ and internal/logoutconfig/).
# Build from the repository root, which is the build context:
#
#   docker build -f docker/logout.Dockerfile -t shiny-logout .
#
# Run locally (the server listens on all interfaces, port 8080, inside the
# container: LOGOUT_LISTEN_HOST stays unset there):
#
#   docker run --rm -p 8080:8080 \
#     -e COGNITO_DOMAIN_PREFIX=my-prefix -e COGNITO_REGION=us-east-1 \
#     -e COGNITO_CLIENT_ID=abc123 \
#     -e LOGOUT_REDIRECT_URI=https://app.example.com/logged-out \
#     -e SIGN_IN_URL=https://app.example.com/ \
#     shiny-logout

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Module downloads first, so they stay cached while the sources change.
COPY go.mod go.sum ./
RUN go mod download

# Only what the logout binary needs.
COPY internal/ ./internal/
COPY logout/ ./logout/
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' -o /out/logout ./logout

# Static, non-root, no shell and no curl: the health check is the binary itself.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/logout /logout
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/logout", "-healthcheck"]
ENTRYPOINT ["/logout"]
