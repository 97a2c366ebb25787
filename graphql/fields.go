package graphql

import (
	"github.com/graphql-go/graphql/language/ast"
)

// fragments are a document's named fragments.
type fragments map[string]*ast.FragmentDefinition

// fieldGroup is every AST field sharing one response key: GraphQL merges
// their selection sets (two fragments may each select part of a relationship).
type fieldGroup struct {
	Key    string
	Name   string
	Fields []*ast.Field
}

func (g *fieldGroup) first() *ast.Field { return g.Fields[0] }

// arg returns an argument's value from the first field of the group.
func (c *compiler) arg(g *fieldGroup, name string) (any, bool) {
	if c.nulls.argIsNull(g.first(), name) {
		return nil, true
	}
	for _, a := range g.first().Arguments {
		if a.Name.Value == name {
			if v, ok := a.Value.(*ast.Variable); ok {
				val, present := c.vars[v.Name.Value]
				return val, present
			}
			return valueOf(a.Value, c.vars, c.nulls), true
		}
	}
	return nil, false
}

// subFields collects the merged selection of a group for the given object type.
func (c *compiler) subFields(g *fieldGroup, typeName string) []*fieldGroup {
	var sets []*ast.SelectionSet
	for _, f := range g.Fields {
		if f.SelectionSet != nil {
			sets = append(sets, f.SelectionSet)
		}
	}
	return collectFields(sets, typeName, c.frags, c.vars)
}

// collectFields implements GraphQL's CollectFields: fragments are inlined,
// @skip/@include applied, fields grouped by response key in first-seen order.
// An empty typeName applies every fragment, whatever its type condition.
func collectFields(sets []*ast.SelectionSet, typeName string, frags fragments, vars map[string]any) []*fieldGroup {
	var groups []*fieldGroup
	index := map[string]*fieldGroup{}
	visited := map[string]bool{}
	var walk func(set *ast.SelectionSet)
	walk = func(set *ast.SelectionSet) {
		if set == nil {
			return
		}
		for _, sel := range set.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if !included(s.Directives, vars) {
					continue
				}
				key := s.Name.Value
				if s.Alias != nil {
					key = s.Alias.Value
				}
				if g, ok := index[key]; ok {
					g.Fields = append(g.Fields, s)
					continue
				}
				g := &fieldGroup{Key: key, Name: s.Name.Value, Fields: []*ast.Field{s}}
				index[key] = g
				groups = append(groups, g)
			case *ast.InlineFragment:
				if !included(s.Directives, vars) {
					continue
				}
				if typeName != "" && s.TypeCondition != nil && !typeMatches(s.TypeCondition.Name.Value, typeName) {
					continue
				}
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				name := s.Name.Value
				if visited[name] || !included(s.Directives, vars) {
					continue
				}
				visited[name] = true
				fd := frags[name]
				if fd == nil || (typeName != "" && fd.TypeCondition != nil && !typeMatches(fd.TypeCondition.Name.Value, typeName)) {
					continue
				}
				walk(fd.SelectionSet)
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return groups
}

func included(dirs []*ast.Directive, vars map[string]any) bool {
	for _, d := range dirs {
		if d.Name.Value != "skip" && d.Name.Value != "include" {
			continue
		}
		var cond bool
		for _, a := range d.Arguments {
			if a.Name.Value == "if" {
				cond, _ = valueOf(a.Value, vars).(bool)
			}
		}
		if d.Name.Value == "skip" && cond {
			return false
		}
		if d.Name.Value == "include" && !cond {
			return false
		}
	}
	return true
}

// typeMatches reports whether a fragment on cond applies to an object of
// type typeName. Besides the type itself that is the Relay schema's Node
// interface, which every row type there implements; validation rejects a
// fragment on Node anywhere else.
func typeMatches(cond, typeName string) bool {
	return cond == typeName || cond == "Node"
}
