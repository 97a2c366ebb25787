package remoteschema

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// The client's selection read against the remote's schema (fields merged
// by response key, fragments applied by the remote's types), and the
// remote's answer rebuilt along it.

// group is the fields of one response key, merged.
type group struct {
	key, name string
	fields    []*ast.Field
}

func selectionSets(fields []*ast.Field) []*ast.SelectionSet {
	var sets []*ast.SelectionSet
	for _, f := range fields {
		if f.SelectionSet != nil {
			sets = append(sets, f.SelectionSet)
		}
	}
	return sets
}

// collect is GraphQL's CollectFields for an object of the remote's type
// concrete, with type conditions in the client's names.
func (f *forward) collect(sets []*ast.SelectionSet, concrete *typeDef) []*group {
	var groups []*group
	index := map[string]*group{}
	visited := map[string]bool{}
	var walk func(set *ast.SelectionSet)
	walk = func(set *ast.SelectionSet) {
		if set == nil {
			return
		}
		for _, sel := range set.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if !f.included(s.Directives) {
					continue
				}
				key := s.Name.Value
				if s.Alias != nil {
					key = s.Alias.Value
				}
				if g, ok := index[key]; ok {
					g.fields = append(g.fields, s)
					continue
				}
				g := &group{key: key, name: s.Name.Value, fields: []*ast.Field{s}}
				index[key] = g
				groups = append(groups, g)
			case *ast.InlineFragment:
				if f.included(s.Directives) && (s.TypeCondition == nil || f.applies(s.TypeCondition.Name.Value, concrete)) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				name := s.Name.Value
				fd := f.raw.Fragments[name]
				if visited[name] || fd == nil || !f.included(s.Directives) {
					continue
				}
				visited[name] = true
				if fd.TypeCondition == nil || f.applies(fd.TypeCondition.Name.Value, concrete) {
					walk(fd.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return groups
}

// applies reports whether a fragment on the client type cond applies to
// an object of the remote's type concrete.
func (f *forward) applies(cond string, concrete *typeDef) bool {
	orig := f.sv.r.cz.origType(cond)
	if orig == "" {
		return false
	}
	if orig == concrete.Name {
		return true
	}
	t := f.sv.doc.typ(orig)
	if t == nil || !t.abstract() {
		return false
	}
	for _, p := range f.sv.doc.possible(t) {
		if p.Name == concrete.Name {
			return true
		}
	}
	return false
}

// included applies @skip and @include.
func (f *forward) included(dirs []*ast.Directive) bool {
	for _, d := range dirs {
		if d.Name.Value != "skip" && d.Name.Value != "include" {
			continue
		}
		cond := false
		for _, a := range d.Arguments {
			if a.Name.Value != "if" {
				continue
			}
			switch v := a.Value.(type) {
			case *ast.BooleanValue:
				cond = v.Value
			case *ast.Variable:
				cond, _ = f.raw.Variables[v.Name.Value].(bool)
			}
		}
		if (d.Name.Value == "skip") == cond {
			return false
		}
	}
	return true
}

func parseDocument(query string) (*ast.Document, error) {
	return parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(query)})})
}

// rebuild turns the remote's value of a field of type ref into the
// client's: keys in selection order, __typename in client type names.
func (f *forward) rebuild(raw json.RawMessage, ref *typeRef, fields []*ast.Field) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return []byte("null")
	}
	switch ref.Kind {
	case "NON_NULL":
		return f.rebuild(raw, ref.OfType, fields)
	case "LIST":
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return raw
		}
		out := []byte{'['}
		for i, x := range list {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, f.rebuild(x, ref.OfType, fields)...)
		}
		return append(out, ']')
	}
	def := f.sv.doc.typ(ref.named())
	if def == nil || (def.Kind != "OBJECT" && !def.abstract()) {
		return raw
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return raw
	}
	concrete := def
	if def.abstract() {
		var name string
		_ = json.Unmarshal(obj[typenameAlias], &name)
		if concrete = f.sv.doc.typ(name); concrete == nil {
			return []byte("null")
		}
	}
	out := []byte{'{'}
	for i, g := range f.collect(selectionSets(fields), concrete) {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, strconv.Quote(g.key)...)
		out = append(out, ':')
		if g.name == "__typename" {
			out = append(out, strconv.Quote(f.sv.r.cz.typeName(concrete.Name))...)
			continue
		}
		if rel := f.relNamed(concrete.Name, g.name); rel != nil {
			out = append(out, f.joinKey(obj, g.key, rel, g.fields)...)
			continue
		}
		d := concrete.field(f.sv.r.cz.origField(concrete.Name, g.name))
		if d == nil {
			out = append(out, "null"...)
			continue
		}
		f.path = append(f.path, g.key)
		out = append(out, f.rebuild(obj[g.key], d.Type, g.fields)...)
		f.path = f.path[:len(f.path)-1]
	}
	return append(out, '}')
}
