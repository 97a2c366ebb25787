// Package metrics serves Graft's Prometheus metrics (/v1/metrics): Hasura's
// names where Hasura has such a metric, graft_ for Graft's own.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Operation types, the operation_type label of the GraphQL request metrics.
const (
	OpQuery = iota
	OpMutation
	OpSubscription
	OpUnknown
	numOps
)

var opNames = [numOps]string{"query", "mutation", "subscription", "unknown"}

// Hasura's buckets (seconds) for request and webhook times.
var (
	requestBuckets = []float64{0.01, 0.03, 0.1, 0.3, 1, 3, 10}
	eventBuckets   = []float64{0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100}
)

// Metrics is the registry of one server. The per-request methods only touch
// counters resolved in advance (atomic adds, no map lookup, no lock); the
// rest is read from its sources when Prometheus scrapes.
type Metrics struct {
	reg    *prometheus.Registry
	secret string

	// requests[op][0] succeeded, [op][1] failed.
	requests [numOps][2]prometheus.Counter
	// exec observes successful queries and mutations, as Hasura.
	exec     [OpMutation + 1]prometheus.Observer
	inflight atomic.Int64

	invocations *prometheus.CounterVec
	processed   *prometheus.CounterVec
	queueTime   *prometheus.HistogramVec
	webhookTime *prometheus.HistogramVec
	processTime *prometheus.HistogramVec
}

// New returns the metrics of one server; secret, when set, is the bearer
// token a scrape must send (HASURA_GRAPHQL_METRICS_SECRET).
func New(secret string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), secret: secret}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hasura_graphql_requests_total",
		Help: "Number of GraphQL requests received over HTTP.",
	}, []string{"operation_type", "response_status"})
	exec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hasura_graphql_execution_time_seconds",
		Help:    "Execution time of successful GraphQL queries and mutations over HTTP (wall clock, authentication to response).",
		Buckets: requestBuckets,
	}, []string{"operation_type"})
	for op := range numOps {
		m.requests[op][0] = requests.WithLabelValues(opNames[op], "success")
		m.requests[op][1] = requests.WithLabelValues(opNames[op], "failed")
	}
	for op := range m.exec {
		m.exec[op] = exec.WithLabelValues(opNames[op])
	}
	trigger := []string{"trigger_name", "source_name"}
	m.invocations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hasura_event_invocations_total",
		Help: "HTTP requests made to event trigger webhooks.",
	}, append([]string{"status"}, trigger...))
	m.processed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hasura_event_processed_total",
		Help: "Events finished: delivered (success) or dead-lettered (failed).",
	}, append([]string{"status"}, trigger...))
	m.queueTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hasura_event_queue_time_seconds",
		Help:    "Time from an event being due (created, or its retry time) to a worker picking it up.",
		Buckets: eventBuckets,
	}, trigger)
	m.webhookTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hasura_event_webhook_processing_time_seconds",
		Help:    "Time of an event webhook request, from sending it to its response.",
		Buckets: requestBuckets,
	}, trigger)
	m.processTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hasura_event_processing_time_seconds",
		Help:    "Time from an event being due (created, or its retry time) to the end of its webhook request.",
		Buckets: eventBuckets,
	}, trigger)
	m.reg.MustRegister(requests, exec, m.invocations, m.processed, m.queueTime, m.webhookTime, m.processTime,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hasura_http_connections",
			Help: "HTTP requests being served (WebSocket connections excluded).",
		}, func() float64 { return float64(m.inflight.Load()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' text format. With a secret,
// a scrape without "Authorization: Bearer <secret>" gets 401.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	want := []byte("Bearer " + m.secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.secret != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"path":"$","error":"invalid or missing metrics secret","code":"access-denied"}` + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// RequestStarted and RequestDone count the HTTP requests being served.
func (m *Metrics) RequestStarted() { m.inflight.Add(1) }

// RequestDone: see RequestStarted.
func (m *Metrics) RequestDone() { m.inflight.Add(-1) }

// GraphQL counts one GraphQL request over HTTP; op is one of the Op
// constants. The time of successful queries and mutations is observed too.
func (m *Metrics) GraphQL(op int, failed bool, took time.Duration) {
	if op < 0 || op >= numOps {
		op = OpUnknown
	}
	if failed {
		m.requests[op][1].Inc()
		return
	}
	m.requests[op][0].Inc()
	if op <= OpMutation {
		m.exec[op].Observe(took.Seconds())
	}
}

// EventAttempt records one delivery attempt of an event trigger: outcome
// ok, retry or dead; posted is false when no request was made (the event
// could not be rendered or its webhook resolved); queued is the wait from
// the event being due to the attempt, took the webhook request's time.
// delivery.Observer calls it.
func (m *Metrics) EventAttempt(trigger, outcome string, posted bool, queued, took time.Duration) {
	m.SourceEventAttempt(sourceName, trigger, outcome, posted, queued, took)
}

// SourceEventAttempt is EventAttempt for a trigger of the named source (an
// added source's triggers fire from its own WAL).
func (m *Metrics) SourceEventAttempt(source, trigger, outcome string, posted bool, queued, took time.Duration) {
	status := "success"
	if outcome != "ok" {
		status = "failed"
	}
	m.queueTime.WithLabelValues(trigger, source).Observe(queued.Seconds())
	if posted {
		m.invocations.WithLabelValues(status, trigger, source).Inc()
		m.webhookTime.WithLabelValues(trigger, source).Observe(took.Seconds())
	}
	if outcome != "retry" {
		m.processed.WithLabelValues(status, trigger, source).Inc()
		m.processTime.WithLabelValues(trigger, source).Observe((queued + took).Seconds())
	}
}

// sourceName is the source_name label of the default database, as
// Hasura's metadata calls it.
const sourceName = "default"
