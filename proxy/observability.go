package proxy

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy/metrics"
	"github.com/graftql/graft/replication"
)

// newMetrics creates the metrics when HASURA_GRAPHQL_ENABLED_APIS has
// metrics (not by default, as Hasura); otherwise nothing is counted. It
// runs before the WAL reader starts, whose event deliveries it observes.
func (a *App) newMetrics() *metrics.Metrics {
	if !a.Config.EnabledAPIs["metrics"] {
		return nil
	}
	if a.Config.MetricsSecret == "" {
		a.Log.Warn("/v1/metrics is served without a secret: set HASURA_GRAPHQL_METRICS_SECRET")
	}
	return metrics.New(a.Config.MetricsSecret)
}

// addMetricSources lets the metrics read the pool, live queries,
// WebSockets, the WAL reader and the event queue when scraped.
func (a *App) addMetricSources(m *metrics.Metrics) {
	m.AddPool(a.Pool)
	m.AddLive(a.Engine.Live)
	m.AddSockets(a.Server)
	if a.wal != nil {
		m.AddWAL(walStats{a})
		if a.wal.queue != nil {
			m.AddEvents(eventStats{a})
		}
	}
	if a.actionQueue != nil {
		m.AddAsyncActions(actionStats{a})
	}
}

// webhookLogs gives the auth webhook and action handler calls the logger of
// their webhook-log lines when that type is enabled.
func (a *App) webhookLogs() {
	if !configs.LogTypeEnabled(a.Log, "webhook-log") {
		return
	}
	if a.Config.AuthHook != nil {
		a.Config.AuthHook.Log = a.Log
	}
	if a.Actions != nil {
		a.Actions.SetWebhookLog(a.Log)
	}
}

// observeEvents gives event deliveries their webhook-log logger (when
// that type is enabled) and the metrics' observer.
func (a *App) observeEvents(cfg *walConfig) {
	if configs.LogTypeEnabled(a.Log, "webhook-log") {
		cfg.WebhookLog = a.Log
	}
	if m := a.Server.Metrics; m != nil {
		cfg.Observer = m
	}
}

// defaultSourceName is the source_name label of the default database's
// figures, as Hasura names it.
const defaultSourceName = "default"

// walStats reads the default database's WAL reader and each added
// source's.
type walStats struct{ a *App }

func (s walStats) WALStats(ctx context.Context) (map[string]metrics.WALStats, error) {
	st, err := s.a.wal.stats(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]metrics.WALStats{defaultSourceName: st}
	for name, w := range s.a.addedWALs() {
		// An added source's database may be unreachable: its reader's
		// state is still known, its figures are left out.
		st, _ := w.stats(ctx)
		out[name] = st
	}
	return out, nil
}

// addedWALs are the running WAL pipelines of added sources, by name.
func (a *App) addedWALs() map[string]*wal {
	if a.walSources == nil {
		return nil
	}
	if m := a.walSources.current.Load(); m != nil {
		return *m
	}
	return nil
}

func (w *wal) stats(ctx context.Context) (metrics.WALStats, error) {
	w.mu.Lock()
	stream, running := w.stream, w.running
	w.mu.Unlock()
	st := metrics.WALStats{Running: running}
	if !running {
		return st, nil
	}
	lag, err := stream.Lag(ctx)
	if errors.Is(err, replication.ErrNoSlot) {
		return st, nil // a standby, or an added source before its first trigger, on temporary slots has none
	}
	if err != nil {
		return st, err
	}
	st.HasLag, st.LagBytes, st.Retained = true, lag.LagBytes, lag.RetainedBytes
	return st, nil
}

// eventStats reads the event queues of the default database and of each
// added source with event triggers.
type eventStats struct{ a *App }

func (s eventStats) SourceQueueStats(ctx context.Context) (map[string]metrics.QueueStats, error) {
	out := map[string]metrics.QueueStats{}
	pending, dead, err := s.a.wal.queue.Depth(ctx)
	if err != nil {
		return nil, err
	}
	out[defaultSourceName] = metrics.QueueStats{Pending: pending, Dead: dead}
	for name, w := range s.a.addedWALs() {
		if w.queue == nil {
			continue
		}
		pending, dead, err := w.queue.Depth(ctx)
		if err != nil {
			return nil, err
		}
		out[name] = metrics.QueueStats{Pending: pending, Dead: dead}
	}
	return out, nil
}

func (s eventStats) BusyWorkers() int {
	n := 0
	for _, w := range append([]*wal{s.a.wal}, slices.Collect(maps.Values(s.a.addedWALs()))...) {
		if w.workers != nil {
			n += w.workers.BusyWorkers()
		}
	}
	return n
}
