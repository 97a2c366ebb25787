package graphql

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ExplainRequest is /v1/graphql/explain's body.
type ExplainRequest struct {
	Query Request           `json:"query"`
	User  map[string]string `json:"user"`
}

// ExplainedField is one root field's SQL and Postgres plan.
type ExplainedField struct {
	Field string   `json:"field"`
	SQL   string   `json:"sql"`
	Plan  []string `json:"plan"`
}

// Explain compiles a request without running it and returns each root
// field's SQL with its EXPLAIN output.
func (e *Engine) Explain(ctx context.Context, sess Session, req *Request) ([]ExplainedField, []byte) {
	stmts, errBody := e.Compile(ctx, sess, req)
	if errBody != nil {
		return nil, errBody
	}
	out := []ExplainedField{}
	for _, st := range stmts {
		pool, err := e.poolFor(ctx, st.Source)
		if err != nil {
			return nil, errorBody(err)
		}
		rows, err := pool.Query(ctx, "EXPLAIN "+st.SQL, st.Args...)
		if err != nil {
			return nil, errorBody(dbError(err))
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, errorBody(dbError(err))
		}
		out = append(out, ExplainedField{Field: st.Field, SQL: st.SQL, Plan: lines})
	}
	return out, nil
}
