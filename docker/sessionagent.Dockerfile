# syntax=docker/dockerfile:1
#
# Session sidecar (sessionagent) of the Shiny ECS task: reverse proxy in front
# of the Shiny server that counts websocket sessions, reports them to DynamoDB
# and holds ECS task scale-in protection while sessions are open.
#
# Build from the repository root (the build context must hold go.mod):
#   docker build -f docker/sessionagent.Dockerfile -t sessionagent .
# For Fargate on Graviton or a mixed fleet:
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/sessionagent.Dockerfile -t sessionagent .
#
# ECS ignores the image's HEALTHCHECK; to use the same check there, give the
# container definition healthCheck.command ["CMD", "/sessionagent", "-healthcheck"].
# The check is healthy while Shiny answers, or computes (accepts but does not
# answer) for less than SHINY_BUSY_GRACE_SECONDS; unhealthy at once when Shiny
# refuses connections. Its probe of Shiny takes up to 2 s, so keep the timeout
# above that. Settings: sessionagent/README.md.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN go mod download
COPY internal/ internal/
COPY sessionagent/ sessionagent/
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w -buildid=' -o /out/sessionagent ./sessionagent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sessionagent /sessionagent
USER 65532:65532
# sessionmodel.AgentPort (SESSION_AGENT_PORT)
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/sessionagent", "-healthcheck"]
ENTRYPOINT ["/sessionagent"]
