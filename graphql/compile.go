package graphql

import "context"

// Statement is one root field's compiled SQL and bind arguments. The
// statement returns one row with one json column.
type Statement struct {
	Field string
	SQL   string
	Args  []any
	// Source is the source whose database runs SQL ("" or "default").
	Source string
}

// Compile runs the request pipeline up to SQL generation without executing:
// for explain, golden tests and benchmarks against the raw-SQL floor.
// errBody is a response body in Hasura's error shape when compilation fails.
func (e *Engine) Compile(ctx context.Context, sess Session, req *Request) (stmts []Statement, errBody []byte) {
	return e.compile(sess, req, planCached)
}

// compile is Compile with the planning step given: planCached, or plan
// for tests comparing the reused SQL with a fresh compile.
func (e *Engine) compile(sess Session, req *Request,
	planner func(*roleSchema, *preparedOp, map[string]any, Session) ([]plannedField, error)) (stmts []Statement, errBody []byte) {
	rs, err := e.roleSchema(sess)
	if err != nil {
		return nil, errorBody(err)
	}
	prep, err := e.prepare(rs, req)
	if err != nil {
		return nil, errorBody(err)
	}
	vars, err := coerceVariables(prep, req.Variables)
	if err != nil {
		return nil, errorBody(err)
	}
	fields, err := planner(rs, prep, vars, sess)
	if err != nil {
		return nil, errorBody(err)
	}
	for _, f := range fields {
		if f.sql != "" {
			stmts = append(stmts, Statement{Field: f.key, SQL: f.sql, Args: f.args, Source: f.source})
		}
	}
	return stmts, nil
}
