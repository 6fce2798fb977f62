package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// taskMetadata is what the sidecar reads from the task metadata endpoint v4
// (${ECS_CONTAINER_METADATA_URI_V4}/task).
type taskMetadata struct {
	TaskARN  string `json:"TaskARN"`
	Family   string `json:"Family"`
	Revision string `json:"Revision"`
}

// TaskDefinition is "family:revision", as in a task definition ARN.
func (m taskMetadata) TaskDefinition() string { return m.Family + ":" + m.Revision }

// fetchTaskMetadata asks the task metadata endpoint v4 about this task,
// retrying with backoff until it answers or ctx ends. At task start the
// endpoint may not answer yet.
func fetchTaskMetadata(ctx context.Context, client *http.Client, metadataURI string, bo backoff, log *slog.Logger) (taskMetadata, error) {
	endpoint := strings.TrimRight(metadataURI, "/") + "/task"
	for attempt := 1; ; attempt++ {
		meta, err := getTaskMetadata(ctx, client, endpoint)
		if err == nil {
			return meta, nil
		}
		if ctx.Err() != nil {
			return taskMetadata{}, ctx.Err()
		}
		wait := bo.delay(attempt)
		log.Warn("task metadata not available yet, retrying", "url", endpoint, "attempt", attempt, "retry_in", wait.String(), "err", err)
		if !sleepCtx(ctx, wait) {
			return taskMetadata{}, ctx.Err()
		}
	}
}

func getTaskMetadata(ctx context.Context, client *http.Client, endpoint string) (taskMetadata, error) {
	var meta taskMetadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return meta, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return meta, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return meta, err
	}
	if resp.StatusCode != http.StatusOK {
		return meta, fmt.Errorf("status %d: %s", resp.StatusCode, snippet(body))
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return meta, fmt.Errorf("decode task metadata: %w", err)
	}
	if !strings.HasPrefix(meta.TaskARN, "arn:") {
		return meta, errors.New("task metadata has no TaskARN")
	}
	return meta, nil
}

// regionFromARN returns the region field of an ARN, "" if there is none.
func regionFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// snippet shortens a response body for a log line or an error.
func snippet(b []byte) string {
	const max = 300
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
