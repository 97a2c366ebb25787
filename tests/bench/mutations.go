package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/graftql/graft/graphql"
)

// The mutation section inserts into bench_event through Graft over HTTP
// and, for the floor, runs the same INSERT straight through pgx in its own
// transaction (BEGIN; INSERT; COMMIT), as Graft runs each mutation. Graft's
// transaction also runs its session statement first (graftSessionSQL);
// the floor leaves it out, being the raw-SQL floor, and the breakdown
// measures it separately. The table is TRUNCATEd before every warm-up and
// every round (measureSides), so each side starts from the same empty table
// and the table never grows past one round's rows.

// bulkRows is the number of rows of one insert_bench_event request.
const bulkRows = 100

// graftSessionSQL is what Graft's mutation transaction runs before its
// first statement (graphql/mutation.go).
const graftSessionSQL = `SELECT set_config('hasura.user', $1, true), pg_logical_emit_message(true, $2, $3)`

// mutWorkload is a mutation's requests, prepared before any timing: the
// GraphQL body of request i, and the floor's INSERT and its arguments.
type mutWorkload struct {
	name   string
	want   string // Graft's response, compacted, starts so
	rows   int    // rows each request inserts
	bodies [][]byte
	sql    string // the floor's INSERT: one row RETURNING id, or a multi-VALUES INSERT
	args   [][]any
}

// eventKind and eventPayload are row r of request i: the same values through
// Graft and through the floor.
func eventKind(i, r int) string { return "kind-" + strconv.Itoa((i+r)%8) }

func eventPayload(i, r int) map[string]any {
	return map[string]any{"request": i, "row": r, "source": "bench", "tags": []any{"a", "b"}, "score": (i*31 + r) % 1000}
}

func prepareMutation(name string, rows, n int) (*mutWorkload, error) {
	w := &mutWorkload{name: name, rows: rows, bodies: make([][]byte, n), args: make([][]any, n)}
	var text string
	if rows == 1 {
		w.want = `{"data":{"insert_bench_event_one":{"id":`
		text = `mutation ($kind: String!, $payload: jsonb) { insert_bench_event_one(object: {kind: $kind, payload: $payload}) { id } }`
		w.sql = `INSERT INTO bench_event (kind, payload) VALUES ($1, $2) RETURNING id`
	} else {
		w.want = `{"data":{"insert_bench_event":{"affected_rows":` + strconv.Itoa(rows) + `}}}`
		text = `mutation ($objects: [bench_event_insert_input!]!) { insert_bench_event(objects: $objects) { affected_rows } }`
		values := make([]string, rows)
		for r := range rows {
			values[r] = fmt.Sprintf("($%d, $%d)", 2*r+1, 2*r+2)
		}
		w.sql = `INSERT INTO bench_event (kind, payload) VALUES ` + strings.Join(values, ", ")
	}
	for i := range n {
		objs := make([]any, rows)
		args := make([]any, 0, 2*rows)
		for r := range rows {
			payload, err := json.Marshal(eventPayload(i, r))
			if err != nil {
				return nil, err
			}
			objs[r] = map[string]any{"kind": eventKind(i, r), "payload": json.RawMessage(payload)}
			args = append(args, eventKind(i, r), string(payload))
		}
		vars := map[string]any{"objects": objs}
		if rows == 1 {
			vars = objs[0].(map[string]any)
		}
		body, err := json.Marshal(map[string]any{"query": text, "variables": vars})
		if err != nil {
			return nil, err
		}
		w.bodies[i], w.args[i] = body, args
	}
	return w, nil
}

// graft sends request i to Graft over HTTP and checks its answer.
func (w *mutWorkload) graft(ctx context.Context, env *benchEnv, i int) error {
	return env.client.exchange(ctx, env.client.url, w.bodies[i], nil, w.check)
}

// check compares an answer with want, ignoring JSON whitespace (Postgres's
// json_build_object writes "key" : value).
func (w *mutWorkload) check(b []byte) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return fmt.Errorf("answer is not JSON (%v): %.300s", err, b)
	}
	if !strings.HasPrefix(buf.String(), w.want) {
		return fmt.Errorf("answered %.300s, want %s...", b, w.want)
	}
	return nil
}

// engine runs request i in-process through Engine.ExecuteBody: Graft without HTTP.
func (w *mutWorkload) engine(ctx context.Context, env *benchEnv, i int) error {
	return w.check(env.app.Engine.ExecuteBody(ctx, adminSession, w.bodies[i]).Body)
}

// floor runs request i's INSERT in its own transaction through the floor's
// pool; withSession runs Graft's session statement first, as Graft does.
func (w *mutWorkload) floor(ctx context.Context, env *benchEnv, i int, withSession bool) error {
	tx, err := env.floor.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if withSession {
		if _, err := tx.Exec(ctx, graftSessionSQL, adminSessionJSON, graphql.WALMessagePrefix, adminSessionMessage); err != nil {
			return err
		}
	}
	if w.rows == 1 {
		var id int64
		if err := tx.QueryRow(ctx, w.sql, w.args[i]...).Scan(&id); err != nil {
			return err
		}
	} else {
		tag, err := tx.Exec(ctx, w.sql, w.args[i]...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(w.rows) {
			return fmt.Errorf("inserted %d rows, want %d", tag.RowsAffected(), w.rows)
		}
	}
	return tx.Commit(ctx)
}

// adminSessionJSON and adminSessionMessage are the arguments of Graft's
// session statement for an admin request.
var adminSessionJSON, adminSessionMessage = func() (string, string) {
	sess := adminSession.JSON()
	msg, err := json.Marshal(map[string]any{"session_variables": json.RawMessage(sess), "trace_context": nil})
	if err != nil {
		panic(err)
	}
	return sess, string(msg)
}()

// truncateEvents empties bench_event between runs.
func (e *benchEnv) truncateEvents(ctx context.Context) error {
	_, err := e.floor.Exec(ctx, "TRUNCATE bench_event RESTART IDENTITY")
	return err
}

// verify checks, on the first request, that Graft and the floor insert the
// same rows: after one of each, every (kind, payload) is there twice.
func (w *mutWorkload) verify(ctx context.Context, env *benchEnv) error {
	if err := env.truncateEvents(ctx); err != nil {
		return err
	}
	if err := w.graft(ctx, env, 0); err != nil {
		return err
	}
	if err := w.floor(ctx, env, 0, false); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	var total, distinct, pairs int
	err := env.floor.QueryRow(ctx, `SELECT count(*), count(DISTINCT (kind, payload)),
  (SELECT count(*) FROM (SELECT 1 FROM bench_event GROUP BY kind, payload HAVING count(*) = 2) p)
FROM bench_event`).Scan(&total, &distinct, &pairs)
	if err != nil {
		return err
	}
	if total != 2*w.rows || distinct != w.rows || pairs != w.rows {
		return fmt.Errorf("after one Graft and one floor request: %d rows, %d distinct, %d pairs; want %d, %d, %d",
			total, distinct, pairs, 2*w.rows, w.rows, w.rows)
	}
	return env.truncateEvents(ctx)
}

// mutParts is where one mutation's time goes at concurrency 1 (medians).
type mutParts struct {
	name         string
	engine       time.Duration // Engine.ExecuteBody in-process
	floor        time.Duration // BEGIN; INSERT; COMMIT
	floorSession time.Duration // BEGIN; Graft's session statement; INSERT; COMMIT
	graft        time.Duration
}

type mutResult struct {
	rows         []row
	parts        []mutParts
	single, bulk mutSizes
}

// mutSizes are a mutation's request counts.
type mutSizes struct{ serialN, parallelN, warmup int }

func runMutations(ctx context.Context, env *benchEnv, s settings) (*mutResult, error) {
	res := &mutResult{single: s.single, bulk: s.bulk}
	for _, m := range []struct {
		name string
		rows int
		sz   mutSizes
	}{
		{"insert_bench_event_one", 1, s.single},
		{"insert_bench_event " + strconv.Itoa(bulkRows) + " rows", bulkRows, s.bulk},
	} {
		w, err := prepareMutation(m.name, m.rows, max(m.sz.serialN, m.sz.parallelN)+m.sz.warmup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		if err := w.verify(ctx, env); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		graft := func(ctx context.Context, i int) error { return w.graft(ctx, env, i) }
		floor := func(ctx context.Context, i int) error { return w.floor(ctx, env, i, false) }
		for _, c := range concurrencies {
			n := m.sz.parallelN
			if c == 1 {
				n = m.sz.serialN
			}
			r, err := measurePair(ctx, m.name, c, n, m.sz.warmup, alternatingRounds, graft, floor, env.truncateEvents)
			if err != nil {
				return nil, fmt.Errorf("%s at concurrency %d: %w", m.name, c, err)
			}
			res.rows = append(res.rows, r)
			fmt.Fprintf(os.Stderr, "  done: %-28s c=%-2d graft p50 %s, floor p50 %s\n", m.name, c, ms(r.graft.p50), ms(r.floor.p50))
		}
		st, err := measureSides(ctx, 1, m.sz.serialN, m.sz.warmup, alternatingRounds, []side{
			{"floor", floor},
			{"floor+session", func(ctx context.Context, i int) error { return w.floor(ctx, env, i, true) }},
			{"engine", func(ctx context.Context, i int) error { return w.engine(ctx, env, i) }},
			{"graft", graft},
		}, env.truncateEvents)
		if err != nil {
			return nil, fmt.Errorf("%s breakdown: %w", m.name, err)
		}
		p := mutParts{name: m.name, floor: st[0].p50, floorSession: st[1].p50, engine: st[2].p50, graft: st[3].p50}
		res.parts = append(res.parts, p)
	}
	return res, env.truncateEvents(ctx)
}

func printMutations(out io.Writer, res *mutResult) {
	fmt.Fprintf(out, "\nmutations: insert into bench_event(id bigserial, kind text, payload jsonb, created_at default now());\n")
	fmt.Fprintf(out, "  graft = insert_bench_event_one(object) { id } / insert_bench_event(objects: %d) { affected_rows } over HTTP;\n", bulkRows)
	fmt.Fprintf(out, "  floor = the same INSERT through pgx in its own transaction: BEGIN; INSERT ... RETURNING id (one multi-VALUES\n")
	fmt.Fprintf(out, "  INSERT for %d rows); COMMIT. Graft's numbers include its per-transaction\n", bulkRows)
	fmt.Fprintf(out, "  SELECT set_config('hasura.user', ...), pg_logical_emit_message(...), which the floor leaves out;\n")
	fmt.Fprintf(out, "  graft and floor alternate in %d rounds, the table TRUNCATEd before each; requests: %d at c=1, %d at c>1\n",
		alternatingRounds, res.single.serialN, res.single.parallelN)
	fmt.Fprintf(out, "  (%d-row inserts: %d and %d), after %d (%d) warm-up requests each\n",
		bulkRows, res.bulk.serialN, res.bulk.parallelN, res.single.warmup, res.bulk.warmup)
	printRows(out, "mutation", res.rows)
	fmt.Fprintf(out, "\nwhere a mutation's time goes at c=1 (p50, measured again, the pieces alternating in %d rounds;\n", alternatingRounds)
	fmt.Fprintf(out, "  engine = Engine.ExecuteBody in-process; floor+session = the floor plus Graft's session statement, the same round trips as Graft):\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mutation\tfloor\tfloor+session\tengine, no HTTP\tgraft\tgraft - floor\tsession stmt\tengine - floor+session\tgraft - engine\t")
	for _, p := range res.parts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.name, ms(p.floor), ms(p.floorSession), ms(p.engine), ms(p.graft),
			ms(p.graft-p.floor), ms(p.floorSession-p.floor), ms(p.engine-p.floorSession), ms(p.graft-p.engine))
	}
	tw.Flush()
}
