package graphql

import (
	"context"
)

// Running requests with remote relationships: queries (runJoined) and
// mutations, whose joins run after the commit (takeJoins).

// runJoined runs the statements of a request with remote relationships:
// their values are copied out of Postgres's buffers (the joins rewrite
// them), then each root field's joins are stitched in.
func (e *Engine) runJoined(ctx context.Context, fields []plannedField) Result {
	results := make([][]byte, len(fields))
	// One statement at a time, each on its field's source: a request
	// with remote joins waits for remote calls anyway.
	for i, f := range fields {
		if f.sql == "" {
			continue
		}
		pool, err := e.poolFor(ctx, f.source)
		if err != nil {
			return Result{Body: errorBody(err)}
		}
		if err := pool.QueryRow(ctx, f.sql, f.args...).Scan(&results[i]); err != nil {
			return Result{Body: errorBody(dbError(err))}
		}
	}
	// A failing join nulls its own field only (partial.go).
	var fails []fieldFailure
	for i, f := range fields {
		v, failed, err := e.applyJoinsPartial(ctx, f.key, results[i], f.joins)
		if err != nil {
			return Result{Body: sourceErrorBody(err)}
		}
		results[i], fails = v, append(fails, failed...)
	}
	return Result{Body: partialBody(fields, results, fails)}
}

// takeJoins returns the remote joins the compilers of the current
// mutation root field left in its returning output, and starts afresh
// for the next field. They run once the transaction committed, as a
// query's do: the remote sees committed rows.
func (m *mutator) takeJoins() []*remoteJoin {
	var out []*remoteJoin
	for _, c := range m.compilers {
		out = append(out, c.joins...)
	}
	m.compilers = m.compilers[:0]
	return out
}
