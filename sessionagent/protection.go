package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// protectionPath is the task scale-in protection endpoint under ECS_AGENT_URI.
const protectionPath = "/task-protection/v1/state"

// protector keeps ECS task scale-in protection on while sessions are open.
// It calls the agent only when the wanted state changes or a refresh is due.
type protector struct {
	client    *http.Client
	url       string // ${ECS_AGENT_URI}/task-protection/v1/state
	expiresIn int    // minutes, sent as ExpiresInMinutes
	refresh   time.Duration
	grace     time.Duration
	sessions  *sessionCounter
	notify    <-chan struct{}
	backoff   backoff
	log       *slog.Logger
}

func newProtectionURL(agentURI string) string {
	return strings.TrimRight(agentURI, "/") + protectionPath
}

// run applies the wanted protection state until ctx ends. It starts from
// "off", which is the state of a new task. On shutdown it does nothing: the
// task is being stopped anyway.
func (p *protector) run(ctx context.Context) {
	var (
		protected   bool      // last state the agent confirmed
		protectedAt time.Time // when it last confirmed "on"
		zeroSince   time.Time // when the count was first seen at 0 while protected
		failures    int
		retryAt     time.Time
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		now := time.Now()
		n := p.sessions.load()
		if n > 0 {
			zeroSince = time.Time{}
		} else if protected && zeroSince.IsZero() {
			zeroSince = now
		}

		var wake time.Time // zero: wait for a change only
		action := 0        // +1 enable/refresh, -1 disable
		switch {
		case n > 0 && (!protected || !now.Before(protectedAt.Add(p.refresh))):
			action = +1
		case n > 0 && protected:
			wake = protectedAt.Add(p.refresh)
		case protected && !now.Before(zeroSince.Add(p.grace)):
			action = -1
		case protected:
			wake = zeroSince.Add(p.grace)
		}
		if action == 0 {
			failures = 0 // nothing to do any more: a later change starts afresh
		}
		if action != 0 && failures > 0 && now.Before(retryAt) {
			action, wake = 0, retryAt
		}

		if action != 0 {
			enable := action > 0
			err := p.set(ctx, enable)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				failures++
				wait := p.backoff.delay(failures)
				retryAt = time.Now().Add(wait)
				p.log.Error("task protection update failed, retrying", "protection_enabled", enable,
					"sessions", n, "attempt", failures, "retry_in", wait.String(), "err", err)
			} else {
				if failures > 0 {
					p.log.Info("task protection update recovered", "failed_attempts", failures)
				}
				failures = 0
				if enable && !protected {
					p.log.Info("task protection on", "sessions", n, "expires_in_minutes", p.expiresIn)
				} else if enable {
					p.log.Debug("task protection refreshed", "sessions", n, "expires_in_minutes", p.expiresIn)
				} else {
					p.log.Info("task protection off", "grace", p.grace.String())
				}
				protected = enable
				if enable {
					protectedAt = time.Now()
				} else {
					zeroSince = time.Time{}
				}
			}
			continue // re-evaluate: the count may have changed meanwhile
		}

		var tc <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(time.Until(wake))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-p.notify:
		case <-tc:
		}
		timer.Stop()
	}
}

// protectionResponse is the agent's answer: exactly one of protection,
// failure or error is set.
type protectionResponse struct {
	Protection *struct {
		ProtectionEnabled bool            `json:"ProtectionEnabled"`
		ExpirationDate    json.RawMessage `json:"ExpirationDate"`
		TaskArn           string          `json:"TaskArn"`
	} `json:"protection"`
	Failure   json.RawMessage `json:"failure"`
	Error     json.RawMessage `json:"error"`
	RequestID string          `json:"requestID"`
}

// set PUTs the wanted state. A non-2xx status, a failure or error body, or
// an answer with another state is an error.
func (p *protector) set(ctx context.Context, enable bool) error {
	body := struct {
		ProtectionEnabled bool
		ExpiresInMinutes  int `json:",omitempty"`
	}{ProtectionEnabled: enable}
	if enable {
		body.ExpiresInMinutes = p.expiresIn
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, p.url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	var pr protectionResponse
	jsonErr := json.Unmarshal(raw, &pr)
	switch {
	case len(pr.Failure) > 0 && string(pr.Failure) != "null":
		return fmt.Errorf("agent returned status %d with failure %s (requestID %q)", resp.StatusCode, pr.Failure, pr.RequestID)
	case len(pr.Error) > 0 && string(pr.Error) != "null":
		return fmt.Errorf("agent returned status %d with error %s (requestID %q)", resp.StatusCode, pr.Error, pr.RequestID)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("agent returned status %d: %s", resp.StatusCode, snippet(raw))
	case jsonErr != nil:
		return fmt.Errorf("decode agent response %q: %w", snippet(raw), jsonErr)
	case pr.Protection == nil:
		return fmt.Errorf("agent response has no protection: %s", snippet(raw))
	case pr.Protection.ProtectionEnabled != enable:
		return errors.New("agent response says ProtectionEnabled=" + fmt.Sprint(pr.Protection.ProtectionEnabled) + ", want " + fmt.Sprint(enable))
	}
	return nil
}
