package proxy

import (
	"context"
	"errors"

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
		m.AddWAL(walStats{a.wal})
		if a.wal.queue != nil {
			m.AddEvents(eventStats{a.wal})
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

type walStats struct{ w *wal }

func (s walStats) WALStats(ctx context.Context) (metrics.WALStats, error) {
	w := s.w
	w.mu.Lock()
	stream, running := w.stream, w.running
	w.mu.Unlock()
	st := metrics.WALStats{Running: running}
	if !running {
		return st, nil
	}
	lag, err := stream.Lag(ctx)
	if errors.Is(err, replication.ErrNoSlot) {
		return st, nil // a standby on temporary slots has none
	}
	if err != nil {
		return st, err
	}
	st.HasLag, st.LagBytes, st.Retained = true, lag.LagBytes, lag.RetainedBytes
	return st, nil
}

type eventStats struct{ w *wal }

func (s eventStats) QueueStats(ctx context.Context) (metrics.QueueStats, error) {
	pending, dead, err := s.w.queue.Depth(ctx)
	return metrics.QueueStats{Pending: pending, Dead: dead}, err
}

func (s eventStats) BusyWorkers() int {
	if s.w.workers == nil {
		return 0
	}
	return s.w.workers.BusyWorkers()
}
