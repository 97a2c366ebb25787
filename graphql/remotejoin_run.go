package graphql

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Running requests with remote relationships: queries (runJoined) and
// mutations, whose joins run after the commit (takeJoins).

// runJoined runs the statements of a request with remote relationships:
// their values are copied out of Postgres's buffers (the joins rewrite
// them), then each root field's joins are stitched in.
func (e *Engine) runJoined(ctx context.Context, fields []plannedField) Result {
	results := make([][]byte, len(fields))
	batch := &pgx.Batch{}
	for _, f := range fields {
		if f.sql != "" {
			batch.Queue(f.sql, f.args...)
		}
	}
	br := e.pool.SendBatch(ctx, batch)
	for i, f := range fields {
		if f.sql == "" {
			continue
		}
		if err := br.QueryRow().Scan(&results[i]); err != nil {
			br.Close()
			return Result{Body: errorBody(dbError(err))}
		}
	}
	if err := br.Close(); err != nil {
		return Result{Body: errorBody(dbError(err))}
	}
	for i, f := range fields {
		v, err := e.applyJoins(ctx, results[i], f.joins, 0)
		if err != nil {
			return Result{Body: sourceErrorBody(err)}
		}
		results[i] = v
	}
	return Result{Body: dataBody(fields, results)}
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
