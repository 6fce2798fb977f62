package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newClient is an HTTP client for loopback with conns keep-alive connections.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil, // loopback: never through HTTP_PROXY
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}}
}

// loadResult is what one load run counted.
type loadResult struct {
	ok, failed int64
	elapsed    time.Duration
	lastErr    error
}

func (r loadResult) perSecond() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// load sends GET url from conns workers, each on its own keep-alive
// connection, for d, and counts complete 200 answers of wantBytes bytes.
func load(ctx context.Context, url string, wantBytes int64, conns int, d time.Duration) loadResult {
	client := newClient(conns)
	defer client.Transport.(*http.Transport).CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var lastErr error
	fail := func(err error) {
		if ctx.Err() != nil {
			return // cut off at the end of the run, not a failure
		}
		failed.Add(1)
		mu.Lock()
		lastErr = err
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := client.Do(req)
				if err != nil {
					fail(err)
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					fail(err)
				case resp.StatusCode != http.StatusOK || n != wantBytes:
					fail(fmt.Errorf("GET %s: status %d, %d bytes (want 200, %d bytes)", url, resp.StatusCode, n, wantBytes))
				default:
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return loadResult{ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(start), lastErr: lastErr}
}
