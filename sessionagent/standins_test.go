package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testTaskARN = "arn:aws:ecs:us-east-1:123456789012:task/c/abc"

// metadataStandIn is a loopback task metadata endpoint v4 under /v4/abc. It
// answers 503 to the first notReady requests, like an endpoint not yet up.
type metadataStandIn struct {
	*httptest.Server
	hits atomic.Int64
}

func newMetadataStandIn(t *testing.T, notReady int64) *metadataStandIn {
	m := &metadataStandIn{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := m.hits.Add(1)
		if r.URL.Path != "/v4/abc/task" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		if n <= notReady {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Cluster":"c","TaskARN":%q,"Family":"shiny","Revision":"3","DesiredStatus":"RUNNING"}`, testTaskARN)
	}))
	t.Cleanup(m.Close)
	return m
}

// URI is the value ECS would put in ECS_CONTAINER_METADATA_URI_V4.
func (m *metadataStandIn) URI() string { return m.URL + "/v4/abc" }

// agentRecord is one request the ECS agent stand-in received.
type agentRecord struct {
	Method, Path, ContentType string
	Body                      map[string]any
	RawBody                   string
	At                        time.Time
	Status                    int
}

// agentStandIn is a loopback ECS agent endpoint that records every request.
// respond decides the answer; nil means success.
type agentStandIn struct {
	*httptest.Server
	mu      sync.Mutex
	records []agentRecord
	respond atomic.Pointer[func(n int, enable bool) (int, string)]
}

func newAgentStandIn(t *testing.T) *agentStandIn {
	a := &agentStandIn{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := agentRecord{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), RawBody: string(raw), At: time.Now()}
		_ = json.Unmarshal(raw, &rec.Body)
		enable, _ := rec.Body["ProtectionEnabled"].(bool)
		a.mu.Lock()
		n := len(a.records)
		a.mu.Unlock()
		status, body := http.StatusOK, fmt.Sprintf(`{"protection":{"ExpirationDate":"2030-01-01T00:00:00Z","ProtectionEnabled":%t,"TaskArn":%q}}`, enable, testTaskARN)
		if f := a.respond.Load(); f != nil {
			status, body = (*f)(n, enable)
		}
		rec.Status = status
		a.mu.Lock()
		a.records = append(a.records, rec)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(a.Close)
	return a
}

// URI is the value ECS would put in ECS_AGENT_URI.
func (a *agentStandIn) URI() string { return a.URL + "/api/task-1" }

func (a *agentStandIn) setRespond(f func(n int, enable bool) (int, string)) { a.respond.Store(&f) }

func (a *agentStandIn) recorded() []agentRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]agentRecord(nil), a.records...)
}

func (a *agentStandIn) count() int { return len(a.recorded()) }

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
