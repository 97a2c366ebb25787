package graphql

import (
	"context"
	"encoding/json"

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
	rs, err := e.roleSchema(sess.Role)
	if err != nil {
		return nil, errorBody(err)
	}
	prep, err := e.prepare(rs, req)
	if err != nil {
		return nil, errorBody(err)
	}
	vars, err := coerceVariables(rs, prep, req.Variables)
	if err != nil {
		return nil, errorBody(err)
	}
	fields, err := plan(rs, prep, vars, sess)
	if err != nil {
		return nil, errorBody(err)
	}
	out := []ExplainedField{}
	for _, f := range fields {
		if f.sql == "" {
			continue
		}
		rows, err := e.pool.Query(ctx, "EXPLAIN "+f.sql, f.args...)
		if err != nil {
			return nil, errorBody(dbError(err))
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, errorBody(dbError(err))
		}
		out = append(out, ExplainedField{Field: f.key, SQL: f.sql, Plan: lines})
	}
	return out, nil
}

// compileForTest exposes SQL generation to golden tests.
func compileForTest(rs *roleSchema, query string, variables string, sess Session) ([]plannedField, error) {
	req := &Request{Query: query}
	if variables != "" {
		req.Variables = json.RawMessage(variables)
	}
	e := &Engine{}
	e.snap = rs.Snapshot
	e.plans = map[planKey]*preparedOp{}
	prep, err := e.prepare(rs, req)
	if err != nil {
		return nil, err
	}
	vars, err := coerceVariables(rs, prep, req.Variables)
	if err != nil {
		return nil, err
	}
	return plan(rs, prep, vars, sess)
}
