package graphql

import (
	"fmt"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
)

// checkVariableUsages is graphql-go's NoUndefinedVariables and
// VariablesInAllowedPosition rules in one direct walk of the document:
// every variable an operation uses (in its own selection set or in a
// fragment it spreads, however deep) is declared, with a type that fits
// where it is used. graphql-go computes the same usages with a
// reflection-driven visitor and a fresh TypeInfo per operation and per
// fragment, which was a third of a first-seen query's compile time; the
// messages, locations and order of its errors are kept. It runs once the
// rest of validation passed: a document with another error as well now
// gets that one first, where graphql-go reported a variable error first if
// the other one sat after the operation (in a later fragment or operation).
func checkVariableUsages(schema *graphql.Schema, doc *ast.Document) []gqlerrors.FormattedError {
	frags := documentFragments(doc)
	var errs []gqlerrors.FormattedError
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		u := usageWalk{schema: schema}
		u.directives(op.Directives)
		u.selectionSet(rootType(schema, op.Operation), op.SelectionSet)
		for _, f := range referencedFragments(op, frags) {
			u.directives(f.Directives)
			u.selectionSet(typeCondition(schema, f.TypeCondition), f.SelectionSet)
		}
		defs := map[string]*ast.VariableDefinition{}
		for _, v := range op.VariableDefinitions {
			if v.Variable != nil && v.Variable.Name != nil {
				defs[v.Variable.Name.Value] = v
			}
		}
		opName := ""
		if op.Name != nil {
			opName = op.Name.Value
		}
		for _, use := range u.uses {
			if defs[use.name()] == nil {
				errs = append(errs, usageError(graphql.UndefinedVarMessage(use.name(), opName), use.node, op))
			}
		}
		for _, use := range u.uses {
			def := defs[use.name()]
			if def == nil || use.typ == nil {
				continue
			}
			// An output type here failed VariablesAreInputTypes already.
			varType := inputTypeOf(schema, def.Type)
			if varType != nil && !isSubType(schema, effectiveType(varType, def), use.typ) {
				errs = append(errs, usageError(fmt.Sprintf(`Variable "$%v" of type "%v" used in position expecting type "%v".`,
					use.name(), varType, use.typ), def, use.node))
			}
		}
	}
	return errs
}

func usageError(message string, nodes ...ast.Node) gqlerrors.FormattedError {
	return gqlerrors.FormatError(gqlerrors.NewError(message, nodes, "", nil, []int{}, nil))
}

// referencedFragments are the fragments op spreads, directly or through
// other fragments, in the order graphql-go's validation lists them.
func referencedFragments(op *ast.OperationDefinition, frags fragments) []*ast.FragmentDefinition {
	var out []*ast.FragmentDefinition
	seen := map[string]bool{}
	toVisit := []*ast.SelectionSet{op.SelectionSet}
	for len(toVisit) > 0 {
		set := toVisit[len(toVisit)-1]
		toVisit = toVisit[:len(toVisit)-1]
		for _, spread := range fragmentSpreads(set) {
			name := spreadName(spread)
			if seen[name] {
				continue
			}
			seen[name] = true
			if f := frags[name]; f != nil {
				out = append(out, f)
				toVisit = append(toVisit, f.SelectionSet)
			}
		}
	}
	return out
}

// fragmentSpreads are the spreads in set and in its fields' and inline
// fragments' selection sets, not in the fragments spread.
func fragmentSpreads(set *ast.SelectionSet) []*ast.FragmentSpread {
	var spreads []*ast.FragmentSpread
	sets := []*ast.SelectionSet{set}
	for len(sets) > 0 {
		s := sets[len(sets)-1]
		sets = sets[:len(sets)-1]
		if s == nil {
			continue
		}
		for _, sel := range s.Selections {
			switch sel := sel.(type) {
			case *ast.FragmentSpread:
				spreads = append(spreads, sel)
			case *ast.Field:
				sets = append(sets, sel.SelectionSet)
			case *ast.InlineFragment:
				sets = append(sets, sel.SelectionSet)
			}
		}
	}
	return spreads
}

// variableUse is a variable where it is used, with the input type that
// position expects (nil when unknown).
type variableUse struct {
	node *ast.Variable
	typ  graphql.Input
}

func (v variableUse) name() string {
	if v.node.Name == nil {
		return ""
	}
	return v.node.Name.Value
}

// usageWalk collects variable uses in document order, tracking types as
// graphql-go's TypeInfo does.
type usageWalk struct {
	schema *graphql.Schema
	uses   []variableUse
}

func (u *usageWalk) selectionSet(parent graphql.Type, set *ast.SelectionSet) {
	if set == nil {
		return
	}
	if parent != nil && !isComposite(parent) {
		parent = nil
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			var def *graphql.FieldDefinition
			if parent != nil {
				def = graphql.DefaultTypeInfoFieldDef(u.schema, parent, sel)
			}
			var args []*graphql.Argument
			var fieldType graphql.Type
			if def != nil {
				args, fieldType = def.Args, def.Type
			}
			u.arguments(args, sel.Arguments)
			u.directives(sel.Directives)
			u.selectionSet(namedType(fieldType), sel.SelectionSet)
		case *ast.InlineFragment:
			inner := parent
			if sel.TypeCondition != nil {
				inner = typeCondition(u.schema, sel.TypeCondition)
			}
			u.directives(sel.Directives)
			u.selectionSet(inner, sel.SelectionSet)
		case *ast.FragmentSpread:
			u.directives(sel.Directives)
		}
	}
}

func (u *usageWalk) directives(dirs []*ast.Directive) {
	for _, d := range dirs {
		var args []*graphql.Argument
		if d.Name != nil {
			if def := u.schema.Directive(d.Name.Value); def != nil {
				args = def.Args
			}
		}
		u.arguments(args, d.Arguments)
	}
}

func (u *usageWalk) arguments(defs []*graphql.Argument, args []*ast.Argument) {
	for _, a := range args {
		var t graphql.Input
		if a.Name != nil {
			for _, d := range defs {
				if d.Name() == a.Name.Value {
					t = d.Type
					break
				}
			}
		}
		u.value(a.Value, t)
	}
}

// value records the variables in v, a value of type t.
func (u *usageWalk) value(v ast.Value, t graphql.Input) {
	switch v := v.(type) {
	case *ast.Variable:
		u.uses = append(u.uses, variableUse{node: v, typ: t})
	case *ast.ListValue:
		var item graphql.Input
		if t != nil {
			if l, ok := graphql.GetNullable(t).(*graphql.List); ok {
				item, _ = l.OfType.(graphql.Input)
			}
		}
		for _, x := range v.Values {
			u.value(x, item)
		}
	case *ast.ObjectValue:
		var fields graphql.InputObjectFieldMap
		if t != nil {
			if o, ok := graphql.GetNamed(t).(*graphql.InputObject); ok {
				fields = o.Fields()
			}
		}
		for _, f := range v.Fields {
			var ft graphql.Input
			if f.Name != nil {
				if def := fields[f.Name.Value]; def != nil {
					ft = def.Type
				}
			}
			u.value(f.Value, ft)
		}
	}
}

func isComposite(t graphql.Type) bool {
	switch t.(type) {
	case *graphql.Object, *graphql.Interface, *graphql.Union:
		return true
	}
	return false
}

func namedType(t graphql.Type) graphql.Type {
	if t == nil {
		return nil
	}
	named, _ := graphql.GetNamed(t).(graphql.Type)
	return named
}

// effectiveType is a variable's type where a default value stands in for
// null: non-null.
func effectiveType(t graphql.Type, def *ast.VariableDefinition) graphql.Type {
	if def.DefaultValue == nil {
		return t
	}
	if _, ok := t.(*graphql.NonNull); ok {
		return t
	}
	return graphql.NewNonNull(t)
}

// isSubType tells whether a value of type sub may stand where super is
// expected (graphql-go's isTypeSubTypeOf).
func isSubType(schema *graphql.Schema, sub, super graphql.Type) bool {
	if sub == super {
		return true
	}
	if sup, ok := super.(*graphql.NonNull); ok {
		if s, ok := sub.(*graphql.NonNull); ok {
			return isSubType(schema, s.OfType, sup.OfType)
		}
		return false
	}
	if s, ok := sub.(*graphql.NonNull); ok {
		return isSubType(schema, s.OfType, super)
	}
	if sup, ok := super.(*graphql.List); ok {
		if s, ok := sub.(*graphql.List); ok {
			return isSubType(schema, s.OfType, sup.OfType)
		}
		return false
	}
	if _, ok := sub.(*graphql.List); ok {
		return false
	}
	if obj, ok := sub.(*graphql.Object); ok {
		switch sup := super.(type) {
		case *graphql.Interface:
			return schema.IsPossibleType(sup, obj)
		case *graphql.Union:
			return schema.IsPossibleType(sup, obj)
		}
	}
	return false
}
