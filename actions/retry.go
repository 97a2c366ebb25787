package actions

import "time"

// Retry policy of async calls run through the Redis queue (async_queue.go).
//
// Hasura calls an async action's handler once. Graft retries what may
// succeed next time, and only that:
//
//   - retried: no answer at all (the handler unreachable, the connection
//     reset, the action's timeout passed: Hasura's "Response timeout") and
//     a 5xx answer;
//   - final at once, recorded as Hasura records it: a 4xx (the handler's
//     own error), a 2xx that is not JSON, does not fit the output type or
//     fails the response transform, a body over the size cap, a request
//     that cannot be built (template, transform, URL);
//   - after RetryPolicy.Retries retries the call is dead-lettered: its
//     errors show the last error, the action log row has dead_lettered_at
//     set, and the queue's dead-letter stream (counted in the metrics)
//     holds it.
//
// Retry n (1, 2, ...) waits Interval * 2^(n-1), at most maxRetryDelay.
// The policy is Graft's own, from the environment
// (GRAFT_ASYNC_ACTION_RETRIES, GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS),
// not from the action's definition: Hasura's definition has no retry
// settings, and a key of Graft's own there would not survive a round trip
// through Hasura's metadata tooling. Retrying is an operator's choice, like
// the event trigger pool's size. Each claim counts as an attempt, so a call
// whose process dies while it runs is retried within the same budget.

// RetryPolicy says how often and when an async call is tried again.
type RetryPolicy struct {
	Retries  int           // retries after the first attempt; 0: one attempt, as Hasura
	Interval time.Duration // before the first retry; doubled for each next one
}

// DefaultRetryPolicy is GRAFT_ASYNC_ACTION_RETRIES and
// GRAFT_ASYNC_ACTION_RETRY_INTERVAL_SECONDS unset.
var DefaultRetryPolicy = RetryPolicy{Retries: 3, Interval: 10 * time.Second}

// maxRetryDelay caps the doubling.
const maxRetryDelay = 15 * time.Minute

// delay is the wait before the retry that follows attempt n (1-based).
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.Interval
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// exhausted reports that attempt n (1-based) was the last one allowed.
func (p RetryPolicy) exhausted(n int) bool { return n > p.Retries }
