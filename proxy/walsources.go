package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/proxy/metrics"
	"github.com/graftql/graft/replication"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sourceWALs runs one WAL pipeline per added postgres source, as the
// default database's (events.go): its own publication and slot, named
// after the main ones and the source (temporary until the source has event
// triggers), its own event queue and workers in the shared Redis, and the
// shared live queries. Each follows the metadata: started when the source
// is added (or becomes reachable), stopped when it is dropped, renamed or
// inconsistent; a dropped or renamed source's slot and publication are
// dropped too, as they would retain WAL for nobody.
type sourceWALs struct {
	main     walConfig // the default database's: names, mode, pool size, observers
	app      *App
	mainPool *pgxpool.Pool // where the metadata lives (the leftover-slot check)

	mu      sync.Mutex // update and stop
	byName  map[string]*wal
	urls    map[string]string // each running pipeline's database URL
	stopped bool
	// current is byName as of the last update, for readers (requests
	// asking whether a source is served) that must not wait for a
	// pipeline being set up under mu.
	current atomic.Pointer[map[string]*wal]
}

func newSourceWALs(a *App, main walConfig) *sourceWALs {
	return &sourceWALs{main: main, app: a, mainPool: a.Pool, byName: map[string]*wal{}, urls: map[string]string{}}
}

// sourceSlotName names an added source's slot (or publication) after the
// main one: slot names are cluster-wide and hold [a-z0-9_] only, up to 63
// bytes, so other characters become '_' and a long or altered name ends in a
// hash of the source's name, keeping different sources apart.
func sourceSlotName(main, source string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(source) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := main + "_" + b.String()
	if b.String() != source || len(name) > 63 {
		sum := sha256.Sum256([]byte(source))
		suffix := "_" + hex.EncodeToString(sum[:4])
		name = name[:min(len(name), 63-len(suffix))] + suffix
	}
	return name
}

// update follows a new snapshot: pipelines of sources that left (or whose
// URL changed) stop, new ones start, the others take the new tables and
// triggers. Errors are logged per source: one source's database failing
// must not keep the others from being served.
func (sw *sourceWALs) update(ctx context.Context, snap *metadata.Snapshot) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	defer sw.publish()
	if sw.stopped || snap == nil {
		return
	}
	served := map[string]*metadata.Snapshot{}
	for _, sub := range snap.Sources {
		served[sub.SourceName] = sub
	}
	for name, w := range sw.byName {
		url, err := sw.app.Meta.SourceDatabaseURL(name)
		if served[name] != nil && err == nil && url == sw.urls[name] {
			continue
		}
		w.stop(ctx)
		delete(sw.byName, name)
		if snap.Metadata == nil || snap.Metadata.Source(name) == nil {
			// Dropped or renamed: nothing will read its slot again.
			sw.dropSlot(ctx, w)
		}
		delete(sw.urls, name)
	}
	for name, sub := range served {
		if w := sw.byName[name]; w != nil {
			if err := w.update(ctx, sub); err != nil {
				w.log.Error("applying metadata to the source's WAL reader failed", "error", err)
			}
			continue
		}
		if err := sw.startSource(ctx, name, sub); err != nil {
			sw.app.Log.Warn("the WAL reader of an added source cannot run: its subscriptions are refused and its event triggers get no events",
				"source", name, "reason", err)
		}
	}
}

// startSource starts the pipeline of one added source. sw.mu is held.
func (sw *sourceWALs) startSource(ctx context.Context, name string, sub *metadata.Snapshot) error {
	url, err := sw.app.Meta.SourceDatabaseURL(name)
	if err != nil {
		return err
	}
	cfg := sw.main
	cfg.DatabaseURL = url
	cfg.Slot, cfg.Publication = sourceSlotName(sw.main.Slot, name), sourceSlotName(sw.main.Publication, name)
	if m, ok := cfg.Observer.(*metrics.Metrics); ok {
		cfg.Observer = sourceObserver{m: m, source: name}
	}
	if cfg.Mode != "off" {
		// HASURA_GRAPHQL_WAL_MODE=always is about the default database;
		// an added source that cannot replicate is served without its WAL.
		cfg.Mode = "auto"
	}
	w := &wal{log: sw.app.Log.With("source", name), live: sw.app.Engine.Live, cfg: cfg, source: name}
	if sw.app.wal != nil {
		w.redis = sw.app.wal.redis // shared; closed by App.Stop
	}
	w.unused = func(ctx context.Context, _ *pgx.Conn) (bool, error) { return sw.noSourceTriggers(ctx, name) }
	sctx, cancel := context.WithTimeout(ctx, autoStartTimeout)
	defer cancel()
	if err := sw.readSystemID(sctx, url, &w.cfg.SystemID); err != nil {
		return err
	}
	if err := w.start(ctx, sub); err != nil {
		w.stop(ctx)
		return err
	}
	sw.byName[name], sw.urls[name] = w, url
	return nil
}

// readSystemID reads the source cluster's identifier: it scopes the
// source's event queue watermark as the default database's does.
func (sw *sourceWALs) readSystemID(ctx context.Context, url string, out *string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to the source's database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SELECT system_identifier::text FROM pg_control_system()").Scan(out); err != nil {
		return fmt.Errorf("read the source database's system identifier: %w", err)
	}
	return nil
}

// noSourceTriggers reads the stored metadata (in the default database, not
// the source's): no event trigger on the source's tables.
func (sw *sourceWALs) noSourceTriggers(ctx context.Context, source string) (bool, error) {
	md, err := storedMetadata(ctx, sw.mainPool)
	if md == nil || err != nil {
		return err == nil, err
	}
	src := md.Source(source)
	if src == nil {
		return true, nil
	}
	one := &metadata.Metadata{Sources: []metadata.Source{*src}}
	names, err := triggerNames(one)
	if err != nil {
		return false, fmt.Errorf("read the metadata: %w", err)
	}
	return len(names) == 0, nil
}

// dropSlot drops a stopped pipeline's persistent slot and its publication
// in the source's database, once the source left the metadata. A slot
// another process still streams is kept (that process stops on its own
// reload; the next start's leftover sweep finds it). sw.mu is held.
func (sw *sourceWALs) dropSlot(ctx context.Context, w *wal) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s, err := replication.New(replication.Config{ConnString: w.cfg.DatabaseURL, SlotName: w.cfg.Slot,
		PublicationName: w.cfg.Publication, Sink: w, Logger: w.log.With("type", "replication-log")})
	if err == nil {
		_, err = s.DropPersistentSlot(dctx, func(context.Context, *pgx.Conn) (bool, error) { return true, nil })
	}
	if err == nil {
		err = dropPublication(dctx, w.cfg.DatabaseURL, w.cfg.Publication)
	}
	w.archiveAll(dctx)
	if err != nil {
		w.log.Warn("cannot drop the replication slot or publication of a dropped source; drop them by hand", "slot", w.cfg.Slot,
			"publication", w.cfg.Publication, "error", err)
		return
	}
	w.log.Info("dropped the replication slot and publication of a dropped source", "slot", w.cfg.Slot, "publication", w.cfg.Publication)
}

func dropPublication(ctx context.Context, url, name string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to the source's database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("drop publication %s: %w", name, err)
	}
	return nil
}

// publish makes byName what readers see. sw.mu is held.
func (sw *sourceWALs) publish() {
	m := make(map[string]*wal, len(sw.byName))
	for name, w := range sw.byName {
		m[name] = w
	}
	sw.current.Store(&m)
}

// served says whether an added source's WAL is read (nil), else why not:
// Engine.LiveSources, which gates subscriptions on the source's fields.
func (sw *sourceWALs) served(source string) error {
	w := sw.get(source)
	if w == nil {
		return errors.New("its WAL reader could not start; see the server log")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.running:
		return nil
	case w.cfg.Mode == "off":
		return errors.New("HASURA_GRAPHQL_WAL_MODE is off")
	case w.reason != "":
		return errors.New(w.reason)
	}
	return errors.New("its WAL reader is not running")
}

// get returns the running pipeline of a source, or nil.
func (sw *sourceWALs) get(source string) *wal {
	if m := sw.current.Load(); m != nil {
		return (*m)[source]
	}
	return nil
}

// stop ends every source's pipeline (App.Stop); their slots are kept.
func (sw *sourceWALs) stop(ctx context.Context) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.stopped = true
	for name, w := range sw.byName {
		w.stop(ctx)
		delete(sw.byName, name)
	}
	sw.publish()
}

// walHealth is /healthz?detail's WAL part: the default database's reader,
// and under "sources" each added source's.
func (a *App) walHealth(ctx context.Context) map[string]any {
	out := a.wal.health(ctx)
	if a.walSources == nil {
		return out
	}
	m := a.walSources.current.Load()
	if m == nil || len(*m) == 0 {
		return out
	}
	sources := map[string]any{}
	for name, w := range *m {
		sources[name] = w.health(ctx)["wal"]
	}
	if wal, ok := out["wal"].(map[string]any); ok {
		wal["sources"] = sources
	}
	return out
}

// archiveAll archives the pending events of a dropped source's triggers,
// as a deleted trigger's are (archiveDeleted): nothing reads its queue
// any more.
func (w *wal) archiveAll(ctx context.Context) {
	m := w.triggers.Load()
	if m == nil || w.queue == nil {
		return
	}
	for _, trs := range *m {
		for _, t := range trs {
			n, err := w.queue.Archive(ctx, t.Name)
			if err != nil {
				w.log.Error("archiving a dropped source's pending events failed", "trigger", t.Name, "error", err)
				continue
			}
			if n > 0 {
				w.log.Info("source dropped: pending events archived", "trigger", t.Name, "events", n)
			}
		}
	}
}

// sourceObserver labels an added source's event deliveries with its name.
type sourceObserver struct {
	m      *metrics.Metrics
	source string
}

func (o sourceObserver) EventAttempt(trigger, outcome string, posted bool, queued, took time.Duration) {
	o.m.SourceEventAttempt(o.source, trigger, outcome, posted, queued, took)
}
