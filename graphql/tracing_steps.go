package graphql

import (
	"context"

	"github.com/graftql/graft/tracing"
)

// A step's span shows work done. A repeated request finds its parsed and
// validated operation, and the SQL compiled for its variable shape, in the
// caches: those steps are a map lookup each, and a span apiece would cost
// more than the steps themselves (two of a by-pk request's four spans,
// about half of its tracing cost). So "graphql parse" and "graphql plan"
// are recorded when parsing/validation or SQL compilation runs, and a
// cached request's trace is its request span and its SQL statements.

// prepareTraced is prepare, under a "graphql parse" span unless the
// operation was already parsed and validated.
func (e *Engine) prepareTraced(ctx context.Context, rs *roleSchema, req *Request) (*preparedOp, error) {
	if !tracing.Enabled() {
		return e.prepare(rs, req)
	}
	key := planKey{role: rs.Role, backendOnly: rs.backendOnly, query: req.Query, operation: req.OperationName}
	if p := e.cachedPlan(rs, key); p != nil {
		return p, nil
	}
	_, span := tracing.Start(ctx, "graphql parse")
	prep, err := e.prepare(rs, req)
	tracing.End(span, err)
	return prep, err
}

// planTraced is planCached, under a "graphql plan" span unless the SQL of
// the variables' shape was already compiled.
func planTraced(ctx context.Context, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) ([]plannedField, error) {
	if !tracing.Enabled() {
		return planCached(rs, prep, vars, sess)
	}
	if fields, ok := boundCached(prep, vars, sess); ok {
		return fields, nil
	}
	_, span := tracing.Start(ctx, "graphql plan")
	fields, err := compileCached(rs, prep, vars, sess)
	tracing.End(span, err)
	return fields, err
}
