package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// latencyResult is section (a): commit -> client.
type latencyResult struct {
	writes, pushes, superseded int
	p50, p90, p99, max         time.Duration
	statements                 int64 // Graft's live-query statements during the writes
	refetches                  float64
}

// arrival is one pushed value and when its client read it.
type arrival struct {
	v  int64
	at time.Duration // since the section's start
}

// runLatency holds n subscribers on item 1..n. A writer updates random rows
// with plain SQL at rate per second for d, each to a new value (a sequence
// number), and notes the time just after COMMIT returned; each client notes
// when the value arrived. The clients stay open for the idle section.
func runLatency(ctx context.Context, env *benchEnv, clients []*subClient, rate int, d time.Duration) (latencyResult, error) {
	var res latencyResult
	t0 := time.Now()
	n := len(clients)
	total := int(float64(rate)*d.Seconds()) + 1
	commits := make([]atomic.Int64, total+1) // by value: since t0, 0 = not yet
	seen := make([]atomic.Int64, n+1)        // by row: the last value pushed
	var mu sync.Mutex
	var arrivals []arrival
	// The readers end when the clients are closed, after the idle section.
	for _, c := range clients {
		go c.read(func(msg []byte, at time.Time) {
			v, ok := fieldInt(msg, "v")
			if !ok {
				return
			}
			seen[c.id].Store(v)
			mu.Lock()
			arrivals = append(arrivals, arrival{v: v, at: at.Sub(t0)})
			mu.Unlock()
		})
	}

	conn, err := env.pool.Acquire(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Release()
	last := make(map[int]int64) // row -> the last value written
	stmts0 := env.app.Engine.Live.Statements()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	rng := rand.New(rand.NewPCG(1, 2))
	for v := int64(1); v <= int64(total-1); v++ {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		id := 1 + rng.IntN(n)
		if _, err := conn.Exec(ctx, "UPDATE item SET v = $1 WHERE id = $2", v, id); err != nil {
			return res, fmt.Errorf("write: %w", err)
		}
		commits[v].Store(int64(time.Since(t0)))
		last[id] = v
		res.writes++
	}
	// Every row's last value must arrive; earlier values of a row written
	// twice within one refetch are superseded, never pushed.
	deadline := time.Now().Add(15 * time.Second)
	for {
		missing := 0
		for id, v := range last {
			if seen[id].Load() < v {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("%d rows' last values never arrived within 15 s of the last write", missing)
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.statements = env.app.Engine.Live.Statements() - stmts0
	mu.Lock()
	defer mu.Unlock()
	var lats []time.Duration
	for _, a := range arrivals {
		if a.v <= 0 || int(a.v) >= len(commits) {
			continue
		}
		lat := max(0, a.at-time.Duration(commits[a.v].Load()))
		lats = append(lats, lat)
	}
	res.pushes = len(lats)
	res.superseded = res.writes - res.pushes
	if len(lats) == 0 {
		return res, fmt.Errorf("no pushes arrived")
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
	res.p50, res.p90, res.p99, res.max = pct(0.50), pct(0.90), pct(0.99), lats[len(lats)-1]
	return res, nil
}

// idleResult is section (b): what runs while nothing is written.
type idleResult struct {
	window     time.Duration
	live       int64 // Graft's live-query statement counter
	backends   int   // Graft's query backends that started a statement
	walPings   int   // the WAL leader's lock connection keep-alives
	xactCommit int64 // pg_stat_database, less this program's own readings
}

// runIdle waits settle (PostgreSQL flushes a backend's counters up to 10 s
// after its last transaction), then watches window with no writes. Each
// reading is made on a connection of its own, closed at once (a backend
// flushes its counters as it exits).
func runIdle(ctx context.Context, env *benchEnv, settle, window time.Duration) (idleResult, error) {
	res := idleResult{window: window}
	time.Sleep(settle)
	type backend struct {
		App   string    `json:"app"`
		Start time.Time `json:"start"`
	}
	read := func() (xact int64, backends map[string]backend, err error) {
		conn, err := pgx.Connect(ctx, env.dbURL)
		if err != nil {
			return 0, nil, err
		}
		defer conn.Close(ctx)
		var list []byte
		err = conn.QueryRow(ctx, `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
			coalesce(json_object_agg(pid, json_build_object('app', application_name, 'start', coalesce(query_start, 'epoch'))), '{}')
			FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&xact, &list)
		if err == nil {
			err = json.Unmarshal(list, &backends)
		}
		return xact, backends, err
	}
	x0, before, err := read()
	if err != nil {
		return res, err
	}
	live0 := env.app.Engine.Live.Statements()
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(window):
	}
	res.live = env.app.Engine.Live.Statements() - live0
	x1, after, err := read()
	if err != nil {
		return res, err
	}
	// A reading connection commits two transactions (its start-up's and its
	// query's): the first reading's two are in x1, the second's are not.
	res.xactCommit = x1 - x0 - 2
	for pid, b := range after {
		if old, ok := before[pid]; ok && old.Start.Equal(b.Start) {
			continue
		}
		if b.App == "graft_replication" {
			res.walPings++
		} else {
			res.backends++
		}
	}
	return res, nil
}
