package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/delivery"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/replication"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// The Redis keys of one deployment are named after its replication slot:
// a slot is unique in its Postgres cluster, so Graft deployments of
// different databases can share a Redis without taking each other's events.
func (w *wal) queuePrefix() string   { return "graft:" + w.cfg.Slot + ":events:" }
func (w *wal) changeChannel() string { return "graft:" + w.cfg.Slot + ":changes" }

// wal wires the WAL reader to its consumers: event triggers (through the
// Redis queue) and live queries (here, and in other processes via Redis).
type wal struct {
	log     *slog.Logger
	cfg     walConfig
	live    *graphql.Live
	redis   *redis.Client
	queue   *delivery.Queue
	workers *delivery.WorkerPool
	sink    *delivery.Dispatcher
	stream  *replication.Stream
	subs    *redis.PubSub
	changes *changeRelay

	triggers atomic.Pointer[map[replication.Relation][]delivery.Trigger]
	mu       sync.Mutex // starting the stream, publication changes
	running  bool
	hasWork  bool
	tables   []replication.Relation
	full     []replication.Relation
	names    map[string]bool // the event triggers of the last snapshot, nil before the first
	reason   string          // why the reader is not running (auto mode), as last logged
	timedOut bool            // auto mode gave up on a set-up that took too long: no more attempts
	swept    bool            // a persistent slot left by an earlier run was looked for
	stopOnce sync.Once       // App.Stop may run twice (a test stopping a server early)
	stopped  bool            // a snapshot arriving during App.Stop must not start a reader again
	// every tracked table (views too): what a temporary slot's Resync
	// refetches. Read from the replication goroutine, which must not wait
	// for mu (stop holds it while the stream stops).
	all atomic.Pointer[[]metadata.QualifiedName]
	// source is the added source this reader serves ("" for the default
	// database); unused, when set, replaces noEventTriggers as the check
	// before dropping a leftover persistent slot (walsources.go).
	source string
	unused func(context.Context, *pgx.Conn) (bool, error)
}

type walConfig struct {
	Mode, Slot, Publication, DatabaseURL string
	SystemID                             string // the cluster's: scopes the queue's WAL watermark
	PoolSize                             int
	Fallback                             time.Duration     // live queries' fallback refetch, what they fall back on without the WAL
	WebhookLog                           *slog.Logger      // webhook-log lines of event deliveries; nil: none
	Observer                             delivery.Observer // metrics of event deliveries; nil: none
}

// TriggersFor serves delivery the current metadata's triggers of a table.
func (w *wal) TriggersFor(t replication.Relation) []delivery.Trigger {
	m := w.triggers.Load()
	if m == nil {
		return nil
	}
	return (*m)[t]
}

var _ replication.BatchSink = (*wal)(nil)

// HandleTransaction is the replication sink: events are queued durably
// first (the slot advances only after), then live queries are told which
// tables changed.
func (w *wal) HandleTransaction(ctx context.Context, tx *replication.Transaction) error {
	return w.HandleTransactions(ctx, []*replication.Transaction{tx})
}

// HandleTransactions takes the transactions decoded while the previous call
// ran: one Redis script call queues all their events. Those read from a
// temporary slot queue none, even once triggers exist: only the persistent
// slot, which resumes after a failure, may take events, and it delivers
// everything committed since its creation (see persistentSlot). They are
// acknowledged as soon as live queries are told.
func (w *wal) HandleTransactions(ctx context.Context, txs []*replication.Transaction) error {
	if w.sink != nil && !txs[0].Temporary { // one session's: all alike
		if err := w.sink.HandleTransactions(ctx, txs); err != nil {
			return err
		}
	}
	seen := map[replication.Relation]bool{}
	var names []metadata.QualifiedName
	for _, tx := range txs {
		for _, c := range tx.Changes {
			if !seen[c.Table] {
				seen[c.Table] = true
				names = append(names, metadata.QualifiedName{Schema: c.Table.Schema, Name: c.Table.Name})
			}
		}
	}
	w.invalidate(names)
	return nil
}

// start begins event delivery (with Redis) and decides about the WAL reader.
func (w *wal) start(ctx context.Context, snap *metadata.Snapshot) error {
	if w.redis != nil {
		var err error
		if w.queue, err = delivery.NewQueue(delivery.Config{Redis: w.redis, Prefix: w.queuePrefix(), Scope: w.cfg.SystemID}); err != nil {
			return err
		}
		if warn, err := w.queue.CheckPersistence(ctx); err != nil {
			w.log.Warn("cannot check Redis persistence", "error", err)
		} else if warn != "" {
			w.log.Warn(warn)
		}
		w.sink = delivery.NewDispatcher(w.queue, w)
		w.workers = delivery.NewWorkerPool(w.queue, w, delivery.PoolConfig{Size: w.cfg.PoolSize, Logger: w.log.With("type", "event-trigger"),
			WebhookLog: w.cfg.WebhookLog, Observer: w.cfg.Observer})
		if err := w.workers.Start(ctx); err != nil {
			return err
		}
		w.subs = w.redis.Subscribe(ctx, w.changeChannel())
		go w.relayChanges(w.subs)
		w.changes = newChangeRelay(w.redis, w.changeChannel(), w.log)
	}
	return w.update(ctx, snap)
}

// update follows a new snapshot: trigger cache, publication membership, and
// starting the reader. The publication holds every tracked table, as live
// queries may read any of them; only tables with update or delete triggers
// need the whole old row (REPLICA IDENTITY FULL).
func (w *wal) update(ctx context.Context, snap *metadata.Snapshot) error {
	byTable := map[replication.Relation][]delivery.Trigger{}
	var tables, full []replication.Relation
	all := make([]metadata.QualifiedName, 0, len(snap.Tables))
	for _, t := range snap.Tables {
		all = append(all, t.Name)
		rel := replication.Relation{Schema: t.Name.Schema, Name: t.Name.Name}
		if publishable(t) {
			tables = append(tables, rel)
		}
		trs, err := delivery.ParseTriggers(rel, t.EventTriggerJSON())
		if err != nil {
			w.log.Warn("invalid event trigger definition", "table", t.Name.String(), "error", err)
			continue
		}
		needsOld := false
		for _, tr := range trs {
			if len(tr.Ignored) > 0 {
				w.log.Warn("event trigger: parts of its definition are not applied by Graft; the webhook gets Hasura's untransformed payload",
					"trigger", tr.Name, "ignored", tr.Ignored)
			}
		}
		for i := range trs {
			for _, pk := range t.PrimaryKey {
				trs[i].PrimaryKey = append(trs[i].PrimaryKey, pk.Name)
			}
			needsOld = needsOld || trs[i].Update != nil || trs[i].Delete != nil
		}
		if len(trs) > 0 {
			byTable[rel] = trs
		}
		if needsOld {
			full = append(full, rel)
		}
	}
	w.triggers.Store(&byTable)
	w.all.Store(&all)
	w.mu.Lock()
	switchTo, err := w.follow(ctx, snap, byTable, tables, full)
	w.mu.Unlock()
	if err != nil || switchTo == nil {
		return err
	}
	// Creating the slot waits for running transactions, as at start: not
	// under w.mu, which /healthz?detail and the metrics scrape take. The
	// switch needs nothing recorded here: the stream reports its slot.
	sctx, cancel := context.WithTimeout(ctx, autoStartTimeout)
	defer cancel()
	if err := switchTo.UsePersistent(sctx); err != nil {
		return fmt.Errorf("move to the persistent replication slot (event triggers get no events until it succeeds, at a later metadata change or restart): %w", err)
	}
	return nil
}

// follow is update's part under w.mu: publication membership and starting
// the reader. It returns the running stream when it must move to the
// persistent slot, which update does once w.mu is released.
func (w *wal) follow(ctx context.Context, snap *metadata.Snapshot, byTable map[replication.Relation][]delivery.Trigger, tables, full []replication.Relation) (*replication.Stream, error) {
	if w.stopped {
		return nil, nil
	}
	if names, err := triggerNames(snap.Metadata); err != nil {
		w.log.Warn("cannot read the event triggers of the metadata: pending events of deleted triggers are not archived", "error", err)
	} else {
		w.archiveDeleted(names)
	}
	w.tables, w.full = tables, full
	newWork := len(byTable) > 0 && !w.hasWork
	w.hasWork = len(byTable) > 0
	if newWork && w.queue == nil {
		w.log.Warn("event triggers exist but HASURA_GRAPHQL_REDIS_URL is not set: events are not delivered")
	}
	switch {
	case w.running:
		if err := w.stream.SetTables(ctx, w.tables, w.full); err != nil {
			return nil, err
		}
		if !w.persistentSlot() {
			return nil, nil
		}
		return w.stream, nil
	case w.cfg.Mode == "off":
		if newWork && w.queue != nil {
			w.log.Warn("event triggers exist but HASURA_GRAPHQL_WAL_MODE is off: events are not delivered")
		}
		return nil, nil
	case w.cfg.Mode == "always":
		return nil, w.startStream(ctx)
	}
	w.startIfPossible(ctx, newWork)
	return nil, nil
}

// publishable tells the tables a publication can hold: views, materialized
// views and foreign tables cannot be published (their live queries get the
// fallback refetch), and one of them would make the whole publication fail.
func publishable(t *metadata.Table) bool {
	return t.Info != nil && (t.Info.Kind == "r" || t.Info.Kind == "p")
}

// archiveDeleted stops the delivery of the pending events of triggers the
// metadata no longer has, as Hasura archives them (every process does it
// when it sees the change; the second finds nothing). w.mu is held.
func (w *wal) archiveDeleted(names map[string]bool) {
	prev := w.names
	w.names = names
	if prev == nil || w.queue == nil {
		return
	}
	for name := range prev {
		if names[name] {
			continue
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			n, err := w.queue.Archive(ctx, name)
			if err != nil {
				w.log.Error("archiving a deleted event trigger's pending events failed; they will be delivered", "trigger", name, "error", err)
				return
			}
			w.log.Info("event trigger deleted: pending events archived", "trigger", name, "events", n)
		}()
	}
}

// startStream sets up the publication and the slot and starts reading.
// w.mu is held.
func (w *wal) startStream(ctx context.Context) error {
	temporary := !w.persistentSlot()
	// Without Redis no process hears another's reader: each reads its own
	// temporary slot. With it, one leader reads for all and fans out.
	s, err := replication.New(replication.Config{ConnString: w.cfg.DatabaseURL, SlotName: w.cfg.Slot,
		PublicationName: w.cfg.Publication, Sink: w, Logger: w.log.With("type", "replication-log"),
		Temporary: temporary, Independent: temporary && w.redis == nil})
	if err != nil {
		return err
	}
	// Before SetTables: a database that cannot replicate gets no
	// publication and no altered replica identities.
	if err := s.Preflight(ctx); err != nil {
		return err
	}
	if err := s.SetTables(ctx, w.tables, w.full); err != nil {
		return fmt.Errorf("set up the publication: %w", err)
	}
	if temporary && !w.swept {
		w.dropLeftoverSlot(ctx, s)
		w.swept = true
	}
	if err := s.Start(ctx); err != nil {
		return fmt.Errorf("start reading the WAL: %w", err)
	}
	w.stream, w.running, w.reason = s, true, ""
	kind, _ := s.Slot()
	w.log.Info("reading committed changes from the WAL", "type", "startup", "slot", w.cfg.Slot, "slot_kind", kind, "tables", len(w.tables))
	return nil
}

// autoStartTimeout bounds setting up the reader in auto mode. Creating a
// slot waits for every transaction running in the cluster to end, so one
// session left idle in a transaction would otherwise hold up start-up (or
// a metadata change) for as long as it stays open.
const autoStartTimeout = 30 * time.Second

// startIfPossible starts the reader in auto mode when the database allows
// it. When it does not, Graft runs on without it: the reason is logged once
// (again only if it changes) and shown by /healthz?detail, and every later
// snapshot tries again, so fixing the role and reloading metadata is enough.
// A set-up that timed out is not tried again: each metadata change would
// wait as long. w.mu is held.
func (w *wal) startIfPossible(ctx context.Context, newWork bool) {
	var err error
	if !w.timedOut {
		sctx, cancel := context.WithTimeout(ctx, autoStartTimeout)
		err = w.startStream(sctx)
		cancel()
		if err == nil {
			return
		}
	}
	reason := w.reason
	if err != nil {
		reason = err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		w.timedOut = true
		reason = fmt.Sprintf("setting up the publication and the replication slot took over %s (creating a slot waits for the transactions running in the cluster to end: is one left open?); restart Graft to try again: %v", autoStartTimeout, err)
	}
	switch {
	case reason != w.reason:
		w.log.Warn("the WAL reader cannot run: "+w.offCost(), "reason", reason)
	case newWork:
		w.log.Warn("event triggers exist but the WAL reader cannot run: events are not delivered", "reason", reason)
	}
	w.reason = reason
}

// offCost says what running without the reader costs. w.mu is held.
func (w *wal) offCost() string {
	cost := fmt.Sprintf("writes not made through this Graft process reach live queries only at the fallback refetch every %s (HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL)", w.cfg.Fallback)
	if w.hasWork {
		cost += "; event triggers get no events"
	}
	return cost
}

// stop ends the reader first (no new events), then the workers; only the
// first call does anything.
func (w *wal) stop(ctx context.Context) {
	w.stopOnce.Do(func() { w.stopNow(ctx) })
}

func (w *wal) stopNow(ctx context.Context) {
	w.mu.Lock()
	w.stopped = true
	if w.running {
		w.stream.Stop(ctx)
		w.running = false
	}
	w.mu.Unlock()
	if w.workers != nil {
		w.workers.Stop(ctx)
	}
	if w.subs != nil {
		w.subs.Close()
	}
	if w.changes != nil {
		w.changes.stop()
	}
}

// health reports the WAL reader for /healthz?detail.
func (w *wal) health(ctx context.Context) map[string]any {
	w.mu.Lock()
	stream, running, reason := w.stream, w.running, w.reason
	w.mu.Unlock()
	out := map[string]any{"mode": w.cfg.Mode, "slot": w.cfg.Slot, "running": running, "events": w.queue != nil}
	if !running {
		// What live queries are left with, and why.
		if w.cfg.Mode == "off" {
			reason = "HASURA_GRAPHQL_WAL_MODE is off"
		}
		out["reason"] = reason
		out["fallback_refetch_interval_ms"] = w.cfg.Fallback.Milliseconds()
	} else {
		out["leader"] = stream.IsLeader()
		kind, name := stream.Slot()
		out["slot_kind"], out["slot_name"] = kind, name
		if lag, err := stream.Lag(ctx); errors.Is(err, replication.ErrNoSlot) {
			// A standby on temporary slots has none; the leader's is its own.
		} else if err != nil {
			out["lag_error"] = err.Error()
		} else {
			out["lag_bytes"], out["retained_bytes"], out["slot_active"] = lag.LagBytes, lag.RetainedBytes, lag.Active
		}
	}
	return map[string]any{"wal": out}
}

// redisLog sends go-redis's own messages (reconnect attempts during an
// outage) to Graft's structured log instead of plain text on stderr.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...), "type", "redis-log")
}
