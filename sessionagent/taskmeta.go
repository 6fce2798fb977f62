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

// fetchTaskARN asks the task metadata endpoint v4 for this task's ARN,
// retrying with backoff until it answers or ctx ends. At task start the
// endpoint may not answer yet.
func fetchTaskARN(ctx context.Context, client *http.Client, metadataURI string, bo backoff, log *slog.Logger) (string, error) {
	endpoint := strings.TrimRight(metadataURI, "/") + "/task"
	for attempt := 1; ; attempt++ {
		arn, err := getTaskARN(ctx, client, endpoint)
		if err == nil {
			return arn, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		wait := bo.delay(attempt)
		log.Warn("task metadata not available yet, retrying", "url", endpoint, "attempt", attempt, "retry_in", wait.String(), "err", err)
		if !sleepCtx(ctx, wait) {
			return "", ctx.Err()
		}
	}
}

func getTaskARN(ctx context.Context, client *http.Client, endpoint string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, snippet(body))
	}
	var meta struct {
		TaskARN string `json:"TaskARN"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return "", fmt.Errorf("decode task metadata: %w", err)
	}
	if !strings.HasPrefix(meta.TaskARN, "arn:") {
		return "", errors.New("task metadata has no TaskARN")
	}
	return meta.TaskARN, nil
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
