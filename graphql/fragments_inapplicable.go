package graphql

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// dropInapplicableFragments removes, before validation, the fragments
// whose type condition can never apply where they stand: a type the role's
// schema does not have, or one that shares no object type with the
// selection set's type. The spec makes both an error; Hasura inlines named
// fragments and then its field collection skips such a fragment instead
// (Hasura.GraphQL.Execute.Inline, Hasura.GraphQL.Parser.Collect), and
// clients rely on it: a query written against a remote schema's own type
// names (`... on Droid` once the remote's types are prefixed `FooDroid`)
// still gets the fields outside the fragment, and a document shared by
// roles still runs for a role that cannot see some of its types. A named
// fragment on an unknown type is dropped with its spreads, and so is one no
// operation spreads any more: Hasura only looks at what it inlines.
//
// When something is to be skipped, the checks that do not depend on the
// schema (fragmentRules) run on the whole document first, as Hasura inlines
// and binds variables before it skips anything; the result is theirs. Two differences from Hasura are kept, being the spec's:
// a fragment on a union inside one of its members applies (Hasura compares
// the object and its interfaces only), and one on a scalar is refused.
func dropInapplicableFragments(schema *graphql.Schema, doc *ast.Document) graphql.ValidationResult {
	w := &fragmentWalk{schema: schema, defs: documentFragments(doc), dryRun: true}
	// Most documents skip nothing: they pay one walk, not a second
	// validation.
	if w.document(doc); !w.found {
		return graphql.ValidationResult{IsValid: true}
	}
	if vr := graphql.ValidateDocument(schema, doc, fragmentRules); !vr.IsValid {
		return vr
	}
	w.dryRun = false
	w.document(doc)
	return graphql.ValidationResult{IsValid: true}
}

// document walks every operation and named fragment; a fragment on an
// unknown type, or one no operation spreads, goes.
func (w *fragmentWalk) document(doc *ast.Document) {
	var kept []ast.Node
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			w.selectionSet(rootType(w.schema, d.Operation), d.SelectionSet)
		case *ast.FragmentDefinition:
			t := typeCondition(w.schema, d.TypeCondition)
			if t == nil {
				w.found = true
				continue
			}
			w.selectionSet(t, d.SelectionSet)
		}
		kept = append(kept, d)
	}
	kept = w.reachable(kept)
	if !w.dryRun {
		doc.Definitions = kept
	}
}

// fragmentRules are the document checks that hold whatever is skipped:
// Hasura's fragment inliner and variable binding raise them first.
var fragmentRules = []graphql.ValidationRuleFn{
	graphql.UniqueFragmentNamesRule, graphql.KnownFragmentNamesRule,
	graphql.NoFragmentCyclesRule, graphql.NoUndefinedVariablesRule,
}

// reachable is defs without the fragments no operation spreads, directly
// or through other fragments.
func (w *fragmentWalk) reachable(defs []ast.Node) []ast.Node {
	used := map[*ast.FragmentDefinition]bool{}
	for _, d := range defs {
		if op, ok := d.(*ast.OperationDefinition); ok {
			for _, f := range referencedFragments(op, w.defs) {
				used[f] = true
			}
		}
	}
	kept := defs[:0]
	for _, d := range defs {
		if f, ok := d.(*ast.FragmentDefinition); ok && !used[f] {
			w.found = true
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// fragmentWalk is the schema and the document's named fragments. A dry
// run changes nothing and only finds whether anything would be skipped.
type fragmentWalk struct {
	schema *graphql.Schema
	defs   fragments
	dryRun bool
	found  bool
}

// typeCondition is the schema's type a fragment's condition names, nil
// when there is none such.
func typeCondition(schema *graphql.Schema, cond *ast.Named) graphql.Type {
	if cond == nil || cond.Name == nil {
		return nil
	}
	return schema.Type(cond.Name.Value)
}

// documentFragments are doc's named fragments by name (the last of a name,
// as graphql-go's validation sees them).
func documentFragments(doc *ast.Document) fragments {
	frags := fragments{}
	for _, d := range doc.Definitions {
		if f, ok := d.(*ast.FragmentDefinition); ok && f.Name != nil {
			frags[f.Name.Value] = f
		}
	}
	return frags
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

// selectionSet filters set, whose type is parent, and recurses into its
// fields and kept inline fragments (named ones are walked once, as
// definitions). A parent unknown here (a field validation will refuse) is
// left alone.
func (w *fragmentWalk) selectionSet(parent graphql.Type, set *ast.SelectionSet) {
	if parent == nil || set == nil {
		return
	}
	var kept []ast.Selection
	for _, sel := range set.Selections {
		skip := false
		switch sel := sel.(type) {
		case *ast.Field:
			if def := graphql.DefaultTypeInfoFieldDef(w.schema, parent, sel); def != nil {
				w.selectionSet(namedType(def.Type), sel.SelectionSet)
			}
		case *ast.InlineFragment:
			inner := parent
			if sel.TypeCondition != nil {
				inner = typeCondition(w.schema, sel.TypeCondition)
				skip = inner == nil || !canApply(w.schema, parent, inner)
			}
			if !skip {
				w.selectionSet(inner, sel.SelectionSet)
			}
		case *ast.FragmentSpread:
			// An undefined fragment is left for validation to name.
			if def := w.defs[spreadName(sel)]; def != nil {
				t := typeCondition(w.schema, def.TypeCondition)
				skip = t == nil || !canApply(w.schema, parent, t)
			}
		}
		if skip {
			w.found = true
		} else if !w.dryRun {
			kept = append(kept, sel)
		}
	}
	if !w.dryRun {
		set.Selections = kept
	}
}

func spreadName(s *ast.FragmentSpread) string {
	if s.Name == nil {
		return ""
	}
	return s.Name.Value
}

// canApply tells whether some object type is both a parent and a fragment
// type, as the spec's fragment-spread-is-possible rule reads it. Types that
// are not composite are left for validation to refuse.
func canApply(schema *graphql.Schema, parent, fragment graphql.Type) bool {
	if parent.Name() == fragment.Name() {
		return true // an interface without implementations still applies to itself
	}
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
