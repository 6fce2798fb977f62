// Command logout signs users out of the Shiny app: the ALB forwards /logout
// and /logged-out here without authentication; /logout expires the ALB's
// Cognito session cookies and redirects to the Cognito logout endpoint, which
// returns the browser to /logged-out.
//
// Configuration is read from the environment; see package logoutconfig.
//
//	logout               serve on $LOGOUT_LISTEN_HOST:$LOGOUT_PORT (all interfaces
//	                     when LOGOUT_LISTEN_HOST is unset) until SIGTERM/SIGINT
//	logout -healthcheck  GET http://127.0.0.1:$LOGOUT_PORT/healthz (or the listen
//	                     host when it is a specific address), exit 0 if 200
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
)

const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	// idleTimeout is longer than the longest ALB idle timeout (4000 s; the
	// stack's default is 300 s), as AWS recommends, so the server never closes
	// a keep-alive connection the ALB is about to reuse (a 502 otherwise).
	idleTimeout     = 4010 * time.Second
	maxHeaderBytes  = 64 << 10
	shutdownTimeout = 10 * time.Second
	healthTimeout   = 3 * time.Second
)

func main() {
	healthcheckMode := flag.Bool("healthcheck", false,
		"GET http://127.0.0.1:$"+logoutconfig.EnvPort+"/healthz and exit 0 on 200, 1 otherwise")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if *healthcheckMode {
		err = healthcheck(ctx, os.Getenv)
	} else {
		err = run(ctx, os.Getenv, os.Stdout)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "logout:", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled, then shuts down gracefully and returns
// nil. It returns an error if the configuration is invalid, the port cannot
// be bound, the server fails, or the graceful shutdown times out.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := logoutconfig.Load(getenv)
	if err != nil {
		return err
	}
	addr := cfg.Addr()

	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	srv := &http.Server{
		Handler:           newHandler(cfg, logger),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	logger.Info("listening",
		slog.String("addr", ln.Addr().String()),
		slog.String("cognito_logout_url", cfg.CognitoLogoutURL()),
		slog.String("auth_cookie_name", cfg.AuthCookieName))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", slog.String("timeout", shutdownTimeout.String()))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", addr, err)
	}
	logger.Info("stopped")
	return nil
}

// healthcheck is the container health check (the distroless image has no
// curl): it GETs /healthz on the loopback interface (or on the
// LOGOUT_LISTEN_HOST address when that is a specific address) and fails
// unless the answer is 200.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port, err := logoutconfig.Port(getenv)
	if err != nil {
		return err
	}
	listenHost, err := logoutconfig.ListenHost(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	host := logoutconfig.HealthCheckHost(listenHost)
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: GET %s: status %s", url, resp.Status)
	}
	return nil
}
