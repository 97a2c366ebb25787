package graphql

import (
	"context"

	"github.com/graftql/graft/metadata"
)

// Live root fields of a RootSource: a source's query field may also be a
// subscription_root field, refetched (by calling the source again) when
// one of the tables it names is invalidated. The source invalidates them
// itself when it writes them outside Graft's mutations (an async action's
// worker recording a result).

// LiveRootSource is a RootSource some of whose query fields are live
// queries.
type LiveRootSource interface {
	RootSource
	// LiveTables says whether the query field name is a live query, and
	// the tables whose writes refetch it.
	LiveTables(name string) ([]metadata.QualifiedName, bool)
}

// sourceLive reports whether a source's query field is a live query.
func (rs *roleSchema) sourceLive(name string) bool {
	ls, ok := rs.qsources[name].(LiveRootSource)
	if !ok {
		return false
	}
	_, live := ls.LiveTables(name)
	return live
}

// planSourceLive plans a subscription to a source's live field: the one
// root field of the operation, run by the source on each refetch. ok is
// false when the operation selects no source field.
func (e *Engine) planSourceLive(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session, req *Request, groups []*fieldGroup) ([]plannedField, bool, error) {
	var src LiveRootSource
	for _, g := range groups {
		if s, ok := rs.qsources[g.Name].(LiveRootSource); ok {
			src = s
		}
	}
	if src == nil {
		return nil, false, nil
	}
	if len(groups) != 1 {
		return nil, true, validationErr("$", "a subscription to an action's result must be the only root field")
	}
	g := groups[0]
	tables, _ := src.LiveTables(g.Name)
	f := plannedField{key: g.Key, tables: map[metadata.QualifiedName]bool{}}
	for _, t := range tables {
		f.tables[t] = true
	}
	f.exec = func(ctx context.Context) Result {
		// A compiler per run: a call binds its parameters on it.
		c := &compiler{rs: rs, vars: vars, frags: prep.frags, nulls: prep.nulls, session: sess}
		call := &RootCall{Name: g.Name, Key: g.Key, Session: sess, Query: req.Query, e: e, c: c,
			sel: &Selection{Key: g.Key, Name: g.Name, Path: "$.selectionSet." + g.Key, g: g, c: c}}
		v, err := src.ExecuteRoot(ctx, call)
		if err != nil {
			return Result{Body: sourceErrorBody(err)}
		}
		return Result{Body: wrapData(g.Key, v)}
	}
	return []plannedField{f}, true, nil
}
