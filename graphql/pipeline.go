package graphql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// preparedOp is a parsed and validated operation: the cacheable part of a request.
type preparedOp struct {
	doc   *ast.Document
	op    *ast.OperationDefinition
	frags fragments
	nulls *nullMarks
	// reuse says how the variables decide the SQL (nil: compile every
	// request); sql holds the compiled variants (sqlcache.go).
	reuse *reuseRules
	sql   sqlCache
	// varTypes are op's declared variable types in the role's schema.
	varTypes []graphql.Input
	// naming translates the variables of a request over graphql-default
	// sources (naming.go); nil when the schema has none.
	naming *namingMaps
}

// plannedField is one root field: a SQL statement, or a value computed in Go
// (__typename, introspection).
type plannedField struct {
	key    string
	sql    string
	args   []any
	static []byte
	// tables the SQL reads; volatile when it also reads through functions,
	// whose reads only a refetch can see. Live queries refetch on these.
	tables   map[metadata.QualifiedName]bool
	volatile bool
	// exec runs a RootSource's live field instead (rootsource_live.go).
	exec func(context.Context) Result
	// joins are the remote relationships to stitch into the value.
	joins []*remoteJoin
	// source is the source whose pool runs sql; "" or "default" for the
	// default source (sources_run.go).
	source string
}

// Execute runs one request through the named steps: schema, parse+validate
// (cached), variables, plan, SQL, execute, write.
func (e *Engine) Execute(ctx context.Context, sess Session, req *Request) Result {
	return e.execute(ctx, sess, req, nil, false)
}

// execute is Execute; with decoded, vars is req.Variables already decoded
// (decodeRequest), which coerceVariables then does not decode again. The
// Guard sees the operation first, and a time limit it sets ends it.
func (e *Engine) execute(ctx context.Context, sess Session, req *Request, vars any, decoded bool) Result {
	run, release, err := e.admit(ctx, sess, req)
	if err != nil {
		return Result{Body: errorBody(err), RequestError: true}
	}
	defer release()
	return timedOut(ctx, run, e.executeAdmitted(run, sess, req, vars, decoded))
}

// executeAdmitted is execute once the Guard admitted the operation.
func (e *Engine) executeAdmitted(ctx context.Context, sess Session, req *Request, vars any, decoded bool) Result {
	rs, err := e.roleSchema(sess)
	if err != nil {
		return Result{Body: errorBody(&queryError{Code: "unexpected", Path: "$", Message: err.Error()})}
	}
	prep, err := e.prepareTraced(ctx, rs, req)
	if err != nil {
		return Result{Body: errorBody(err), RequestError: true}
	}
	if !decoded {
		if vars, err = decodeVariables(req.Variables); err != nil {
			return Result{Body: errorBody(err), RequestError: true}
		}
	}
	coerced, err := coerceDecoded(prep, vars)
	if err != nil {
		return Result{Body: errorBody(err), RequestError: true}
	}
	if err := rs.refusedSubscription(prep, coerced); err != nil {
		return Result{Body: errorBody(err)}
	}
	if res, ok := e.runWithSources(ctx, rs, prep, coerced, sess, req); ok {
		return res
	}
	switch prep.op.Operation {
	case ast.OperationTypeMutation:
		return e.runMutation(ctx, rs, prep, coerced, sess)
	case ast.OperationTypeSubscription:
		return Result{Body: errorBody(&queryError{Code: "validation-failed", Path: "$",
			Message: "subscriptions are served over WebSocket only"}), RequestError: true}
	}
	fields, err := planTraced(ctx, rs, prep, coerced, sess)
	if err != nil {
		return Result{Body: errorBody(err), RequestError: true}
	}
	if e.LogQueries {
		e.logQuery(req, fields)
	}
	return e.run(ctx, fields)
}

// prepare parses and validates the query against the role's schema, once
// per (role, query text, operation name) and metadata version.
func (e *Engine) prepare(rs *roleSchema, req *Request) (*preparedOp, error) {
	key := planKey{role: rs.Role, backendOnly: rs.backendOnly, query: req.Query, operation: req.OperationName}
	if p := e.cachedPlan(rs, key); p != nil {
		return p, nil
	}
	doc, nulls, err := parseQuery(req.Query)
	if err != nil {
		return nil, &queryError{Code: "validation-failed", Path: "$.query", Message: "not a valid graphql query: " + err.Error()}
	}
	if vr := dropInapplicableFragments(&rs.Schema, doc); !vr.IsValid {
		return nil, validationError(doc, vr.Errors[0])
	}
	if vr := graphql.ValidateDocument(&rs.Schema, doc, validationRules); !vr.IsValid {
		return nil, validationError(doc, vr.Errors[0])
	}
	if errs := checkVariableUsages(&rs.Schema, doc); len(errs) > 0 {
		return nil, validationError(doc, errs[0])
	}
	if err := checkRepeatedDirectives(doc); err != nil {
		return nil, err
	}
	p := &preparedOp{doc: doc, frags: fragments{}, nulls: nulls}
	var ops []*ast.OperationDefinition
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			ops = append(ops, d)
		case *ast.FragmentDefinition:
			p.frags[d.Name.Value] = d
		}
	}
	switch {
	case req.OperationName != "":
		for _, op := range ops {
			if op.Name != nil && op.Name.Value == req.OperationName {
				p.op = op
			}
		}
		if p.op == nil {
			return nil, &queryError{Code: "validation-failed", Path: "$", Message: fmt.Sprintf("no such operation found in the document: %q", req.OperationName)}
		}
	case len(ops) == 1:
		p.op = ops[0]
	default:
		return nil, &queryError{Code: "validation-failed", Path: "$", Message: "exactly one operation has to be present in the document when operationName is not specified"}
	}
	if err := checkIntLiterals(&rs.Schema, p.op, p.frags); err != nil {
		return nil, err
	}
	p.varTypes = variableTypes(&rs.Schema, p.op.VariableDefinitions)
	if rs.naming != nil {
		rs.naming.translateDocument(&rs.Schema, doc)
		p.naming = rs.naming
	}
	p.reuse = analyzeReuse(rs, p.op, p.frags)
	e.storePlan(rs, key, p)
	return p, nil
}

// plan compiles every root field of the operation.
func plan(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) ([]plannedField, error) {
	return compileFields(rs, prep, vars, sess, nil)
}

// compileFields is plan; with rec, each root field compiles for reuse
// (sqlcache.go) and rec gathers what that needs.
func compileFields(rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session, rec *reuseRecord) ([]plannedField, error) {
	root := "query_root"
	if prep.op.Operation == ast.OperationTypeSubscription {
		root = "subscription_root"
	}
	groups := collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, root, prep.frags, vars)
	out := make([]plannedField, 0, len(groups))
	if rec != nil {
		rec.slots = make([][]argSlot, len(groups))
	}
	var introspection []*fieldGroup
	for _, g := range groups {
		switch g.Name {
		case "__typename":
			out = append(out, plannedField{key: g.Key, static: []byte(strconv.Quote(root))})
			continue
		case "__schema", "__type":
			introspection = append(introspection, g)
			out = append(out, plannedField{key: g.Key})
			continue
		}
		c := &compiler{rs: rs, vars: vars, frags: prep.frags, nulls: prep.nulls, session: sess, joinable: true,
			subscription: root == "subscription_root"}
		if rec != nil {
			c.vars, c.reusing = rec.vars, true
		}
		sql, err := c.root(g)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			rec.slots[len(out)] = c.slots
			rec.notReusable = rec.notReusable || c.notReusable
		}
		out = append(out, plannedField{key: g.Key, sql: sql, args: c.args, tables: c.tables, volatile: c.volatile, joins: c.joins,
			source: rs.rootSource(g.Name)})
	}
	if len(introspection) > 0 {
		res, err := introspect(rs, prep, vars, introspection)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if v, ok := res[out[i].key]; ok {
				out[i].static = v
			}
		}
	}
	return out, nil
}

// root compiles one data root field into a statement returning one JSON value.
func (c *compiler) root(g *fieldGroup) (string, error) {
	path := "$.selectionSet." + g.Key
	if ns := c.rs.namespaces[g.Name]; ns != nil {
		return c.namespaceSQL(ns, g, path)
	}
	rf, ok := c.rs.roots[g.Name]
	if !ok {
		return "", validationErr(path, "field %q not found in type: 'query_root'", g.Name)
	}
	return c.rootSQL(rf, g, path)
}

// rootSQL compiles a data root field, rf, selected as g.
func (c *compiler) rootSQL(rf rootField, g *fieldGroup, path string) (string, error) {
	t := rf.Table
	switch rf.Kind {
	case rootSelect:
		return c.listSQL(t, t.Name.SQL(), "", g, path)
	case rootAggregate:
		return c.aggregateSQL(t, t.Name.SQL(), "", g, path)
	case rootConnection, rootFunctionConnection, rootNode:
		return c.relayRoot(rf, g, path)
	case rootFunction, rootFunctionAggregate:
		from, err := c.functionFrom(rf.Function, g)
		if err != nil {
			return "", err
		}
		if rf.Kind == rootFunction {
			return c.functionRowsSQL(rf.Function, from, g, path)
		}
		return c.aggregateSQL(t, from, "", g, path)
	default: // by primary key
		var conds []string
		for _, col := range t.PrimaryKey {
			v, _ := c.arg(g, col.GQLName)
			p, err := c.typed(v, columnType(col))
			if err != nil {
				return "", err
			}
			conds = append(conds, "{x}."+quoteIdent(col.Name)+" = "+p)
		}
		sql, err := c.objectSQL(t, t.Name.SQL(), joinAnd(conds), g, path)
		if err != nil {
			return "", err
		}
		return "SELECT (" + sql + ") AS j", nil
	}
}

func joinAnd(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " AND "
		}
		out += p
	}
	return out
}

// errorBody renders errors in Hasura's GraphQL shape.
func errorBody(err error) []byte {
	var qe *queryError
	var refusal *Refusal
	switch {
	case errors.As(err, &refusal):
		qe = &queryError{Code: refusal.Code, Path: "$", Message: refusal.Message}
	case !errors.As(err, &qe):
		qe = &queryError{Code: "unexpected", Path: "$", Message: err.Error()}
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
		"message": qe.Message, "extensions": map[string]any{"path": qe.Path, "code": qe.Code},
	}}})
	return b
}

// validationRules are graphql-go's rules minus three Hasura does not apply:
// NoUnusedVariables (clients send shared variable sets), NoUnusedFragments
// (Hasura's fragment inliner has that check switched off: documents share
// fragments too) and DefaultValuesOfCorrectType, which predates the spec
// allowing defaults on non-null variables ($id: Int! = 2). Defaults are
// still type-checked: coerceVariables fills them in before checking every
// variable's type. NoUndefinedVariables and VariablesInAllowedPosition are
// checkVariableUsages, run after them.
var validationRules = func() []graphql.ValidationRuleFn {
	skip := map[uintptr]bool{
		reflect.ValueOf(graphql.NoUnusedVariablesRule).Pointer():          true,
		reflect.ValueOf(graphql.NoUnusedFragmentsRule).Pointer():          true,
		reflect.ValueOf(graphql.NoUndefinedVariablesRule).Pointer():       true,
		reflect.ValueOf(graphql.VariablesInAllowedPositionRule).Pointer(): true,
		reflect.ValueOf(graphql.DefaultValuesOfCorrectTypeRule).Pointer(): true,
	}
	var rules []graphql.ValidationRuleFn
	for _, r := range graphql.SpecifiedRules {
		if !skip[reflect.ValueOf(r).Pointer()] {
			rules = append(rules, r)
		}
	}
	return rules
}()

// logQuery writes Hasura's query-log line: the operation and each root
// field's SQL. Bind values are left out: they may hold personal data.
func (e *Engine) logQuery(req *Request, fields []plannedField) {
	sql := map[string]string{}
	for _, f := range fields {
		if f.sql != "" {
			sql[f.key] = f.sql
		}
	}
	e.log.Info("", "type", "query-log", "query", map[string]any{"operationName": req.OperationName, "query": req.Query},
		"generated_sql", sql)
}
