package graphql

import (
	"slices"
	"strings"

	"github.com/graphql-go/graphql/language/ast"
)

// checkRepeatedDirectives rejects a directive used twice on one element, as
// Hasura does (graphql-go's rules predate the spec's
// UniqueDirectivesPerLocation). The error's path is the selection set that
// holds the element, as Hasura reports it.
func checkRepeatedDirectives(doc *ast.Document) error {
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if err := repeatedDirectives(doc, d.Directives, nil); err != nil {
				return err
			}
			if err := repeatedInSet(doc, d.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentDefinition:
			if err := repeatedDirectives(doc, d.Directives, nil); err != nil {
				return err
			}
			if err := repeatedInSet(doc, d.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

func repeatedInSet(doc *ast.Document, set *ast.SelectionSet) error {
	if set == nil {
		return nil
	}
	for _, sel := range set.Selections {
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			if err = repeatedDirectives(doc, s.Directives, s.Loc); err == nil {
				err = repeatedInSet(doc, s.SelectionSet)
			}
		case *ast.InlineFragment:
			if err = repeatedDirectives(doc, s.Directives, s.Loc); err == nil {
				err = repeatedInSet(doc, s.SelectionSet)
			}
		case *ast.FragmentSpread:
			err = repeatedDirectives(doc, s.Directives, s.Loc)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// repeatedDirectives reports the directives used more than once in dirs;
// loc is the element's location (nil: the operation or a fragment).
func repeatedDirectives(doc *ast.Document, dirs []*ast.Directive, loc *ast.Location) error {
	if len(dirs) < 2 {
		return nil
	}
	var repeated []string
	for i, d := range dirs {
		for _, e := range dirs[:i] {
			if e.Name.Value == d.Name.Value && !slices.Contains(repeated, d.Name.Value) {
				repeated = append(repeated, d.Name.Value)
			}
		}
	}
	if len(repeated) == 0 {
		return nil
	}
	path := "$"
	if loc != nil {
		if p := pathAt(doc, loc.Start); p != "" {
			path = p[:strings.LastIndex(p, ".")] // the enclosing selection set
		}
	}
	return &queryError{Code: "validation-failed", Path: path,
		Message: "the following directives are used more than once: " + strings.Join(repeated, ", ")}
}
