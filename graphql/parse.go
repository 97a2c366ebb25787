package graphql

import (
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/lexer"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// graphql-go's parser predates the `null` literal. parseQuery swaps each
// null in a value position for a same-length marker enum value (so error
// locations stay right), parses, then removes the markers from the AST and
// remembers where they were: validation then sees an absent value, and
// planning restores an explicit null.
const nullMarker = "__nl"

// nullMarks records where explicit nulls were written.
type nullMarks struct {
	args   map[*ast.Field][]string
	fields map[*ast.ObjectValue][]string
}

func (n *nullMarks) argIsNull(f *ast.Field, name string) bool {
	if n == nil {
		return false
	}
	for _, a := range n.args[f] {
		if a == name {
			return true
		}
	}
	return false
}

func parseQuery(query string) (*ast.Document, *nullMarks, error) {
	body := []byte(query)
	replaced := markNulls(body)
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: body, Name: "GraphQL request"})})
	if err != nil {
		return doc, nil, err
	}
	if !replaced {
		for _, d := range doc.Definitions {
			switch d := d.(type) {
			case *ast.OperationDefinition:
				stringOffsets(d.SelectionSet)
			case *ast.FragmentDefinition:
				stringOffsets(d.SelectionSet)
			}
		}
		return doc, nil, nil
	}
	marks := &nullMarks{args: map[*ast.Field][]string{}, fields: map[*ast.ObjectValue][]string{}}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			for _, vd := range d.VariableDefinitions {
				if isNullMarker(vd.DefaultValue) {
					vd.DefaultValue = nil
				} else {
					marks.value(vd.DefaultValue)
				}
			}
			marks.selections(d.SelectionSet)
		case *ast.FragmentDefinition:
			marks.selections(d.SelectionSet)
		}
	}
	return doc, marks, nil
}

// markNulls rewrites null literals in argument values in place.
func markNulls(body []byte) bool {
	lex := lexer.Lex(source.NewSource(&source.Source{Body: body}))
	var prev lexer.TokenKind
	parens, brackets, replaced := 0, 0, false
	for {
		tok, err := lex(0)
		if err != nil || tok.Kind == lexer.EOF {
			return replaced
		}
		switch tok.Kind {
		case lexer.PAREN_L:
			parens++
		case lexer.PAREN_R:
			parens--
		case lexer.BRACKET_L:
			brackets++
		case lexer.BRACKET_R:
			brackets--
		case lexer.NAME:
			inValue := prev == lexer.COLON || prev == lexer.EQUALS || prev == lexer.BRACKET_L || brackets > 0
			if tok.Value == "null" && parens > 0 && inValue && tok.End-tok.Start == 4 {
				copy(body[tok.Start:tok.End], nullMarker)
				replaced = true
			}
		}
		prev = tok.Kind
	}
}

func isNullMarker(v ast.Value) bool {
	e, ok := v.(*ast.EnumValue)
	return ok && e.Value == nullMarker
}

func (n *nullMarks) selections(set *ast.SelectionSet) {
	if set == nil {
		return
	}
	for _, sel := range set.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			offsetAsInt(s)
			kept := s.Arguments[:0]
			for _, a := range s.Arguments {
				if isNullMarker(a.Value) {
					n.args[s] = append(n.args[s], a.Name.Value)
					continue
				}
				n.value(a.Value)
				kept = append(kept, a)
			}
			s.Arguments = kept
			n.selections(s.SelectionSet)
		case *ast.InlineFragment:
			n.selections(s.SelectionSet)
		}
	}
}

func (n *nullMarks) value(v ast.Value) {
	switch v := v.(type) {
	case *ast.ObjectValue:
		kept := v.Fields[:0]
		for _, f := range v.Fields {
			if isNullMarker(f.Value) {
				n.fields[v] = append(n.fields[v], f.Name.Value)
				continue
			}
			n.value(f.Value)
			kept = append(kept, f)
		}
		v.Fields = kept
	case *ast.ListValue:
		kept := v.Values[:0]
		for _, x := range v.Values {
			if !isNullMarker(x) {
				n.value(x)
				kept = append(kept, x)
			}
		}
		v.Values = kept
	}
}

// Hasura reads `offset: "10"` as offset 10 (its offset parser takes an
// integer written as a string, for bigint offsets); graphql-go's Int does
// not, so such literals become integers before validation.
func offsetAsInt(f *ast.Field) {
	for _, a := range f.Arguments {
		if a.Name.Value != "offset" {
			continue
		}
		if sv, ok := a.Value.(*ast.StringValue); ok && isDigits(sv.Value) {
			a.Value = &ast.IntValue{Kind: "IntValue", Value: sv.Value, Loc: sv.Loc}
		}
	}
}

func stringOffsets(set *ast.SelectionSet) {
	if set == nil {
		return
	}
	for _, sel := range set.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			offsetAsInt(s)
			stringOffsets(s.SelectionSet)
		case *ast.InlineFragment:
			stringOffsets(s.SelectionSet)
		}
	}
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
