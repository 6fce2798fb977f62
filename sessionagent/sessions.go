package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// session is one open websocket session.
type session struct {
	user       string       // the ALB's x-amzn-oidc-identity; "" without one
	lastActive atomic.Int64 // Unix nanoseconds of the last user message (or the start)
	conn       net.Conn     // the browser's connection; closing it ends the session
}

func (s *session) touch(now time.Time) { s.lastActive.Store(now.UnixNano()) }

// idleFor is how long the session has gone without a user message.
func (s *session) idleFor(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, s.lastActive.Load()))
}

// registry holds the open sessions: their count (for the reporter and the
// protector), how many each user holds (for the per-user cap) and their
// connections (to close idle ones).
type registry struct {
	count      *sessionCounter
	maxPerUser int

	mu      sync.Mutex
	perUser map[string]int // reserved slots: upgrades in flight and open sessions
	open    map[*session]struct{}
}

func newRegistry(count *sessionCounter, maxPerUser int) *registry {
	return &registry{count: count, maxPerUser: maxPerUser, perUser: map[string]int{}, open: map[*session]struct{}{}}
}

// reserve takes one of user's session slots; false when all are taken.
// Every true is matched by one release.
func (r *registry) reserve(user string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perUser[user] >= r.maxPerUser {
		return false
	}
	r.perUser[user]++
	return true
}

func (r *registry) release(user string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.perUser[user] <= 1 {
		delete(r.perUser, user)
	} else {
		r.perUser[user]--
	}
}

// opened records a session whose upgrade succeeded.
func (r *registry) opened(s *session) {
	r.mu.Lock()
	r.open[s] = struct{}{}
	r.mu.Unlock()
	r.count.add(1)
}

// closed records the end of a session opened before.
func (r *registry) closed(s *session) {
	r.mu.Lock()
	delete(r.open, s)
	r.mu.Unlock()
	r.count.add(-1)
}

// idle returns the sessions that have had no user message for timeout.
func (r *registry) idle(now time.Time, timeout time.Duration) []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*session
	for s := range r.open {
		if s.idleFor(now) >= timeout {
			out = append(out, s)
		}
	}
	return out
}

// reapIdle closes sessions idle for timeout, checking every interval, until
// ctx ends. Closing the browser's connection makes the proxy close Shiny's
// side too, so the app's onSessionEnded runs; the browser shows Shiny's
// "disconnected" overlay.
func (r *registry) reapIdle(ctx context.Context, timeout, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range r.idle(now, timeout) {
				log.Info("closing idle session", "idle", s.idleFor(now).Round(time.Second).String(), "user", s.user)
				s.conn.Close()
			}
		}
	}
}

// idleCheckInterval is how often idle sessions are looked for: a tenth of
// the timeout, at most 10 s, so a session is closed at most that late.
func idleCheckInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/10, 10*time.Millisecond), 10*time.Second)
}

// clientConn is the browser's side of a session, as the proxy copies it.
// Reads feed the frame scanner, which marks the session active on each user
// message. It hides CloseWrite (see noHalfClose) and copies with small
// buffers while idle (see copyAdaptive).
type clientConn struct {
	net.Conn
	sess *session
	scan frameScanner
}

func (c *clientConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.scan.feed(p[:n]) {
		c.sess.touch(time.Now())
	}
	return n, err
}

// WriteTo copies the browser's messages to Shiny (io.Copy uses it).
func (c *clientConn) WriteTo(w io.Writer) (int64, error) {
	return copyAdaptive(w, readerOnly{c})
}

// ReadFrom copies Shiny's messages to the browser (io.Copy uses it).
func (c *clientConn) ReadFrom(r io.Reader) (int64, error) {
	return copyAdaptive(c.Conn, r)
}

type readerOnly struct{ io.Reader }

// noHalfClose hides CloseWrite of the upstream connection. ReverseProxy,
// when one side of an upgraded connection reaches EOF, half-closes the
// other side and keeps waiting for it if it can; a websocket has no use for
// half-open connections, and a peer that ignores the FIN would keep a dead
// session counted. Without CloseWrite, the proxy tears down both sides as
// soon as either ends. (clientConn hides it on the browser's side.)
type noHalfClose struct{ net.Conn }

// Copy buffers. An idle websocket spends its life blocked in a read, and a
// 32 KiB buffer held there would be most of its memory; so each direction
// reads into a small buffer and takes a large one from a pool only while
// reads fill the small one (a burst), giving it back when they stop.
const smallCopyBuffer = 1 << 10

var largeCopyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyAdaptive is io.Copy with the buffer policy above.
func copyAdaptive(dst io.Writer, src io.Reader) (written int64, err error) {
	small := make([]byte, smallCopyBuffer)
	buf := small
	var large *[]byte
	defer func() {
		if large != nil {
			largeCopyBuffers.Put(large)
		}
	}()
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			m, werr := dst.Write(buf[:n])
			written += int64(m)
			if werr != nil {
				return written, werr
			}
			if m != n {
				return written, io.ErrShortWrite
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				return written, nil
			}
			return written, rerr
		}
		switch {
		case n == len(buf) && large == nil:
			large = largeCopyBuffers.Get().(*[]byte)
			buf = *large
		case n < len(buf) && large != nil:
			largeCopyBuffers.Put(large)
			large, buf = nil, small
		}
	}
}
