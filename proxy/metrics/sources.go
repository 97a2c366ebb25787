package metrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds what one scrape asks of Postgres and Redis: a slow
// dependency must not hold Prometheus until its own timeout.
const scrapeTimeout = 5 * time.Second

// Pool is the PostgreSQL pool (a *pgxpool.Pool).
type Pool interface{ Stat() *pgxpool.Stat }

// Live is the live-query manager (a *graphql.Live).
type Live interface {
	Cohorts() int
	Statements() int64
}

// Sockets counts the open WebSocket connections and their running
// subscriptions.
type Sockets interface {
	SocketStats() (connections, subscriptions int)
}

// WALStats is the WAL reader's state; the byte counts are known only while
// it runs and has a slot of its own.
type WALStats struct {
	Running            bool
	HasLag             bool
	LagBytes, Retained int64
}

// WAL reports the WAL readers: the default database's and each added
// source's, by source name. An added source whose figures cannot be read
// is reported with what is known (its database may be down: that must
// not fail the scrape); the default database's error fails it, as before.
type WAL interface {
	WALStats(ctx context.Context) (map[string]WALStats, error)
}

// QueueStats is the event queue in Redis.
type QueueStats struct {
	Pending int64            // events waiting for delivery or a retry, all triggers
	Dead    map[string]int64 // dead-lettered events kept, by trigger
}

// Events reports the event queue and this process's webhook workers.
type Events interface {
	QueueStats(ctx context.Context) (QueueStats, error)
	BusyWorkers() int
}

// SourceEvents reports the event queues of the default database and of
// each added source, by source name, and the webhook workers of all.
type SourceEvents interface {
	SourceQueueStats(ctx context.Context) (map[string]QueueStats, error)
	BusyWorkers() int
}

// AddPool exports the pool as hasura_postgres_connections and graft_
// details.
func (m *Metrics) AddPool(p Pool) {
	labels := prometheus.Labels{"source_name": sourceName, "role": "primary"}
	gauge := func(name, help string, f func(*pgxpool.Stat) int32) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f(p.Stat())) })
	}
	m.reg.MustRegister(
		gauge("hasura_postgres_connections", "Open PostgreSQL connections of the pool.", (*pgxpool.Stat).TotalConns),
		gauge("graft_postgres_connections_acquired", "PostgreSQL connections in use.", (*pgxpool.Stat).AcquiredConns),
		gauge("graft_postgres_connections_max", "Size of the PostgreSQL pool (HASURA_GRAPHQL_PG_CONNECTIONS).", (*pgxpool.Stat).MaxConns))
}

// AddLive exports live-query cohorts and refetch statements.
func (m *Metrics) AddLive(l Live) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "graft_live_query_cohorts",
			Help: "Distinct live queries running: identical subscriptions share one cohort."},
			func() float64 { return float64(l.Cohorts()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "graft_live_query_refetches_total",
			Help: "Statements run to refetch live queries (one may serve many cohorts)."},
			func() float64 { return float64(l.Statements()) }))
}

// AddSockets exports WebSocket connections and subscriptions.
func (m *Metrics) AddSockets(s Sockets) {
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{descWSConns, descSubs},
		collect: func(ch chan<- prometheus.Metric) {
			conns, subs := s.SocketStats()
			ch <- prometheus.MustNewConstMetric(descWSConns, prometheus.GaugeValue, float64(conns))
			ch <- prometheus.MustNewConstMetric(descSubs, prometheus.GaugeValue, float64(subs))
		}})
}

// AddWAL exports the WAL reader's state, lag and retained WAL.
func (m *Metrics) AddWAL(w WAL) {
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{descWALRunning, descWALLag, descWALRetained},
		collect: func(ch chan<- prometheus.Metric) {
			ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
			defer cancel()
			stats, err := w.WALStats(ctx)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(descWALLag, err)
				return
			}
			for source, st := range stats {
				ch <- prometheus.MustNewConstMetric(descWALRunning, prometheus.GaugeValue, boolValue(st.Running), source)
				if st.HasLag {
					ch <- prometheus.MustNewConstMetric(descWALLag, prometheus.GaugeValue, float64(st.LagBytes), source)
					ch <- prometheus.MustNewConstMetric(descWALRetained, prometheus.GaugeValue, float64(st.Retained), source)
				}
			}
		}})
}

// AddEvents exports the event queues, by source, and the busy webhook
// workers.
func (m *Metrics) AddEvents(e SourceEvents) {
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{descWorkers, descPending, descDead},
		collect: func(ch chan<- prometheus.Metric) {
			ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(e.BusyWorkers()))
			ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
			defer cancel()
			stats, err := e.SourceQueueStats(ctx)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(descPending, err)
				return
			}
			for source, st := range stats {
				ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending), source)
				for trigger, n := range st.Dead {
					ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(n), source, trigger)
				}
			}
		}})
}

// AddAsyncActions exports the async action queue: calls waiting for a
// worker or a retry, calls dead-lettered (retries exhausted) by action,
// and the calls under way in this process.
func (m *Metrics) AddAsyncActions(e Events) {
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{descActionWorkers, descActionPending, descActionDead},
		collect: func(ch chan<- prometheus.Metric) {
			ch <- prometheus.MustNewConstMetric(descActionWorkers, prometheus.GaugeValue, float64(e.BusyWorkers()))
			ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
			defer cancel()
			st, err := e.QueueStats(ctx)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(descActionPending, err)
				return
			}
			ch <- prometheus.MustNewConstMetric(descActionPending, prometheus.GaugeValue, float64(st.Pending))
			for action, n := range st.Dead {
				ch <- prometheus.MustNewConstMetric(descActionDead, prometheus.GaugeValue, float64(n), action)
			}
		}})
}

var (
	descActionWorkers = prometheus.NewDesc("graft_async_action_workers_busy",
		"Async action calls under way in this process.", nil, nil)
	descActionPending = prometheus.NewDesc("graft_async_action_queue_pending",
		"Async action calls in the Redis queue waiting for a worker or a retry, all processes.", nil, nil)
	descActionDead = prometheus.NewDesc("graft_async_action_dead_letters",
		"Async action calls dead-lettered (retries exhausted) kept in Redis, by action.", []string{"action_name"}, nil)
)

var (
	descWSConns = prometheus.NewDesc("hasura_websocket_connections", "Open WebSocket connections.", nil, nil)
	descSubs    = prometheus.NewDesc("hasura_active_subscriptions",
		"Subscriptions running over WebSocket connections (live queries and streams).", nil, nil)
	descWALRunning = prometheus.NewDesc("graft_wal_reader_running",
		"1 while this process reads the source's WAL (logical replication), else 0.", []string{"source_name"}, nil)
	descWALLag = prometheus.NewDesc("graft_wal_lag_bytes",
		"WAL written by the source's database and not yet confirmed by Graft's replication slot.", []string{"source_name"}, nil)
	descWALRetained = prometheus.NewDesc("graft_wal_retained_bytes",
		"WAL the source's database keeps for Graft's replication slot (restart_lsn to the current position).", []string{"source_name"}, nil)
	descWorkers = prometheus.NewDesc("hasura_event_trigger_http_workers",
		"Event trigger webhook requests under way in this process.", nil, nil)
	descPending = prometheus.NewDesc("graft_event_queue_pending",
		"Events in the source's Redis queue waiting for delivery or for a retry, all its triggers, all processes.", []string{"source_name"}, nil)
	descDead = prometheus.NewDesc("graft_event_dead_letters",
		"Dead-lettered events kept in Redis (retention and size capped, as invocation logs).", []string{"source_name", "trigger_name"}, nil)
)

// collector reads a source at scrape time.
type collector struct {
	descs   []*prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
