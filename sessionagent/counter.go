package main

import (
	"sync"
	"sync/atomic"
)

// sessionCounter is the number of open websocket sessions. Changing it is an
// atomic add plus a non-blocking send to each subscriber's 1-slot channel, so
// the request path never waits for a consumer: a consumer that is busy finds
// one pending signal and reads the latest value itself.
type sessionCounter struct {
	n    atomic.Int64
	mu   sync.Mutex // serialises subscribe; add reads subs lock-free
	subs atomic.Pointer[[]chan struct{}]
}

// subscribe returns a channel that receives a signal after changes. Signals
// coalesce: one pending signal stands for any number of changes.
func (c *sessionCounter) subscribe() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{}, 1)
	var next []chan struct{}
	if old := c.subs.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, ch)
	c.subs.Store(&next)
	return ch
}

func (c *sessionCounter) add(delta int64) {
	c.n.Add(delta)
	if subs := c.subs.Load(); subs != nil {
		for _, ch := range *subs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

func (c *sessionCounter) load() int { return int(c.n.Load()) }
