package graphql

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// run executes the statements in one round trip and writes the response
// from Postgres's JSON bytes without re-encoding them.
func (e *Engine) run(ctx context.Context, fields []plannedField) Result {
	if len(fields) == 1 && fields[0].exec != nil {
		return fields[0].exec(ctx)
	}
	if hasJoins(fields) {
		return e.runJoined(ctx, fields)
	}
	sqlFields, last := 0, -1
	source, mixed := "", false
	for i, f := range fields {
		if f.sql != "" {
			sqlFields, last = sqlFields+1, i
			if sqlFields == 1 {
				source = f.source
			} else if !sameSource(source, f.source) {
				mixed = true
			}
		}
	}
	if mixed {
		return e.runMixed(ctx, fields)
	}
	pool, err := e.poolFor(ctx, source)
	if err != nil {
		return Result{Body: errorBody(err)}
	}
	var small [4][]byte
	results := small[:0]
	if len(fields) > len(small) {
		results = make([][]byte, 0, len(fields))
	}
	results = results[:len(fields)]
	switch {
	case sqlFields == 1:
		return runOne(ctx, pool, fields, last, results)
	case sqlFields > 1:
		batch := &pgx.Batch{}
		for _, f := range fields {
			if f.sql != "" {
				batch.Queue(f.sql, f.args...)
			}
		}
		br := pool.SendBatch(ctx, batch)
		for i, f := range fields {
			if f.sql == "" {
				continue
			}
			var b []byte // not &results[i]: that would move results to the heap
			if err := br.QueryRow().Scan(&b); err != nil {
				br.Close()
				return Result{Body: errorBody(dbError(err))}
			}
			results[i] = b
		}
		if err := br.Close(); err != nil {
			return Result{Body: errorBody(dbError(err))}
		}
	}
	return Result{Body: dataBody(fields, results)}
}

// runOne runs the one statement, fields[i], as QueryRow would, but writes
// the response straight from the row's bytes instead of a copy of them.
func runOne(ctx context.Context, pool *pgxpool.Pool, fields []plannedField, i int, results [][]byte) Result {
	rows, err := pool.Query(ctx, fields[i].sql, fields[i].args...)
	if err != nil {
		return Result{Body: errorBody(dbError(err))}
	}
	defer rows.Close()
	if !rows.Next() {
		rows.Close()
		if err := rows.Err(); err != nil {
			return Result{Body: errorBody(dbError(err))}
		}
		return Result{Body: errorBody(dbError(pgx.ErrNoRows))}
	}
	if fd := rows.FieldDescriptions(); len(fd) == 1 && fd[0].Format == pgx.TextFormatCode {
		results[i] = rows.RawValues()[0] // valid until Close: used just below
	} else {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return Result{Body: errorBody(dbError(err))}
		}
		results[i] = b
	}
	body := dataBody(fields, results)
	rows.Close()
	if err := rows.Err(); err != nil {
		return Result{Body: errorBody(dbError(err))}
	}
	return Result{Body: body}
}

// dataBody is {"data":{...}}: each field's static value or statement
// result (null when the statement returned NULL), in field order.
func dataBody(fields []plannedField, results [][]byte) []byte {
	n := len(`{"data":{}}`)
	for i, f := range fields {
		n += len(f.key) + len(`"":,`) + max(len(f.static), len(results[i]), len("null"))
	}
	buf := make([]byte, 0, n)
	buf = append(buf, `{"data":{`...)
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		// A response key is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): it
		// needs quotes, never escapes.
		buf = append(buf, '"')
		buf = append(buf, f.key...)
		buf = append(buf, '"', ':')
		switch {
		case f.static != nil:
			buf = append(buf, f.static...)
		case results[i] == nil:
			buf = append(buf, "null"...)
		default:
			buf = append(buf, results[i]...)
		}
	}
	return append(buf, "}}"...)
}
