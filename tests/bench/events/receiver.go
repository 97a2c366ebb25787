package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is the webhook endpoint: an httptest server on loopback that
// answers 204 at once and hands each delivery to the collector of its path
// (/<table>, see createTriggers).
type receiver struct {
	srv *httptest.Server
	url string

	mu   sync.Mutex
	cols map[string]*collector

	bad   atomic.Int64 // bodies that are not a Hasura payload
	stray atomic.Int64 // deliveries to a path nobody collects
}

func newReceiver() *receiver {
	r := &receiver{cols: map[string]*collector{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.url = r.srv.URL
	return r
}

func (r *receiver) close() { r.srv.Close() }

// delivery is the part of the payload the benchmark reads.
type delivery struct {
	ID    string `json:"id"`
	Event struct {
		Data struct {
			New struct {
				Seq int64 `json:"seq"`
			} `json:"new"`
		} `json:"data"`
	} `json:"event"`
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	c := r.cols[req.URL.Path]
	r.mu.Unlock()
	if c != nil {
		c.wait(req.Context())
	}
	w.WriteHeader(http.StatusNoContent)
	var d delivery
	if err != nil || json.Unmarshal(body, &d) != nil || d.ID == "" {
		r.bad.Add(1)
		return
	}
	if c == nil {
		r.stray.Add(1)
		return
	}
	c.add(d.ID, d.Event.Data.New.Seq, at)
}

// collect starts a new collector for table's webhook (replacing any
// previous one) and returns it.
func (r *receiver) collect(table string) *collector {
	c := &collector{ids: map[string]struct{}{}, arrivals: map[int64]time.Time{}, open: closedGate()}
	r.mu.Lock()
	r.cols["/"+table] = c
	r.mu.Unlock()
	return c
}

// collector records one table's deliveries: distinct event ids, and the
// first arrival time of each row (by its seq column).
type collector struct {
	mu       sync.Mutex
	ids      map[string]struct{}
	arrivals map[int64]time.Time
	dups     int // deliveries of an id seen before (at-least-once redeliveries)
	last     time.Time
	waiters  []waiter
	open     chan struct{} // closed while requests are answered at once
}

func closedGate() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// hold makes the webhook answer nothing until release.
func (c *collector) hold() {
	c.mu.Lock()
	c.open = make(chan struct{})
	c.mu.Unlock()
}

func (c *collector) release() {
	c.mu.Lock()
	close(c.open)
	c.mu.Unlock()
}

// wait blocks a request while the webhook is held.
func (c *collector) wait(ctx context.Context) {
	c.mu.Lock()
	open := c.open
	c.mu.Unlock()
	select {
	case <-open:
	case <-ctx.Done():
	}
}

type waiter struct {
	n  int
	ch chan time.Time
}

func (c *collector) add(id string, seq int64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.ids[id]; ok {
		c.dups++
		return
	}
	c.ids[id] = struct{}{}
	if _, ok := c.arrivals[seq]; !ok {
		c.arrivals[seq] = at
	}
	c.last = at
	c.notify()
}

// notify wakes the waiters whose count is reached; c.mu is held.
func (c *collector) notify() {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if len(c.ids) >= w.n {
			w.ch <- c.last
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// reached returns a channel receiving the arrival time of the delivery that
// made the count of distinct event ids reach n.
func (c *collector) reached(n int) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiters = append(c.waiters, waiter{n, ch})
	c.notify()
	return ch
}

// count is the number of distinct event ids seen.
func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

// duplicates is the number of deliveries of an already seen id.
func (c *collector) duplicates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dups
}

// arrival is when the row with this seq was first delivered.
func (c *collector) arrival(seq int64) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.arrivals[seq]
	return t, ok
}
