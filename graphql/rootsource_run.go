package graphql

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RootCall is one root field a RootSource executes, with what it needs to
// read the request and to compile SQL for relationships to tables.
type RootCall struct {
	Name, Key string
	Session   Session
	// Query is the request's GraphQL text.
	Query    string
	Mutation bool
	e        *Engine
	c        *compiler
	sel      *Selection
	partial  bool           // a query's root field: joins may fail alone
	failures []fieldFailure // joins that failed alone (JoinsFailed)
}

// Selection is a field as the request selects it: fragments inlined,
// @skip/@include applied, fields merged by response key.
type Selection struct {
	Key, Name string
	Path      string // Hasura's error path, $.selectionSet.<key>...
	g         *fieldGroup
	c         *compiler
}

// Snapshot is the metadata the role's schema was built from.
func (rc *RootCall) Snapshot() *metadata.Snapshot { return rc.c.rs.Snapshot }

// Selection is the root field's own selection.
func (rc *RootCall) Selection() *Selection { return rc.sel }

// ArgsJSON is the root field's arguments as a JSON object, in the order
// the request gives them; explicit nulls are kept, absent ones left out.
func (rc *RootCall) ArgsJSON() json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for _, a := range rc.sel.g.first().Arguments {
		v, present := rc.c.arg(rc.sel.g, a.Name.Value)
		if !present {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteString(strconv.Quote(a.Name.Value))
		buf.WriteByte(':')
		writeValueJSON(&buf, v)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// writeValueJSON encodes an argument value, objects in their given order.
func writeValueJSON(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case object:
		buf.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.Quote(f.Name))
			buf.WriteByte(':')
			writeValueJSON(buf, f.Value)
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeValueJSON(buf, x)
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(plainJSON(v))
		if err != nil {
			b = []byte("null")
		}
		buf.Write(b)
	}
}

// Fields is the merged selection of s on an object of type typeName.
func (s *Selection) Fields(typeName string) []*Selection {
	groups := s.c.subFields(s.g, typeName)
	out := make([]*Selection, len(groups))
	for i, g := range groups {
		out[i] = &Selection{Key: g.Key, Name: g.Name, Path: s.Path + ".selectionSet." + g.Key, g: g, c: s.c}
	}
	return out
}

// RelationKind says how a relationship field reads its table.
type RelationKind int

const (
	RelObject RelationKind = iota
	RelArray
	RelAggregate
)

// RelationshipSQL compiles sel, a field reading table t from a row that
// is not a table's (an action's output), into a statement returning one
// JSON value as column j. corr is the join condition, with {x} standing
// for t's alias; the role's select permission on t applies.
func (rc *RootCall) RelationshipSQL(t *metadata.Table, kind RelationKind, sel *Selection, corr string) (string, error) {
	switch kind {
	case RelArray:
		return rc.c.listSQL(t, t.Name.SQL(), corr, sel.g, sel.Path)
	case RelAggregate:
		return rc.c.aggregateSQL(t, t.Name.SQL(), corr, sel.g, sel.Path)
	}
	return rc.c.objectSQL(t, t.Name.SQL(), corr, sel.g, sel.Path)
}

// Param binds v for the call's statement and returns its placeholder.
func (rc *RootCall) Param(v any) string { return rc.c.param(v) }

// QueryJSON runs sql, built with RelationshipSQL and Param, and returns
// its one JSON value. Errors are in Hasura's shape.
func (rc *RootCall) QueryJSON(ctx context.Context, sql string) (json.RawMessage, error) {
	var out []byte
	if err := rc.e.pool.QueryRow(ctx, sql, rc.c.args...).Scan(&out); err != nil {
		return nil, dbError(err)
	}
	return out, nil
}

// runWithSources runs an operation that selects a RootSource's field; ok
// is false when it selects none, and the usual pipeline runs it.
func (e *Engine) runWithSources(ctx context.Context, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session, req *Request) (Result, bool) {
	root, sources := "query_root", rs.qsources
	switch prep.op.Operation {
	case ast.OperationTypeMutation:
		root, sources = "mutation_root", rs.msources
	case ast.OperationTypeSubscription:
		// Over HTTP a subscription runs once; its source fields are the
		// sources' live query fields (rootsource_live.go).
		root = "subscription_root"
	}
	if len(sources) == 0 {
		return Result{}, false
	}
	groups := collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, root, prep.frags, vars)
	found := false
	for _, g := range groups {
		found = found || sources[g.Name] != nil
	}
	if !found {
		return Result{}, false
	}
	out := make([][]byte, len(groups))
	errs := make([]error, len(groups))
	// A query's source field or remote join that fails is null on its own
	// (partial.go); partial[i] says errs[i] is such a failure, fails[i]
	// holds field i's failures.
	partial := make([]bool, len(groups))
	fails := make([][]fieldFailure, len(groups))
	query := root == "query_root"
	joinsOf := func(i int, g *fieldGroup, c *compiler) {
		if query {
			var failed []fieldFailure
			out[i], failed, errs[i] = e.applyJoinsPartial(ctx, g.Key, out[i], c.joins)
			fails[i] = append(fails[i], failed...)
			return
		}
		out[i], errs[i] = e.applyJoins(ctx, out[i], c.joins, 0)
	}
	runField := func(i int, g *fieldGroup) {
		path := "$.selectionSet." + g.Key
		c := &compiler{rs: rs, vars: vars, frags: prep.frags, nulls: prep.nulls, session: sess, joinable: root != "subscription_root"}
		var err error
		switch {
		case g.Name == "__typename":
			out[i] = []byte(strconv.Quote(root))
		case sources[g.Name] != nil:
			call := &RootCall{Name: g.Name, Key: g.Key, Session: sess, Query: req.Query, Mutation: root == "mutation_root", e: e, c: c,
				sel: &Selection{Key: g.Key, Name: g.Name, Path: path, g: g, c: c}, partial: query}
			if out[i], err = sources[g.Name].ExecuteRoot(ctx, call); err != nil {
				errs[i], partial[i] = err, query
				return
			}
			if query {
				fails[i] = call.failures
			}
			// An action's relationships to tables may reach remote relationships.
			joinsOf(i, g, c)
			return
		case root == "mutation_root":
			out[i], err = e.runOneMutation(ctx, rs, prep, vars, sess, g)
		default:
			var sql string
			if sql, err = c.root(g); err == nil {
				var pool *pgxpool.Pool
				if pool, err = e.poolFor(ctx, rs.rootSource(g.Name)); err == nil {
					if err = pool.QueryRow(ctx, sql, c.args...).Scan(&out[i]); err != nil {
						err = dbError(err)
					} else {
						joinsOf(i, g, c)
						return
					}
				}
			}
		}
		errs[i] = err
	}
	// Mutation fields run one after the other, in order (the GraphQL
	// rule); query fields run at once, each where it belongs (Postgres, a
	// webhook, a remote server), and the answer keeps the request's order.
	// A failing mutation field stops the ones after it, which stay null;
	// when one already ran, its data is kept and the failure is partial.
	var introspection []*fieldGroup
	var wg sync.WaitGroup
	ran := false
fields:
	for i, g := range groups {
		switch {
		case g.Name == "__schema" || g.Name == "__type":
			introspection = append(introspection, g)
		case root == "mutation_root":
			if runField(i, g); errs[i] != nil {
				if !ran {
					return Result{Body: sourceErrorBody(errs[i])}, true
				}
				partial[i] = true
				break fields
			}
			ran = ran || g.Name != "__typename"
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if p := recover(); p != nil {
						errs[i] = fmt.Errorf("root field %s failed: %v", g.Key, p)
					}
				}()
				runField(i, g)
			}()
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !partial[i] {
			return Result{Body: sourceErrorBody(err)}, true
		}
	}
	// When every root field failed, nothing is partial: the answer is
	// Hasura's whole-request error (its conformance cases expect it).
	var first error
	failedRoots := 0
	for _, err := range errs {
		if err != nil {
			first, failedRoots = cmp.Or(first, err), failedRoots+1
		}
	}
	if failedRoots == len(groups) {
		return Result{Body: sourceErrorBody(first)}, true
	}
	var failed []fieldFailure
	for i, err := range errs {
		if err != nil {
			out[i] = nil // null, as the source field failed
			failed = append(failed, fieldFailure{path: []any{groups[i].Key}, err: err})
		}
		failed = append(failed, fails[i]...)
	}
	if len(introspection) > 0 {
		res, err := introspect(rs, prep, vars, introspection)
		if err != nil {
			return Result{Body: errorBody(err), RequestError: true}, true
		}
		for i, g := range groups {
			if v, ok := res[g.Key]; ok {
				out[i] = v
			}
		}
	}
	fields := make([]plannedField, len(groups))
	for i, g := range groups {
		fields[i] = plannedField{key: g.Key}
	}
	return Result{Body: partialBody(fields, out, failed)}, true
}

// runOneMutation runs a table mutation field of an operation that also
// calls a RootSource, in a transaction of its own: a source's handler may
// write through Graft itself, which an open transaction would block.
func (e *Engine) runOneMutation(ctx context.Context, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session, g *fieldGroup) ([]byte, error) {
	if _, ok := rs.mroots[g.Name]; !ok && rs.namespaces[g.Name] == nil {
		return nil, validationErr("$.selectionSet."+g.Key, "field %q not found in type: 'mutation_root'", g.Name)
	}
	out := make([][]byte, 1)
	if err := e.mutateInTx(ctx, rs, prep, vars, sess, rs.mutationSource(g.Name), []*fieldGroup{g}, out, nil); err != nil {
		return nil, err
	}
	return out[0], nil
}

// sourceErrorBody renders a SourceError with its own extensions, any other
// error as errorBody does.
func sourceErrorBody(err error) []byte {
	var be BodyError
	if errors.As(err, &be) {
		return be.ErrorBody()
	}
	se, ok := err.(*SourceError)
	if !ok {
		return errorBody(err)
	}
	msg, _ := json.Marshal(se.Message)
	var buf bytes.Buffer
	buf.WriteString(`{"errors":[{"message":`)
	buf.Write(msg)
	if len(se.Extensions) > 0 {
		buf.WriteString(`,"extensions":`)
		buf.Write(se.Extensions)
	}
	buf.WriteString(`}]}`)
	return buf.Bytes()
}
