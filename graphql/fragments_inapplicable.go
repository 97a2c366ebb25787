package graphql

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// dropInapplicableFragments removes, before validation, the inline
// fragments whose type condition can never apply where they stand: a type
// the role's schema does not have, or one that shares no object type with
// the selection set's type. The spec makes both an error; Hasura's field
// collection skips such a fragment instead (Hasura.GraphQL.Parser.Collect),
// and clients rely on it: a query written against a remote schema's own
// type names (`... on Droid` once the remote's types are prefixed
// `FooDroid`) still gets the fields outside the fragment. Named fragments
// are left to validation.
func dropInapplicableFragments(schema *graphql.Schema, doc *ast.Document) {
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			dropInSelectionSet(schema, rootType(schema, d.Operation), d.SelectionSet)
		case *ast.FragmentDefinition:
			if d.TypeCondition != nil && d.TypeCondition.Name != nil {
				dropInSelectionSet(schema, schema.Type(d.TypeCondition.Name.Value), d.SelectionSet)
			}
		}
	}
}

func rootType(schema *graphql.Schema, operation string) graphql.Type {
	var t *graphql.Object
	switch operation {
	case ast.OperationTypeQuery:
		t = schema.QueryType()
	case ast.OperationTypeMutation:
		t = schema.MutationType()
	case ast.OperationTypeSubscription:
		t = schema.SubscriptionType()
	}
	if t == nil {
		return nil // an operation the schema lacks: validation says so
	}
	return t
}

// dropInSelectionSet filters set, whose type is parent, and recurses into
// its fields and kept fragments. A parent unknown here (a field validation
// will refuse) is left alone.
func dropInSelectionSet(schema *graphql.Schema, parent graphql.Type, set *ast.SelectionSet) {
	if parent == nil || set == nil {
		return
	}
	kept := set.Selections[:0]
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name != nil {
				dropInSelectionSet(schema, fieldType(parent, sel.Name.Value), sel.SelectionSet)
			}
		case *ast.InlineFragment:
			inner := parent
			if sel.TypeCondition != nil && sel.TypeCondition.Name != nil {
				inner = schema.Type(sel.TypeCondition.Name.Value)
				if inner == nil || !canApply(schema, parent, inner) {
					continue
				}
			}
			dropInSelectionSet(schema, inner, sel.SelectionSet)
		}
		kept = append(kept, sel)
	}
	set.Selections = kept
}

// fieldType is the named type of parent's field name, nil when parent has
// no such field (or is not a type with fields).
func fieldType(parent graphql.Type, name string) graphql.Type {
	var fields graphql.FieldDefinitionMap
	switch p := parent.(type) {
	case *graphql.Object:
		fields = p.Fields()
	case *graphql.Interface:
		fields = p.Fields()
	default:
		return nil
	}
	f, ok := fields[name]
	if !ok || f.Type == nil {
		return nil
	}
	named, _ := graphql.GetNamed(f.Type).(graphql.Type)
	return named
}

// canApply tells whether some object type is both a parent and a fragment
// type, as the spec's fragment-spread-is-possible rule reads it. Types that
// are not composite are left for validation to refuse.
func canApply(schema *graphql.Schema, parent, fragment graphql.Type) bool {
	a, okA := possibleTypes(schema, parent)
	b, okB := possibleTypes(schema, fragment)
	if !okA || !okB {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if x.Name() == y.Name() {
				return true
			}
		}
	}
	return false
}

func possibleTypes(schema *graphql.Schema, t graphql.Type) ([]*graphql.Object, bool) {
	switch t := t.(type) {
	case *graphql.Object:
		return []*graphql.Object{t}, true
	case *graphql.Interface:
		return schema.PossibleTypes(t), true
	case *graphql.Union:
		return schema.PossibleTypes(t), true
	}
	return nil, false
}
