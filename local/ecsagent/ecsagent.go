// Package ecsagent stands in for what ECS gives a task's containers in `make
// local`: the task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4) and the
// ECS agent's task scale-in protection endpoint (ECS_AGENT_URI), one pair of
// URLs per task, served by one loopback HTTP server. It records each task's
// protection state, which GET on the same endpoint returns, as ECS's does.
//
// Sources: "Amazon ECS task metadata endpoint version 4" and "Protect your
// Amazon ECS tasks from being terminated by scale-in events"
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection-endpoint.html):
// PUT $ECS_AGENT_URI/task-protection/v1/state with {"ProtectionEnabled":
// true|false, "ExpiresInMinutes": N} (N from 1 to 2880, default 120), and GET
// for the current state; the answer is {"protection": {"ExpirationDate",
// "ProtectionEnabled", "TaskArn"}}, or {"error": {...}} with a 4xx.
package ecsagent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ProtectionPath is the endpoint under ECS_AGENT_URI.
const ProtectionPath = "/task-protection/v1/state"

// Limits of ExpiresInMinutes.
const (
	DefaultExpiresInMinutes = 120
	MaxExpiresInMinutes     = 2880
)

// Protection is a task's scale-in protection state.
type Protection struct {
	Enabled bool
	// Expires is when protection lapses on its own (zero when disabled).
	Expires time.Time
}

// Active tells whether protection holds at now.
func (p Protection) Active(now time.Time) bool { return p.Enabled && now.Before(p.Expires) }

// ProtectionRequest is the body of a PUT.
type ProtectionRequest struct {
	ProtectionEnabled *bool `json:"ProtectionEnabled"`
	ExpiresInMinutes  *int  `json:"ExpiresInMinutes"`
}

// ApplyProtection is the agent's decision for a PUT body at now: the new state,
// or an error (a 400 with an error body) for a body ECS refuses.
func ApplyProtection(body []byte, now time.Time) (Protection, error) {
	var req ProtectionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return Protection{}, fmt.Errorf("invalid request body: %v", err)
	}
	if req.ProtectionEnabled == nil {
		return Protection{}, errors.New("ProtectionEnabled is required")
	}
	if !*req.ProtectionEnabled {
		return Protection{}, nil
	}
	minutes := DefaultExpiresInMinutes
	if req.ExpiresInMinutes != nil {
		minutes = *req.ExpiresInMinutes
		if minutes < 1 || minutes > MaxExpiresInMinutes {
			return Protection{}, fmt.Errorf("ExpiresInMinutes=%d: must be from 1 to %d", minutes, MaxExpiresInMinutes)
		}
	}
	return Protection{Enabled: true, Expires: now.Add(time.Duration(minutes) * time.Minute)}, nil
}

// Task is one stand-in task.
type Task struct {
	ID, ARN, Cluster, Family string
}

// Server serves the endpoints of its tasks: /v4/ID/task (metadata) and
// /api/ID/task-protection/v1/state (agent).
type Server struct {
	mu      sync.Mutex
	tasks   map[string]Task
	state   map[string]Protection
	history map[string][]Protection
}

// New returns a server for tasks.
func New(tasks []Task) *Server {
	s := &Server{tasks: map[string]Task{}, state: map[string]Protection{}, history: map[string][]Protection{}}
	for _, t := range tasks {
		s.tasks[t.ID] = t
	}
	return s
}

// MetadataURI and AgentURI are the values ECS would give task id, under base
// (the server's URL).
func MetadataURI(base, id string) string { return strings.TrimRight(base, "/") + "/v4/" + id }
func AgentURI(base, id string) string    { return strings.TrimRight(base, "/") + "/api/" + id }

// History returns every protection state task id was set to, in order.
func (s *Server) History(id string) []Protection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Protection(nil), s.history[id]...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	task, ok := s.tasks[parts[1]]
	s.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	case parts[0] == "v4" && parts[2] == "task" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{
			"Cluster": task.Cluster, "TaskARN": task.ARN, "Family": task.Family, "Revision": "1",
			"DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "LaunchType": "FARGATE",
			"Containers": []map[string]any{{"Name": "session-agent", "KnownStatus": "RUNNING"}, {"Name": "shiny", "KnownStatus": "RUNNING"}},
		})
	case parts[0] == "api" && "/"+parts[2] == ProtectionPath:
		s.protection(w, r, task)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) protection(w http.ResponseWriter, r *http.Request, task Task) {
	now := time.Now()
	switch r.Method {
	case http.MethodGet:
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			return
		}
		p, err := ApplyProtection(body, now)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"Code": "InvalidParameterException", "Message": err.Error()}})
			return
		}
		s.mu.Lock()
		s.state[task.ID] = p
		s.history[task.ID] = append(s.history[task.ID], p)
		s.mu.Unlock()
	default:
		w.Header().Set("Allow", "GET, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	p := s.state[task.ID]
	s.mu.Unlock()
	var expiration any
	if p.Active(now) {
		expiration = p.Expires.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, map[string]any{"protection": map[string]any{
		"ExpirationDate": expiration, "ProtectionEnabled": p.Active(now), "TaskArn": task.ARN,
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
