package graphql

import (
	"encoding/json"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Reusing compiled SQL across requests (see sqlcache.go) needs to know, per
// operation, which variables may change the SQL text. Each variable is
// either
//
//   - bound: every occurrence is the direct operand of a comparison operator
//     that compiles to "lhs <op> $n" (simpleOps in a <Scalar>_comparison_exp)
//     or a primary-key argument of a by-pk root field. Its value only ever
//     becomes a bind argument, so the SQL depends only on whether it is
//     absent, null or given; or
//   - keyed: anything else (limit, offset, @include, an enum in order_by...).
//     Its value is part of the cache key, which only Int, Boolean and enum
//     variables may be: their values are few and short.
//
// An operation with another variable (a String at a keyed position, a
// whole where object, a list) is compiled for every request, as before.

// varRule is how one declared variable enters the cache key.
type varRule struct {
	name  string
	bound bool
}

// reuseRules are an operation's variable rules; nil when its SQL cannot be
// reused (a mutation, a subscription, or a variable that is neither bound
// nor keyable).
type reuseRules struct {
	vars []varRule
}

// analyzeReuse classifies the variables of a validated query operation.
func analyzeReuse(rs *roleSchema, op *ast.OperationDefinition, frags fragments) *reuseRules {
	if op.Operation != ast.OperationTypeQuery {
		return nil
	}
	w := &reuseWalker{rs: rs, frags: frags, seen: map[string]bool{}, bound: map[string]bool{}, keyed: map[string]bool{}}
	w.directives(op.Directives)
	w.selections(op.SelectionSet, rs.Schema.QueryType(), true)
	rules := &reuseRules{}
	for _, d := range op.VariableDefinitions {
		name := d.Variable.Name.Value
		switch {
		case w.keyed[name]:
			if !keyable(rs, d.Type) {
				return nil
			}
			rules.vars = append(rules.vars, varRule{name: name})
		case w.bound[name]:
			rules.vars = append(rules.vars, varRule{name: name, bound: true})
		}
	}
	return rules
}

// keyable reports whether a variable's declared type has values short and
// few enough to be part of a cache key: Int, Boolean or an enum, not a list.
func keyable(rs *roleSchema, t ast.Type) bool {
	if nn, ok := t.(*ast.NonNull); ok {
		t = nn.Type
	}
	named, ok := t.(*ast.Named)
	if !ok {
		return false
	}
	switch named.Name.Value {
	case "Int", "Boolean":
		return true
	}
	_, isEnum := rs.Schema.Type(named.Name.Value).(*graphql.Enum)
	return isEnum
}

// reuseWalker records, for every variable occurrence, whether it is bound
// or keyed. An occurrence it cannot type is keyed: the value then decides.
type reuseWalker struct {
	rs    *roleSchema
	frags fragments
	seen  map[string]bool // fragments walked
	bound map[string]bool
	keyed map[string]bool
}

func (w *reuseWalker) selections(set *ast.SelectionSet, parent graphql.Type, root bool) {
	if set == nil {
		return
	}
	for _, sel := range set.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			w.directives(s.Directives)
			w.field(s, parent, root)
		case *ast.InlineFragment:
			w.directives(s.Directives)
			t := parent
			if s.TypeCondition != nil {
				t = w.rs.Schema.Type(s.TypeCondition.Name.Value)
			}
			w.selections(s.SelectionSet, t, root && t == parent)
		case *ast.FragmentSpread:
			w.directives(s.Directives)
			name := s.Name.Value
			if w.seen[name] || w.frags[name] == nil {
				continue
			}
			w.seen[name] = true
			fd := w.frags[name]
			w.directives(fd.Directives)
			t := parent
			if fd.TypeCondition != nil {
				t = w.rs.Schema.Type(fd.TypeCondition.Name.Value)
			}
			w.selections(fd.SelectionSet, t, root && t == parent)
		}
	}
}

func (w *reuseWalker) field(f *ast.Field, parent graphql.Type, root bool) {
	var def *graphql.FieldDefinition
	if obj, ok := parent.(*graphql.Object); ok {
		def = obj.Fields()[f.Name.Value]
	}
	pk := map[string]bool{}
	if rf, ok := w.rs.roots[f.Name.Value]; ok && root && rf.Kind == rootByPk {
		for _, c := range rf.Table.PrimaryKey {
			pk[c.GQLName] = true
		}
	}
	for _, a := range f.Arguments {
		if v, ok := a.Value.(*ast.Variable); ok && pk[a.Name.Value] {
			w.bound[v.Name.Value] = true
			continue
		}
		var t graphql.Input
		if def != nil {
			for _, ad := range def.Args {
				if ad.Name() == a.Name.Value {
					t = ad.Type
				}
			}
		}
		w.value(a.Value, t, "", "")
	}
	var child graphql.Type
	if def != nil {
		child, _ = graphql.GetNamed(def.Type).(graphql.Type)
	}
	w.selections(f.SelectionSet, child, false)
}

// value walks an argument value of expected type t; inObject and field name
// the input object field it is the direct value of ("" when none).
func (w *reuseWalker) value(v ast.Value, t graphql.Input, inObject, field string) {
	switch v := v.(type) {
	case *ast.Variable:
		if _, op := simpleOps[field]; op && strings.HasSuffix(inObject, "_comparison_exp") {
			w.bound[v.Name.Value] = true
		} else {
			w.keyed[v.Name.Value] = true
		}
	case *ast.ListValue:
		var elem graphql.Input
		if l, ok := unwrapNonNull(t).(*graphql.List); ok {
			elem, _ = l.OfType.(graphql.Input)
		}
		for _, x := range v.Values {
			w.value(x, elem, "", "")
		}
	case *ast.ObjectValue:
		in, _ := unwrapNonNull(t).(*graphql.InputObject)
		for _, f := range v.Fields {
			if in == nil {
				w.value(f.Value, nil, "", "")
				continue
			}
			var ft graphql.Input
			if fd := in.Fields()[f.Name.Value]; fd != nil {
				ft = fd.Type
			}
			w.value(f.Value, ft, in.Name(), f.Name.Value)
		}
	}
}

func (w *reuseWalker) directives(dirs []*ast.Directive) {
	for _, d := range dirs {
		for _, a := range d.Arguments {
			w.value(a.Value, nil, "", "")
		}
	}
}

func unwrapNonNull(t graphql.Input) graphql.Input {
	if nn, ok := t.(*graphql.NonNull); ok {
		return nn.OfType
	}
	return t
}

// shapeKey is the part of the cache key the variables give: per rule, in
// declaration order, whether a bound variable is absent, null or given, and
// a keyed variable's value. ok is false for a keyed value of an unexpected
// kind (checkVariables has run, so it does not happen).
func (r *reuseRules) shapeKey(buf []byte, vars map[string]any) (key []byte, ok bool) {
	for _, vr := range r.vars {
		v, present := vars[vr.name]
		switch {
		case !present:
			buf = append(buf, 'A')
		case v == nil:
			buf = append(buf, 'N')
		case vr.bound:
			buf = append(buf, 'P')
		default:
			switch v := v.(type) {
			case bool:
				if v {
					buf = append(buf, 'T')
				} else {
					buf = append(buf, 'F')
				}
			case json.Number:
				buf = append(append(append(buf, 'I'), v...), ';')
			case string: // an enum value: a GraphQL name, so no ';'
				buf = append(append(append(buf, 'E'), v...), ';')
			default:
				return nil, false
			}
		}
	}
	return buf, true
}
