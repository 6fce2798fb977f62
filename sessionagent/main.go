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
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

func main() {
	healthcheckMode := flag.Bool("healthcheck", false,
		"request http://127.0.0.1:$"+sessionmodel.EnvAgentPort+HealthPath+" and exit 0 if it answers 200, else 1")
	flag.Parse()
	if *healthcheckMode {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := healthcheck(ctx, os.Getenv)
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Getenv, os.Stdout)
	stop()
	if err != nil {
		newLogger(os.Stdout).Error("sessionagent stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGTERM), then shuts down gracefully. All
// configuration, AWS's included, comes through getenv.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	return runWith(ctx, getenv, stdout, defaultOptions())
}

// options are the internal timings. They are not settings: production uses
// defaultOptions, and only tests (through runWith) shorten them.
type options struct {
	heartbeat       time.Duration // rewrite of the item when nothing changes
	coalesce        time.Duration // changes within this window make one write
	protectRefresh  time.Duration // 0 = half of ExpiresInMinutes
	deploymentPoll  time.Duration // how often the service's deployment is read
	backoff         backoff
	writeTimeout    time.Duration
	shutdownTimeout time.Duration
}

func defaultOptions() options {
	return options{
		heartbeat:       sessionmodel.Heartbeat,
		coalesce:        time.Second,
		deploymentPoll:  time.Minute,
		backoff:         defaultBackoff,
		writeTimeout:    5 * time.Second,
		shutdownTimeout: 10 * time.Second,
	}
}

// Server timeouts. No WriteTimeout and no ReadTimeout: websockets and
// streaming responses are long-lived (plain request bodies have their own
// deadline, limits.BodyTimeout). IdleTimeout (keep-alive) exceeds the ALB's
// largest idle timeout (4000s) so the ALB, not the sidecar, closes idle
// connections; otherwise a request can race the close and get a 502.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 4010 * time.Second
)

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil))
}

func runWith(ctx context.Context, getenv func(string) string, stdout io.Writer, opt options) error {
	log := newLogger(stdout)
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	awsCfg, awsCfgErr := newAWSConfig(getenv)
	if cfg.MetadataURI != "" && awsCfgErr != nil {
		return fmt.Errorf("AWS configuration: %w", awsCfgErr)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on %s port %d: %w", cfg.ListenHost, cfg.Port, err)
	}

	sessions := &sessionCounter{}
	a := newAgent(cfg.Upstream, limitsFrom(cfg), sessions, log)
	defer a.close()

	// Background work (reporting, protection) outlives ctx until the HTTP
	// server has shut down, so the final item carries the last count.
	bgCtx, bgCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer bgCancel()
	var bg sync.WaitGroup
	bg.Go(func() { a.run(bgCtx) })
	ecsTransport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	defer ecsTransport.CloseIdleConnections()
	ecsClient := &http.Client{Transport: ecsTransport, Timeout: 10 * time.Second}

	// The drain needs the task's own definition, the service's deployment
	// and the protection it ends.
	var watcher *deploymentWatcher
	switch {
	case cfg.Cluster == "" || cfg.MetadataURI == "" || cfg.AgentURI == "":
		log.Info("drain disabled: it needs " + sessionmodel.EnvCluster + ", " + sessionmodel.EnvService + ", " +
			EnvMetadataURI + " and " + EnvAgentURI)
	default:
		watcher = newDeploymentWatcher(nil, cfg.Cluster, cfg.Service, "", cfg.Drain, opt.deploymentPoll, log)
	}

	if cfg.MetadataURI == "" {
		log.Info("session reporting disabled: " + EnvMetadataURI + " is not set (not running in ECS)")
	} else {
		notify := sessions.subscribe()
		bg.Go(func() {
			meta, err := fetchTaskMetadata(bgCtx, ecsClient, cfg.MetadataURI, opt.backoff, log)
			if err != nil {
				return // stopped before the metadata endpoint answered
			}
			if awsCfg.Region == "" {
				awsCfg.Region = regionFromARN(meta.TaskARN)
			}
			r := &reporter{
				put:          dynamodb.NewFromConfig(awsCfg),
				table:        cfg.TableName,
				taskARN:      meta.TaskARN,
				sessions:     sessions,
				notify:       notify,
				heartbeat:    opt.heartbeat,
				coalesce:     opt.coalesce,
				backoff:      opt.backoff,
				writeTimeout: opt.writeTimeout,
				log:          log,
			}
			log.Info("session reporting on", "table", cfg.TableName, "task_arn", meta.TaskARN, "region", awsCfg.Region)
			if watcher != nil {
				watcher.ecs = ecs.NewFromConfig(awsCfg)
				watcher.own = meta.TaskDefinition()
				log.Info("drain on", "cluster", cfg.Cluster, "service", cfg.Service, "task_definition", watcher.own,
					"drain", cfg.Drain.String())
				bg.Go(func() { watcher.run(bgCtx) })
			}
			r.run(bgCtx)
		})
	}

	if cfg.AgentURI == "" {
		log.Info("task scale-in protection disabled: " + EnvAgentURI + " is not set (not running in ECS)")
	} else {
		refresh := opt.protectRefresh
		if refresh <= 0 {
			refresh = time.Duration(cfg.ProtectionMinutes) * time.Minute / 2
		}
		p := &protector{
			client:   ecsClient,
			url:      newProtectionURL(cfg.AgentURI),
			policy:   protectionPolicy{ExpiresIn: cfg.ProtectionMinutes, Refresh: refresh, Grace: cfg.ProtectionGrace},
			sessions: sessions,
			notify:   sessions.subscribe(),
			backoff:  opt.backoff,
			log:      log,
		}
		if watcher != nil {
			p.drain, p.drainNotify = watcher.deadline, watcher.notify
		}
		log.Info("task scale-in protection on demand", "url", p.url, "expires_in_minutes", p.policy.ExpiresIn,
			"refresh", refresh.String(), "grace", p.policy.Grace.String())
		bg.Go(func() { p.run(bgCtx) })
	}

	// Cancelling connCtx ends every request, including upgraded websocket
	// connections, which Server.Shutdown neither waits for nor closes.
	connCtx, closeConns := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConns()
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return connCtx },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("sessionagent listening", "addr", ln.Addr().String(), "upstream", cfg.Upstream.String(),
		"health_path", HealthPath, "idle_timeout", cfg.IdleTimeout.String(), "max_sessions_per_user", cfg.MaxPerUser,
		"busy_grace", cfg.BusyGrace.String())

	var failed error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		failed = fmt.Errorf("serve: %w", err)
		serveErr <- nil
	}

	shCtx, cancel := context.WithTimeout(context.Background(), opt.shutdownTimeout)
	if err := srv.Shutdown(shCtx); err != nil {
		log.Warn("in-flight requests did not finish in time", "err", err)
	}
	cancel()
	bgCancel()
	bg.Wait() // the reporter writes its final item
	closeConns()
	waitSessionsClosed(sessions, 2*time.Second)
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && failed == nil {
		failed = err
	}
	log.Info("sessionagent stopped", "open_sessions", sessions.load())
	return failed
}

// waitSessionsClosed gives upgraded connections a moment to wind down.
func waitSessionsClosed(s *sessionCounter, max time.Duration) {
	deadline := time.Now().Add(max)
	for s.load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// healthcheck asks the running sidecar for its health endpoint, on
// loopback (or on SESSION_AGENT_LISTEN_HOST when that is set).
func healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	host := cfg.ListenHost
	if host == "" || net.ParseIP(host).IsUnspecified() {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Port)) + HealthPath
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, snippet(body))
	}
	return nil
}
