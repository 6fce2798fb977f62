package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// benchSetup serves a small backend and the proxy in front of it, on loopback.
func benchSetup(b *testing.B) (backendURL, proxyURL string, a *agent) {
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello, shiny")
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, msg); err != nil {
				return
			}
		}
	})
	backend := httptest.NewServer(mux)
	b.Cleanup(backend.Close)
	u, _ := url.Parse(backend.URL)
	lim := limitsFrom(config{MaxPerUser: 1000, IdleTimeout: time.Hour, BusyGrace: time.Minute})
	a = newAgent(u, lim, &sessionCounter{}, slog.New(slog.DiscardHandler))
	proxy := httptest.NewServer(a)
	b.Cleanup(func() { proxy.Close(); a.close() })
	return backend.URL, proxy.URL, a
}

func benchGET(b *testing.B, target string) {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(target)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkProxyHTTP: a small GET through the sidecar.
func BenchmarkProxyHTTP(b *testing.B) {
	_, proxyURL, _ := benchSetup(b)
	benchGET(b, proxyURL+"/small")
}

// BenchmarkDirectHTTP: the same GET straight to the backend, for comparison.
func BenchmarkDirectHTTP(b *testing.B) {
	backendURL, _, _ := benchSetup(b)
	benchGET(b, backendURL+"/small")
}

// BenchmarkSessionMemory opens 200 websocket sessions directly to the backend
// and then 200 through the proxy, and reports the in-use memory (heap and
// goroutine stacks, after GC) per open session. Client and backend live in
// this process too, so the proxy's own cost is the difference.
func BenchmarkSessionMemory(b *testing.B) {
	const n = 200
	backendURL, proxyURL, a := benchSetup(b)
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx := context.Background()

	inuse := func() (uint64, uint64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse, m.Sys
	}
	measure := func(base string) (perSession, sysPerSession float64) {
		before, sys0 := inuse()
		conns := make([]*websocket.Conn, n)
		for i := range conns {
			c, _, err := websocket.Dial(ctx, wsURL(base, "/ws"), &websocket.DialOptions{HTTPClient: client})
			if err != nil {
				b.Fatal(err)
			}
			// One round trip so every layer has set up its buffers.
			if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.Read(ctx); err != nil {
				b.Fatal(err)
			}
			conns[i] = c
		}
		after, sys1 := inuse()
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() { c.Close(websocket.StatusNormalClosure, "") })
		}
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for a.sessions.load() != 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return (float64(after) - float64(before)) / n, (float64(sys1) - float64(sys0)) / n
	}

	var direct, proxied, sysProxied float64
	iterations := 0
	for b.Loop() {
		d, _ := measure(backendURL)
		p, s := measure(proxyURL)
		direct += d
		proxied += p
		sysProxied += s
		iterations++
	}
	direct /= float64(iterations)
	proxied /= float64(iterations)
	b.ReportMetric(direct, "direct-B/session")
	b.ReportMetric(proxied, "proxied-B/session")
	b.ReportMetric(proxied-direct, "proxy-B/session")
	b.ReportMetric(sysProxied/float64(iterations), "proxied-sys-B/session")
}
