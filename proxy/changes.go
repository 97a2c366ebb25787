package proxy

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/graftql/graft/metadata"
	"github.com/redis/go-redis/v9"
)

// changeRelay publishes the tables changed by committed transactions to
// every Graft process's live queries, off the replication path: the slot's
// progress never waits for it, and the tables of transactions committed
// while a publish is in flight go out together in the next one.
type changeRelay struct {
	rdb     *redis.Client
	channel string
	log     *slog.Logger

	mu      sync.Mutex
	pending map[metadata.QualifiedName]bool
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

func newChangeRelay(rdb *redis.Client, channel string, log *slog.Logger) *changeRelay {
	r := &changeRelay{rdb: rdb, channel: channel, log: log, pending: map[metadata.QualifiedName]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go r.run()
	return r
}

func (r *changeRelay) add(names []metadata.QualifiedName) {
	if len(names) == 0 {
		return
	}
	r.mu.Lock()
	for _, n := range names {
		r.pending[n] = true
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// minPublishGap spaces publishes under a stream of commits (at most 1000
// a second, each carrying every table changed meanwhile); after a quiet
// spell the first change goes out at once. Live queries gather changes for
// longer than this anyway (HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE).
const minPublishGap = time.Millisecond

func (r *changeRelay) run() {
	defer close(r.stopped)
	var last time.Time
	for {
		select {
		case <-r.done:
			return
		case <-r.wake:
		}
		if gap := minPublishGap - time.Since(last); gap > 0 {
			t := time.NewTimer(gap)
			select {
			case <-r.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		r.mu.Lock()
		names := make([]metadata.QualifiedName, 0, len(r.pending))
		for n := range r.pending {
			names = append(names, n)
		}
		clear(r.pending)
		r.mu.Unlock()
		b, err := json.Marshal(names)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := r.rdb.Publish(ctx, r.channel, b).Err(); err != nil {
			r.log.Warn("publishing changed tables to live queries failed", "error", err)
		}
		cancel()
	}
}

func (r *changeRelay) stop() {
	close(r.done)
	<-r.stopped
}

// relayChanges feeds another process's WAL notices to our live queries.
func (w *wal) relayChanges(ps *redis.PubSub) {
	for msg := range ps.Channel() {
		var names []metadata.QualifiedName
		if json.Unmarshal([]byte(msg.Payload), &names) == nil {
			w.live.Invalidate(names)
		}
	}
}
