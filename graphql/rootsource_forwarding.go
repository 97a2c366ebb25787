package graphql

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// What a RootSource may add to a role's schema besides root fields, and
// an error that is a whole response body.

// BodyError is an error a RootSource returns as a whole response body, as
// it came (a remote schema's errors, passed on with their locations).
type BodyError interface {
	error
	ErrorBody() []byte
}

// AddType makes gt part of the schema even when no field reaches it, as
// the object types implementing an interface must be.
func (t *SchemaTypes) AddType(gt graphql.Type) { t.b.extraTypes = append(t.b.extraTypes, gt) }

// AddRefusedSubscription adds a subscription_root field that validates but
// is refused when run, with code not-supported and message (Hasura lists a
// remote schema's subscription fields, and refuses to forward them).
func (t *SchemaTypes) AddRefusedSubscription(name string, f *graphql.Field, message string) {
	if t.b.refusedSubs == nil {
		t.b.refusedSubs = graphql.Fields{}
		t.b.rs.refusedSubs = map[string]string{}
	}
	t.b.refusedSubs[name] = f
	t.b.rs.refusedSubs[name] = message
}

// refusedSubscription is the error of a subscription selecting a refused
// field, or nil.
func (rs *roleSchema) refusedSubscription(prep *preparedOp, vars map[string]any) error {
	if len(rs.refusedSubs) == 0 || prep.op.Operation != ast.OperationTypeSubscription {
		return nil
	}
	for _, g := range collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, "subscription_root", prep.frags, vars) {
		if msg, ok := rs.refusedSubs[g.Name]; ok {
			return &queryError{Code: "not-supported", Path: "$", Message: msg}
		}
	}
	return nil
}

// The raw view of a root field, for a RootSource that forwards the
// selection as GraphQL text (remote schemas) instead of reading it
// through Selection: the syntax as written, the fragments and variables.

// RawSelection is a root field as the request writes it.
type RawSelection struct {
	// Fields are every occurrence of the root field's response key.
	Fields    []*ast.Field
	Fragments map[string]*ast.FragmentDefinition
	// Variables are the request's coerced variables.
	Variables map[string]any
}

// Raw returns the root field's syntax.
func (rc *RootCall) Raw() RawSelection {
	return RawSelection{Fields: rc.sel.g.Fields, Fragments: rc.c.frags, Variables: rc.c.vars}
}

// Arguments are f's arguments as plain JSON values (objects as maps,
// numbers as int64 or float64), variables substituted, explicit nulls
// kept as nil; absent variables leave their argument out.
func (rc *RootCall) Arguments(f *ast.Field) map[string]any {
	out := map[string]any{}
	for _, a := range f.Arguments {
		if v, ok := a.Value.(*ast.Variable); ok {
			val, present := rc.c.vars[v.Name.Value]
			if !present {
				continue
			}
			out[a.Name.Value] = plainJSON(val)
			continue
		}
		out[a.Name.Value] = plainJSON(valueOf(a.Value, rc.c.vars, rc.c.nulls))
	}
	if rc.c.nulls != nil {
		for _, name := range rc.c.nulls.args[f] {
			out[name] = nil
		}
	}
	return out
}
