package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/shinyfargate/shiny-cdktf/internal/sessionmodel"
)

// The bench app's input and output (bench/proxy/app/app.R).
const (
	pingInput  = "ping"
	echoOutput = "echo"
)

// readLimit bounds a message from Shiny; the largest the bench asks for is
// an echo of a -payload-sized input.
const readLimit = 16 << 20

// shinySession is one Shiny session over a websocket, as a browser holds it:
// connected, initialised, its output rendered.
type shinySession struct {
	conn *websocket.Conn
	seq  int
}

// shinyMessage is the part of a server-to-client message the bench reads.
type shinyMessage struct {
	Config *json.RawMessage           `json:"config"`
	Values map[string]json.RawMessage `json:"values"`
	Errors map[string]json.RawMessage `json:"errors"`
}

// wsURL is the websocket endpoint of the Shiny app at base (http://host:port).
func wsURL(base string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/websocket/"
}

// openSession connects to the Shiny app at base and starts a session the way
// the browser does: the server greets with its config, the client sends
// init with its inputs, the server renders the output.
// users numbers the sessions' users: each session is a different signed-in
// user, as behind the ALB, so the sidecar's per-user cap does not apply.
var users atomic.Int64

func openSession(ctx context.Context, client *http.Client, base string) (*shinySession, error) {
	header := http.Header{}
	header.Set(sessionmodel.HeaderOIDCIdentity, fmt.Sprintf("bench-user-%d", users.Add(1)))
	conn, _, err := websocket.Dial(ctx, wsURL(base), &websocket.DialOptions{HTTPClient: client, HTTPHeader: header})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", wsURL(base), err)
	}
	conn.SetReadLimit(readLimit)
	s := &shinySession{conn: conn}
	var first shinyMessage
	if err := s.read(ctx, &first); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("read greeting: %w", err)
	}
	if first.Config == nil {
		conn.CloseNow()
		return nil, fmt.Errorf("first message is not Shiny's config")
	}
	init := map[string]any{
		"method": "init",
		"data": map[string]any{
			pingInput: "",
			".clientdata_output_" + echoOutput + "_hidden": false,
			".clientdata_url_search":                       "",
		},
	}
	if err := s.send(ctx, init); err != nil {
		conn.CloseNow()
		return nil, err
	}
	if err := s.awaitEcho(ctx, ""); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("after init: %w", err)
	}
	return s, nil
}

// roundTrip sends a new value of the input and returns the time until
// Shiny's first answer (it has taken the update in) and until the output's
// new value arrives (the whole reactive cycle).
func (s *shinySession) roundTrip(ctx context.Context) (first, full time.Duration, err error) {
	s.seq++
	want := strconv.Itoa(s.seq)
	start := time.Now()
	if err := s.send(ctx, map[string]any{"method": "update", "data": map[string]any{pingInput: want}}); err != nil {
		return 0, 0, err
	}
	var m shinyMessage
	if err := s.read(ctx, &m); err != nil {
		return 0, 0, err
	}
	first = time.Since(start)
	if !m.hasEcho(want) {
		if err := s.awaitEcho(ctx, want); err != nil {
			return 0, 0, err
		}
	}
	return first, time.Since(start), nil
}

// exchange sets the input to value and waits until the output echoes it.
func (s *shinySession) exchange(ctx context.Context, value string) error {
	if err := s.send(ctx, map[string]any{"method": "update", "data": map[string]any{pingInput: value}}); err != nil {
		return err
	}
	return s.awaitEcho(ctx, value)
}

// awaitEcho reads messages until one carries the echo output with value want.
func (s *shinySession) awaitEcho(ctx context.Context, want string) error {
	for {
		var m shinyMessage
		if err := s.read(ctx, &m); err != nil {
			return err
		}
		if e, ok := m.Errors[echoOutput]; ok {
			return fmt.Errorf("output %s failed: %s", echoOutput, e)
		}
		if m.hasEcho(want) {
			return nil
		}
	}
}

// hasEcho reports whether m carries the echo output with value want.
func (m shinyMessage) hasEcho(want string) bool {
	var got string
	raw, ok := m.Values[echoOutput]
	return ok && json.Unmarshal(raw, &got) == nil && got == want
}

func (s *shinySession) send(ctx context.Context, msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return s.conn.Write(ctx, websocket.MessageText, b)
}

func (s *shinySession) read(ctx context.Context, m *shinyMessage) error {
	_, b, err := s.conn.Read(ctx)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, m); err != nil {
		return fmt.Errorf("message %.200q: %w", b, err)
	}
	return nil
}

func (s *shinySession) close() {
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
}
