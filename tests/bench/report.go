package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/graftql/graft/graphql"
)

// targetP50Ratio is the goal at concurrency 1: Graft's median latency at
// most this many times the floor's.
const targetP50Ratio = 1.3

// row is one query at one concurrency, measured both ways.
type row struct {
	query        string
	concurrency  int
	graft, floor stats
}

// p50Ratio is graft/floor median latency: 1.0 means Graft adds nothing.
func (r row) p50Ratio() float64 { return float64(r.graft.p50) / float64(r.floor.p50) }

// rpsRatio is floor/graft throughput: how many times more requests per
// second the bare SQL sustains.
func (r row) rpsRatio() float64 { return r.floor.rps() / r.graft.rps() }

func printTable(out io.Writer, rows []row) {
	fmt.Fprintf(out, "(graft and floor alternate in %d rounds)\n", alternatingRounds)
	printRows(out, "query", rows)
}

// printTarget gives the verdict at concurrency 1 with what bounds it: the
// bare HTTP handler running the same statement (the HTTP+SQL floor) shows
// how much of the ratio any HTTP server in front of the SQL costs here, and
// Graft minus that floor is what Graft itself adds.
func printTarget(out io.Writer, rows []row, ps []parts) {
	fmt.Fprintf(out, "\ntarget: p50 <= %.1fx floor at concurrency 1\n", targetP50Ratio)
	for _, r := range rows {
		if r.concurrency != 1 {
			continue
		}
		verdict := "met"
		if r.p50Ratio() > targetP50Ratio {
			verdict = "MISSED"
		}
		fmt.Fprintf(out, "  %-30s p50 %.2fx floor (+%s per request): %s\n",
			r.query, r.p50Ratio(), ms(r.graft.p50-r.floor.p50), verdict)
		for _, p := range ps {
			if p.query != r.query {
				continue
			}
			fmt.Fprintf(out, "  %-30s   breakdown: HTTP+SQL floor %.2fx floor; graft %.2fx floor, %.2fx the HTTP+SQL floor (%+.3fms)\n",
				"", float64(p.httpSQL)/float64(p.floor), float64(p.graft)/float64(p.floor),
				float64(p.graft)/float64(p.httpSQL), float64(p.graft-p.httpSQL)/float64(time.Millisecond))
		}
	}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }

// typenameBody is a GraphQL request that runs no SQL: its latency is the
// HTTP round trip plus Graft's fixed per-request work.
var typenameBody = []byte(`{"query":"{ __typename }"}`)

// parts is where one query's time goes at concurrency 1 (medians).
type parts struct {
	query   string
	compile time.Duration // Engine.Compile alone (parse cached, variables, SQL)
	engine  time.Duration // Engine.ExecuteBody in-process: compile + pgx + response, no HTTP
	floor   time.Duration
	httpSQL time.Duration // the HTTP floor: a bare net/http handler running the same statement
	graft   time.Duration
}

// breakdown measures, at concurrency 1, the pieces of Graft's latency for
// each workload and the HTTP baseline, so the table's ratios can be read:
// the HTTP floor is what any HTTP server in front of the same SQL costs, so
// graft minus the HTTP floor is what the GraphQL engine itself adds. With
// rounds > 1 every piece of every workload alternates (measureSides), so
// that the workloads' pieces can be compared with each other too.
func breakdown(ctx context.Context, env *benchEnv, ws []*workload, n, warmup, rounds int) (httpBase time.Duration, out []parts, err error) {
	typename := func(ctx context.Context, _ int) error { return env.client.post(ctx, typenameBody, nil) }
	if httpBase, err = p50Of(ctx, n, warmup, typename); err != nil {
		return 0, nil, fmt.Errorf("http baseline: %w", err)
	}
	all := make([][]graphql.Statement, len(ws))
	for k, w := range ws {
		all[k] = w.stmts
	}
	env.httpFloor.stmts.Store(&all)
	var sides []side
	for k, w := range ws {
		compile := func(ctx context.Context, i int) error {
			if _, errBody := env.app.Engine.Compile(ctx, w.sessions[i], &w.reqs[i]); errBody != nil {
				return fmt.Errorf("%s", errBody)
			}
			return nil
		}
		engine := func(ctx context.Context, i int) error {
			res := env.app.Engine.ExecuteBody(ctx, w.sessions[i], w.bodies[i])
			if len(res.Body) < 7 || string(res.Body[:7]) != `{"data"` {
				return fmt.Errorf("%.300s", res.Body)
			}
			return nil
		}
		floor := func(ctx context.Context, i int) error { return env.floorQuery(ctx, w.stmts[i]) }
		httpURLs, err := env.httpFloor.urls(k, len(w.stmts))
		if err != nil {
			return 0, nil, err
		}
		httpSQL := func(ctx context.Context, i int) error {
			return env.client.exchange(ctx, httpURLs[i], w.bodies[i], w.headers[i], nil)
		}
		graft := func(ctx context.Context, i int) error { return w.post(ctx, env, i) }
		sides = append(sides, side{w.q.name + " compile", compile}, side{w.q.name + " engine", engine},
			side{w.q.name + " floor", floor}, side{w.q.name + " HTTP+SQL floor", httpSQL}, side{w.q.name + " graft", graft})
	}
	st, err := measureSides(ctx, 1, n, warmup, rounds, sides, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, w := range ws {
		p := st[5*k:]
		out = append(out, parts{query: w.q.name, compile: p[0].p50, engine: p[1].p50, floor: p[2].p50, httpSQL: p[3].p50, graft: p[4].p50})
	}
	return httpBase, out, nil
}

func p50Of(ctx context.Context, n, warmup int, do func(context.Context, int) error) (time.Duration, error) {
	if _, err := runLoad(ctx, warmup, 1, 0, do); err != nil {
		return 0, err
	}
	s, err := runLoad(ctx, n, 1, warmup, do)
	return s.p50, err
}

func printBreakdown(out io.Writer, httpBase time.Duration, ps []parts) {
	fmt.Fprintf(out, "\nwhere the time goes at c=1 (p50, measured again, one piece at a time):\n")
	fmt.Fprintf(out, "  HTTP baseline, POST /v1/graphql { __typename } (no SQL): %s\n", ms(httpBase))
	fmt.Fprintf(out, "  compile = Engine.Compile; engine = Engine.ExecuteBody in-process; HTTP+SQL floor = a bare\n")
	fmt.Fprintf(out, "  net/http handler running the same statement with QueryRow (what any HTTP server adds here)\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\tcompile\tengine, no HTTP\tfloor\tHTTP+SQL floor\tgraft\tgraft - floor\tgraft - HTTP+SQL floor\t")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.query, ms(p.compile), ms(p.engine), ms(p.floor),
			ms(p.httpSQL), ms(p.graft), ms(p.graft-p.floor), ms(p.graft-p.httpSQL))
	}
	tw.Flush()
}
