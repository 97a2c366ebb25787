package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/graftql/graft/tests/bench/benchkit"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graftql/graft/graphql"
)

// workload is a query's requests, prepared before any timing: the HTTP
// body of request i, the session it runs as (and the headers that give it)
// and the statement Graft compiles for it.
type workload struct {
	q        benchQuery
	bodies   [][]byte
	reqs     []graphql.Request
	sessions []graphql.Session
	headers  []http.Header // everything request i sends: admin secret, role, session variables
	stmts    []graphql.Statement
}

// post sends request i to Graft over HTTP as its session.
func (w *workload) post(ctx context.Context, env *benchEnv, i int) error {
	return env.client.post(ctx, w.bodies[i], w.headers[i])
}

// prepare builds n requests of q and compiles each with Graft's engine, for
// the request's session, so the floor runs exactly the SQL and bind
// arguments Graft runs.
func prepare(ctx context.Context, env *benchEnv, q benchQuery, n int) (*workload, error) {
	w := &workload{q: q, bodies: make([][]byte, n), reqs: make([]graphql.Request, n),
		sessions: make([]graphql.Session, n), headers: make([]http.Header, n), stmts: make([]graphql.Statement, n)}
	for i := range n {
		vars, err := json.Marshal(q.vars(i))
		if err != nil {
			return nil, err
		}
		w.reqs[i] = graphql.Request{Query: q.text, Variables: vars}
		if w.bodies[i], err = json.Marshal(w.reqs[i]); err != nil {
			return nil, err
		}
		w.sessions[i] = adminSession
		if q.session != nil {
			w.sessions[i] = q.session(i)
		}
		w.headers[i] = env.client.headerWith(sessionHeaders(w.sessions[i]))
		stmts, errBody := env.app.Engine.Compile(ctx, w.sessions[i], &w.reqs[i])
		if errBody != nil {
			return nil, fmt.Errorf("compile: %s", errBody)
		}
		if len(stmts) != 1 {
			return nil, fmt.Errorf("compiled to %d statements, want 1", len(stmts))
		}
		w.stmts[i] = stmts[0]
	}
	return w, nil
}

// verify checks, on the first n requests, that Graft's response is exactly
// {"data":{"<field>": <the floor's JSON>}}: both sides compute the same thing.
func (w *workload) verify(ctx context.Context, env *benchEnv, n int) error {
	for i := range min(n, len(w.bodies)) {
		got, err := env.client.send(ctx, env.client.url, w.bodies[i], w.headers[i])
		if err != nil {
			return fmt.Errorf("graft request %d: %w", i, err)
		}
		floor, err := env.floorJSON(ctx, w.stmts[i])
		if err != nil {
			return fmt.Errorf("floor request %d: %w", i, err)
		}
		key, _ := json.Marshal(w.q.field)
		want := append(append(append([]byte(`{"data":{`), key...), ':'), floor...)
		want = append(want, "}}"...)
		if !bytes.Equal(got, want) {
			return fmt.Errorf("request %d: graft answered\n  %.300s\nbut the floor's SQL gives\n  %.300s", i, got, want)
		}
	}
	return nil
}

// stats summarise one measured run.
type stats struct {
	n        int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (s stats) rps() float64 { return float64(s.n) / s.elapsed.Seconds() }

// runLoad calls do for request indexes offset..offset+n-1 from c workers,
// timing each call. It stops at the first error.
func runLoad(ctx context.Context, n, c, offset int, do func(context.Context, int) error) (stats, error) {
	lat, elapsed, err := runLoadLat(ctx, n, c, offset, do)
	if err != nil || n <= 0 {
		return stats{}, err
	}
	return summarize(lat, elapsed), nil
}

// summarize sorts latencies in place and returns their stats.
func summarize(lat []time.Duration, elapsed time.Duration) stats {
	slices.Sort(lat)
	return stats{n: len(lat), elapsed: elapsed, p50: benchkit.Percentile(lat, 0.50), p99: benchkit.Percentile(lat, 0.99)}
}

// runLoadLat is runLoad returning each call's latency, unsorted, and the
// time the whole run took.
func runLoadLat(ctx context.Context, n, c, offset int, do func(context.Context, int) error) ([]time.Duration, time.Duration, error) {
	if n <= 0 {
		return nil, 0, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var errOnce sync.Once
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := do(ctx, offset+i)
				lat[i] = time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, errors.New("interrupted")
	}
	return lat, elapsed, nil
}
