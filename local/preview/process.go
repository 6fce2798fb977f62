package preview

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// logSink writes whole lines from several processes to one writer, each
// prefixed with its process's name.
type logSink struct {
	mu  sync.Mutex
	out io.Writer
}

func (s *logSink) line(name, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, "%-12s | %s\n", name, text)
}

// prefixed returns a writer whose lines go to the sink under name, and a
// function that waits until everything written has been passed on.
func (s *logSink) prefixed(name string) (io.WriteCloser, func()) {
	r, w := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.line(name, sc.Text())
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return w, func() { <-done }
}

// process is a child process in its own process group, so stopping it stops
// whatever it started (R may start helpers).
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

func startProcess(sink *logSink, name, dir string, env []string, bin string, args ...string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w, flushed := sink.prefixed(name)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		w.Close()
		flushed()
		close(p.exited)
	}()
	return p, nil
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	// Children that outlived the leader get the same end.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exitError describes how a process ended.
func (p *process) exitError() error {
	if p.err == nil {
		return fmt.Errorf("%s exited", p.name)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return fmt.Errorf("%s exited: %s", p.name, ee.ProcessState.String())
	}
	return fmt.Errorf("%s: %w", p.name, p.err)
}
