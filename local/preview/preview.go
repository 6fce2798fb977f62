// Package preview runs the app's task locally, as `make local` does: the
// Shiny app under R and a session sidecar per task, the session table in moto,
// stand-ins for the ECS agent and task metadata, the logout server, and the
// edge playing the ALB with a stand-in for the Cognito hosted UI. Everything
// listens on 127.0.0.1 (see Stop for what is cleaned up). The e2e test starts
// the same thing through Start.
package preview

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/cognitoauthalb"
	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/logoutconfig"
	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
	"github.com/shinyfargate/shiny-cdktf/local/cognito"
	"github.com/shinyfargate/shiny-cdktf/local/ecsagent"
	"github.com/shinyfargate/shiny-cdktf/local/edge"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// Domain is the apex host of the preview. Browsers resolve every *.localhost
// name to the loopback address, so www.Domain and the Cognito stand-in's
// PREFIX.auth.REGION.localhost work without any DNS set-up.
const Domain = "shiny.localhost"

// Options configure Start.
type Options struct {
	// Root is the repository (holding docker/shiny, sessionagent, logout).
	Root string
	// Config is the environment whose settings the stack would use (name
	// prefix, region, Cognito domain prefix, session timeout).
	Config stacks.Config
	// AppDir is the Shiny app to run. Default: the sample app (stacks.SampleAppDir).
	AppDir string
	// Tasks is how many tasks run (each: Shiny and a sidecar). Default: 1.
	Tasks int
	// Port is the edge's port; 0 picks a free one.
	Port int
	// ProtectionGrace, when set, is the sidecar's SESSION_PROTECTION_GRACE.
	ProtectionGrace string
	// Out receives every process's log lines, prefixed with its name. Default: os.Stdout.
	Out io.Writer
}

// Task is one running local task.
type Task struct {
	ID, ARN    string
	ShinyURL   string // Shiny, reached only by the sidecar
	SidecarURL string // the target the edge forwards to
	// AgentURI is the task's ECS_AGENT_URI (GET AgentURI+ecsagent.ProtectionPath
	// reads its protection state).
	AgentURI string
}

// Preview is a running local preview.
type Preview struct {
	// URL is the address to open: https://shiny.localhost:PORT/.
	URL  string
	Port int
	// Moto is the local AWS API; Table, Cluster and Service name the
	// session table and the service its tasks belong to.
	Moto                    *motoserver.Server
	Table, Cluster, Service string
	Tasks                   []Task
	// LogoutURL is the logout server's own address.
	LogoutURL string
	// CognitoDomainPrefix is the user pool's domain prefix, as the stack
	// would set it (the stand-in serves PREFIX.auth.REGION.localhost).
	CognitoDomainPrefix string

	sink    *logSink
	log     *slog.Logger
	tmp     string
	procs   []*process
	servers []*http.Server
	cancel  context.CancelFunc
	failed  chan error
	stop    sync.Once
}

// CheckTools reports, at once, the tools `make local` needs that are missing,
// each with what to install.
func CheckTools() error {
	var errs []error
	if _, err := exec.LookPath("go"); err != nil {
		errs = append(errs, errors.New("go is not on PATH: install Go 1.26 (it builds the sidecar and the logout server)"))
	}
	if rscript, err := exec.LookPath("Rscript"); err != nil {
		errs = append(errs, errors.New("the Shiny app needs R, and Rscript is not on PATH: install R and the app's packages, e.g. on Debian/Ubuntu\n    apt-get install r-base-core r-cran-shiny r-cran-jsonlite r-cran-base64enc"))
	} else if out, err := exec.Command(rscript, "-e", `for (p in c("shiny", "jsonlite", "base64enc")) loadNamespace(p)`).CombinedOutput(); err != nil {
		errs = append(errs, fmt.Errorf("the installed R lacks a package the app needs (%s): install them, e.g.\n    apt-get install r-cran-shiny r-cran-jsonlite r-cran-base64enc\n  or in R: install.packages(c(\"shiny\", \"jsonlite\", \"base64enc\"))", strings.TrimSpace(lastLine(string(out)))))
	}
	py := os.Getenv("MOTO_PYTHON")
	if py == "" {
		py = "python3"
	}
	if err := exec.Command(py, "-c", "import moto.server").Run(); err != nil {
		errs = append(errs, fmt.Errorf("moto is not installed for %s: the session table and metrics run in a local AWS API. Install it with\n    pip install 'moto[server]==5.2.1'\n  or set MOTO_PYTHON to a Python that has it", py))
	}
	return errors.Join(errs...)
}

// Start checks the tools, starts everything and returns once the app
// answers through the edge. On error nothing is left running.
func Start(ctx context.Context, opt Options) (p *Preview, err error) {
	if err := CheckTools(); err != nil {
		return nil, err
	}
	if opt.Tasks == 0 {
		opt.Tasks = 1
	}
	if opt.AppDir == "" {
		opt.AppDir = filepath.Join(opt.Root, stacks.SampleAppDir)
	}
	if opt.Out == nil {
		opt.Out = os.Stdout
	}
	if err := stacks.CheckShinyApp(opt.AppDir); err != nil {
		return nil, err
	}
	cfg := opt.Config
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("environment %q: %w", cfg.Environment, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	sink := &logSink{out: opt.Out}
	edgeLogW, _ := sink.prefixed("edge")
	p = &Preview{
		sink: sink, log: slog.New(slog.NewJSONHandler(edgeLogW, nil)), cancel: cancel, failed: make(chan error, 1),
		Table: sessionscaling.TableName(cfg.NamePrefix), Cluster: cfg.NamePrefix,
		Service: stacks.ShinyECSServiceName(cfg),
	}
	defer func() {
		if err != nil {
			p.Stop()
			p = nil
		}
	}()

	// The edge's port first: a busy LOCAL_PORT fails before anything starts.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opt.Port)))
	if err != nil {
		return p, fmt.Errorf("edge: listen on 127.0.0.1:%d: %w", opt.Port, err)
	}
	p.Port = ln.Addr().(*net.TCPAddr).Port
	p.URL = "https://" + Domain + ":" + strconv.Itoa(p.Port) + "/"

	if p.tmp, err = os.MkdirTemp("", "shiny-local-"); err != nil {
		ln.Close()
		return p, err
	}
	sink.line("local", "built programs go to "+p.tmp)
	sink.line("local", "building the session sidecar and the logout server")
	build := exec.CommandContext(ctx, "go", "build", "-o", p.tmp+string(os.PathSeparator), "./sessionagent", "./logout")
	build.Dir = opt.Root
	if out, err := build.CombinedOutput(); err != nil {
		ln.Close()
		return p, fmt.Errorf("go build ./sessionagent ./logout: %w\n%s", err, out)
	}

	sink.line("local", "starting moto (local AWS API)")
	if p.Moto, err = motoserver.Start(); err != nil {
		ln.Close()
		return p, err
	}
	p.Moto.Region = cfg.Region
	p.CognitoDomainPrefix = domainPrefix(cfg.CognitoDomainPrefix, cfg.NamePrefix)
	if err := createSessionTable(ctx, NewDynamoDB(p.Moto), p.Table); err != nil {
		ln.Close()
		return p, err
	}
	arns, err := registerTasks(ctx, p.Moto, p.Cluster, p.Service, opt.Tasks)
	if err != nil {
		ln.Close()
		return p, err
	}

	// ECS agent and task metadata stand-ins.
	var ecsTasks []ecsagent.Task
	for i, arn := range arns {
		ecsTasks = append(ecsTasks, ecsagent.Task{ID: "task-" + strconv.Itoa(i+1), ARN: arn, Cluster: p.Cluster, Family: p.Service})
	}
	agentURL, err := p.serve(ecsagent.New(ecsTasks))
	if err != nil {
		ln.Close()
		return p, err
	}

	base := append(os.Environ(), p.Moto.Env()...)
	// Shiny per task, then its sidecar once Shiny answers (the task
	// definition starts the sidecar when the shiny container is HEALTHY).
	for i, t := range ecsTasks {
		shinyPort, err1 := freePort()
		agentPort, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			ln.Close()
			return p, err
		}
		p.Tasks = append(p.Tasks, Task{ID: t.ID, ARN: t.ARN, ShinyURL: fmt.Sprintf("http://127.0.0.1:%d", shinyPort),
			SidecarURL: fmt.Sprintf("http://127.0.0.1:%d", agentPort), AgentURI: ecsagent.AgentURI(agentURL, t.ID)})
		if err := p.run("shiny-"+strconv.Itoa(i+1), opt.Root, append(base, "SHINY_APP_DIR="+opt.AppDir, "SHINY_HOST=127.0.0.1", "SHINY_PORT="+strconv.Itoa(shinyPort)),
			"Rscript", filepath.Join(opt.Root, "docker", "shiny", "run.R")); err != nil {
			ln.Close()
			return p, err
		}
	}
	sink.line("local", "waiting for Shiny to answer")
	for i, task := range p.Tasks {
		if err := p.waitHealthy(ctx, task.ShinyURL+"/", 90*time.Second); err != nil {
			ln.Close()
			return p, err
		}
		env := append(base,
			sessionmodel.EnvAgentPort+"="+strings.TrimPrefix(task.SidecarURL, "http://127.0.0.1:"),
			sessionmodel.EnvListenHost+"=127.0.0.1",
			sessionmodel.EnvUpstreamURL+"="+task.ShinyURL,
			sessionmodel.EnvTableName+"="+p.Table,
			"ECS_CONTAINER_METADATA_URI_V4="+ecsagent.MetadataURI(agentURL, task.ID),
			"ECS_AGENT_URI="+task.AgentURI)
		if opt.ProtectionGrace != "" {
			env = append(env, "SESSION_PROTECTION_GRACE="+opt.ProtectionGrace)
		}
		if err := p.run("sidecar-"+strconv.Itoa(i+1), opt.Root, env, filepath.Join(p.tmp, "sessionagent")); err != nil {
			ln.Close()
			return p, err
		}
	}

	// The logout server, configured as the app stack configures it, for the
	// app at the edge's URL.
	clientID := randomAlnum(26)
	logoutPort, err := freePort()
	if err != nil {
		ln.Close()
		return p, err
	}
	p.LogoutURL = fmt.Sprintf("http://127.0.0.1:%d", logoutPort)
	appBase := strings.TrimSuffix(p.URL, "/")
	logoutEnv := stacks.LogoutEnvironment(appBase, cfg.Region, p.CognitoDomainPrefix, clientID)
	logoutEnv[logoutconfig.EnvPort] = strconv.Itoa(logoutPort)
	env := append([]string(nil), base...)
	for _, k := range sortedKeys(logoutEnv) {
		env = append(env, k+"="+logoutEnv[k])
	}
	env = append(env, logoutconfig.EnvListenHost+"=127.0.0.1")
	if err := p.run("logout", opt.Root, env, filepath.Join(p.tmp, "logout")); err != nil {
		ln.Close()
		return p, err
	}

	sink.line("local", "waiting for the sidecars and the logout server to answer")
	for _, t := range p.Tasks {
		if err := p.waitHealthy(ctx, t.SidecarURL+sessionmodel.AgentHealthPath, 90*time.Second); err != nil {
			ln.Close()
			return p, err
		}
	}
	if err := p.waitHealthy(ctx, p.LogoutURL+"/healthz", 30*time.Second); err != nil {
		ln.Close()
		return p, err
	}

	// The Cognito stand-in and the edge.
	hosts := cognitoauthalb.Props{Settings: cognitoauthalb.Settings{Domain: Domain + ":" + strconv.Itoa(p.Port)}} // the URLs carry the edge's port
	pool := &cognito.Pool{
		ClientID: clientID, CallbackURLs: hosts.CallbackURLs(), LogoutURLs: hosts.LogoutURLs(),
		Issuer: "https://cognito-idp." + cfg.Region + ".amazonaws.com/" + cfg.Region + "_localpool",
		Log:    p.log.With("component", "cognito"),
	}
	var targets []*url.URL
	for _, t := range p.Tasks {
		u, _ := url.Parse(t.SidecarURL)
		targets = append(targets, u)
	}
	logoutTarget, _ := url.Parse(p.LogoutURL)
	e, err := edge.New(edge.Config{
		Domain: Domain, Port: p.Port, Region: cfg.Region, CognitoDomainPrefix: p.CognitoDomainPrefix, Pool: pool,
		SessionTimeout:     time.Duration(cfg.AuthSessionTimeoutSeconds) * time.Second,
		StickinessDuration: stacks.ShinyStickinessDuration,
		AppTargets:         targets, LogoutTarget: logoutTarget, Log: p.log,
		// As the app stack gives them to the ALB: the sidecar's own endpoints.
		PrivatePaths: stacks.PrivatePaths(),
	})
	if err != nil {
		ln.Close()
		return p, err
	}
	cert, err := edge.SelfSignedCertificate(e.Hosts()...)
	if err != nil {
		ln.Close()
		return p, err
	}
	go e.WatchHealth(ctx)
	srv := &http.Server{
		Handler: e, ReadHeaderTimeout: 10 * time.Second,
		// HTTP/1.1 only: browsers open websockets over it.
		TLSConfig:    &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	p.servers = append(p.servers, srv)
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.fail(fmt.Errorf("edge: %w", err))
		}
	}()
	return p, nil
}

// Failed delivers the first unexpected exit of a process or server.
func (p *Preview) Failed() <-chan error { return p.failed }

func (p *Preview) fail(err error) {
	select {
	case p.failed <- err:
	default:
	}
}

// run starts a process and reports its exit unless Stop caused it.
func (p *Preview) run(name, dir string, env []string, bin string, args ...string) error {
	proc, err := startProcess(p.sink, name, dir, env, bin, args...)
	if err != nil {
		return err
	}
	p.procs = append(p.procs, proc)
	p.sink.line("local", fmt.Sprintf("started %s (pid %d)", name, proc.cmd.Process.Pid))
	go func() {
		<-proc.exited
		p.fail(proc.exitError())
	}()
	return nil
}

// serve runs h on a free loopback port in this process and returns its URL.
func (p *Preview) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	p.servers = append(p.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// waitHealthy polls url until it answers 200, a process exits or timeout passes.
func (p *Preview) waitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(timeout)
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.failed:
			return fmt.Errorf("%w (see its log lines above)", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within %s", url, timeout)
		}
	}
}

// Stop ends every process (SIGTERM, then SIGKILL after 5 s) and server,
// stops moto and removes the temporary folder. It is safe to call twice.
func (p *Preview) Stop() {
	p.stop.Do(func() {
		p.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range p.servers {
			_ = s.Shutdown(ctx)
			_ = s.Close()
		}
		// Sidecars first (they drain their sessions), then Shiny and the logout server.
		sort.SliceStable(p.procs, func(i, j int) bool {
			return strings.HasPrefix(p.procs[i].name, "sidecar") && !strings.HasPrefix(p.procs[j].name, "sidecar")
		})
		var wg sync.WaitGroup
		for _, proc := range p.procs {
			wg.Add(1)
			go func() { defer wg.Done(); proc.stop(5 * time.Second) }()
		}
		wg.Wait()
		if p.Moto != nil {
			p.Moto.Stop()
		}
		if p.tmp != "" {
			_ = os.RemoveAll(p.tmp)
		}
		p.sink.line("local", "stopped every process; no files left behind")
	})
}

// motoAccount is the account moto answers for (its default).
const motoAccount = "123456789012"

// domainPrefix is the Cognito domain prefix the stack would use in moto's
// account: the configured one, or cognitoauthalb's default with its suffix
// of DomainSuffixLength hex digits of the SHA-256 of the account id.
func domainPrefix(configured, namePrefix string) string {
	if configured != "" {
		return configured
	}
	sum := sha256.Sum256([]byte(motoAccount))
	return cognitoauthalb.DefaultDomainPrefix(namePrefix) + "-" + hex.EncodeToString(sum[:])[:cognitoauthalb.DomainSuffixLength]
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomAlnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
