package main

import (
	"bytes"
	"context"
	"encoding/json"
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
// It calls the agent only when the wanted state changes or a refresh is due;
// the decisions are decideProtection's, this is the loop around it.
type protector struct {
	client   *http.Client
	url      string // ${ECS_AGENT_URI}/task-protection/v1/state
	policy   protectionPolicy
	sessions *sessionCounter
	notify   <-chan struct{}
	// drain, if set, tells when protection must end for good (zero: not
	// draining); drainNotify signals that it changed.
	drain       func() time.Time
	drainNotify <-chan struct{}
	backoff     backoff
	log         *slog.Logger
}

func newProtectionURL(agentURI string) string {
	return strings.TrimRight(agentURI, "/") + protectionPath
}

// protectionPolicy are the protector's fixed parameters.
type protectionPolicy struct {
	ExpiresIn int           // minutes, sent as ExpiresInMinutes
	Refresh   time.Duration // how often "on" is renewed while sessions are open
	Grace     time.Duration // how long after the last session "off" waits
}

// protectionState is what the protector knows between decisions. The zero
// value is a new task: unprotected.
type protectionState struct {
	Protected   bool      // the last state the agent confirmed
	ProtectedAt time.Time // when it last confirmed "on"
	ZeroSince   time.Time // when the count was first seen at 0 while protected
	Failures    int       // failed calls in a row
	RetryAt     time.Time // no call before this after a failure
}

type protectionAction int

const (
	protectNone protectionAction = iota
	protectOn                    // turn on or renew
	protectOff
)

// protectionStep is a decision: call the agent, or wait until Wake (zero:
// until something changes).
type protectionStep struct {
	Action protectionAction
	Wake   time.Time
}

// decideProtection is the pure decision: given the state, the time, the
// open sessions and the drain deadline (zero when the task is current), it
// returns the updated state and what to do.
//
//   - While draining and past the deadline, protection goes off and stays
//     off, sessions or not: the rollout must be able to stop the task.
//   - Sessions open: turn on, or renew once Refresh has passed.
//   - No sessions while protected: turn off Grace after the count hit 0
//     (a page reload does not flap it).
//   - After a failed call, nothing is called before RetryAt.
func decideProtection(s protectionState, now time.Time, sessions int, drainAt time.Time, p protectionPolicy) (protectionState, protectionStep) {
	if sessions > 0 {
		s.ZeroSince = time.Time{}
	} else if s.Protected && s.ZeroSince.IsZero() {
		s.ZeroSince = now
	}
	drained := !drainAt.IsZero() && !now.Before(drainAt)

	var st protectionStep
	switch {
	case drained && s.Protected:
		st.Action = protectOff
	case drained:
		// Nothing to do, ever: stay off.
	case sessions > 0 && (!s.Protected || !now.Before(s.ProtectedAt.Add(p.Refresh))):
		st.Action = protectOn
	case sessions > 0:
		st.Wake = s.ProtectedAt.Add(p.Refresh)
	case s.Protected && !now.Before(s.ZeroSince.Add(p.Grace)):
		st.Action = protectOff
	case s.Protected:
		st.Wake = s.ZeroSince.Add(p.Grace)
	}
	if !drained && !drainAt.IsZero() && s.Protected && st.Action == protectNone &&
		(st.Wake.IsZero() || drainAt.Before(st.Wake)) {
		st.Wake = drainAt // wake to end protection on time
	}
	if st.Action == protectNone {
		s.Failures = 0 // nothing to do any more: a later change starts afresh
		return s, st
	}
	if s.Failures > 0 && now.Before(s.RetryAt) {
		return s, protectionStep{Wake: s.RetryAt}
	}
	return s, st
}

// protectionCalled is the state after a call for action at time now:
// confirmed when err is nil, else a failure to retry after retryIn.
func protectionCalled(s protectionState, action protectionAction, err error, now time.Time, retryIn time.Duration) protectionState {
	if err != nil {
		s.Failures++
		s.RetryAt = now.Add(retryIn)
		return s
	}
	s.Failures, s.RetryAt = 0, time.Time{}
	s.Protected = action == protectOn
	if s.Protected {
		s.ProtectedAt = now
	} else {
		s.ZeroSince = time.Time{}
	}
	return s
}

// run applies the decisions until ctx ends. On shutdown it does nothing:
// the task is being stopped anyway.
func (p *protector) run(ctx context.Context) {
	var s protectionState
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		n := p.sessions.load()
		var drainAt time.Time
		if p.drain != nil {
			drainAt = p.drain()
		}
		var st protectionStep
		s, st = decideProtection(s, time.Now(), n, drainAt, p.policy)
		if st.Action != protectNone {
			was := s
			err := p.set(ctx, st.Action == protectOn)
			if ctx.Err() != nil {
				return
			}
			s = protectionCalled(s, st.Action, err, time.Now(), p.backoff.delay(s.Failures+1))
			p.logCall(was, s, st.Action, n, drainAt, err)
			continue // re-evaluate: the count may have changed meanwhile
		}
		var tc <-chan time.Time
		if !st.Wake.IsZero() {
			timer.Reset(time.Until(st.Wake))
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-p.notify:
		case <-p.drainNotify:
		case <-tc:
		}
		timer.Stop()
	}
}

func (p *protector) logCall(was, now protectionState, action protectionAction, sessions int, drainAt time.Time, err error) {
	enable := action == protectOn
	switch {
	case err != nil:
		p.log.Error("task protection update failed, retrying", "protection_enabled", enable, "sessions", sessions,
			"attempt", now.Failures, "retry_in", time.Until(now.RetryAt).Round(time.Millisecond).String(), "err", err)
		return
	case was.Failures > 0:
		p.log.Info("task protection update recovered", "failed_attempts", was.Failures)
	}
	switch {
	case enable && !was.Protected:
		p.log.Info("task protection on", "sessions", sessions, "expires_in_minutes", p.policy.ExpiresIn)
	case enable:
		p.log.Debug("task protection refreshed", "sessions", sessions, "expires_in_minutes", p.policy.ExpiresIn)
	case !drainAt.IsZero() && !time.Now().Before(drainAt):
		p.log.Info("task protection off: drained (the service deploys another task definition)", "sessions", sessions)
	default:
		p.log.Info("task protection off", "grace", p.policy.Grace.String())
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
		body.ExpiresInMinutes = p.policy.ExpiresIn
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
		return fmt.Errorf("agent response says ProtectionEnabled=%t, want %t", pr.Protection.ProtectionEnabled, enable)
	}
	return nil
}
