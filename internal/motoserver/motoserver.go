// Package motoserver starts moto (a local AWS API) on a free loopback port
// for tests and the deployment rehearsal, and stops it again. moto runs with
// the small shims in shims.py that fill gaps of moto 5.2.1 which the real
// Terraform AWS provider trips over; they live here, never in the stacks.
package motoserver

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

//go:embed shims.py
var shims []byte

// Server is a running moto process.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT, for AWS_ENDPOINT_URL.
	URL string
	// Region is the region clients should use with it.
	Region string

	cmd  *exec.Cmd
	dir  string
	done chan error
	logf *os.File
}

// ErrNotInstalled is returned when no Python with moto 5 can be found.
var ErrNotInstalled = errors.New("moto is not installed: tests and the rehearsal need moto_server 5.2.1 " +
	"(Python package moto[server]) on PATH, or MOTO_PYTHON pointing at a Python that can `import moto`")

// python finds an interpreter that can import moto: MOTO_PYTHON, then python3.
func python() (string, error) {
	candidates := []string{}
	if p := os.Getenv("MOTO_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "python3")
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import moto.server").Run() == nil {
			return path, nil
		}
	}
	return "", ErrNotInstalled
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start launches moto on 127.0.0.1 and waits until it answers. The caller
// must call Stop. Region defaults to us-east-1.
func Start() (*Server, error) {
	py, err := python()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "moto-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "shims.py")
	if err := os.WriteFile(script, shims, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("find a free loopback port: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(py, script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(),
		"MOTO_IAM_LOAD_MANAGED_POLICIES=true",
		"MOTO_ACM_VALIDATION_WAIT=0",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start moto: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Region: "us-east-1", cmd: cmd, dir: dir, done: make(chan error, 1), logf: logf}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			log, _ := os.ReadFile(logf.Name())
			s.cleanup()
			return nil, fmt.Errorf("moto exited at start (%v):\n%s", err, log)
		default:
		}
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, errors.New("moto did not answer within 30s")
}

// Log returns what moto printed so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "moto.log"))
	return string(b)
}

// Stop ends moto and its children and removes its files. It is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cleanup()
}

func (s *Server) cleanup() {
	s.cmd = nil
	s.logf.Close()
	os.RemoveAll(s.dir)
}

// Env returns the environment variables that point AWS SDKs and the
// Terraform AWS provider at this server with fake credentials.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=testing",
		"AWS_REGION=" + s.Region,
		"AWS_DEFAULT_REGION=" + s.Region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
