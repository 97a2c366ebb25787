package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ActionAttempts counts the attempts of async action calls run through
// the Redis queue; its EventAttempt makes it the delivery.Observer of that
// queue's worker pool (a job's "trigger" is its action).
type ActionAttempts struct {
	attempts *prometheus.CounterVec
}

// NewActionAttempts registers graft_async_action_attempts_total.
func (m *Metrics) NewActionAttempts() *ActionAttempts {
	a := &ActionAttempts{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "graft_async_action_attempts_total",
		Help: "Attempts of async action calls by outcome: ok (output or final error recorded), retry (to be tried again), dead (retries exhausted).",
	}, []string{"action_name", "outcome"})}
	m.reg.MustRegister(a.attempts)
	return a
}

// EventAttempt counts one attempt of a call of action.
func (a *ActionAttempts) EventAttempt(action, outcome string, _ bool, _, _ time.Duration) {
	a.attempts.WithLabelValues(action, outcome).Inc()
}
