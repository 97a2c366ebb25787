package graphql

import (
	"maps"
	"slices"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/visitor"
)

// A source with naming_convention graphql-default is served with
// camelCase fields and arguments, PascalCase types and UPPERCASE enum
// values (schema_rename.go). The planner and the SQL builder speak
// Hasura's default names, so a request is translated back once, when it is
// prepared: each field, argument, input field and enum value of such a
// source's types is renamed to its original, and a field without an alias
// gets its requested name as alias, so the response keeps the names asked
// for. Variables are translated the same way, by their declared types, on
// every request (translateVariables).

// namingMaps record, per renamed type, each new name's original.
type namingMaps struct {
	fields map[string]map[string]string // object type -> field
	args   map[string]map[string]string // "<type>.<field>" -> argument
	inputs map[string]map[string]string // input object type -> field
	enums  map[string]map[string]string // enum type -> value
}

func newNamingMaps() *namingMaps {
	return &namingMaps{fields: map[string]map[string]string{}, args: map[string]map[string]string{},
		inputs: map[string]map[string]string{}, enums: map[string]map[string]string{}}
}

// objectFields camelCases an object's fields and their arguments.
func (n *namingMaps) objectFields(typeName string, fields graphql.FieldDefinitionMap) {
	n.fields[typeName] = camelKeys(fields, func(fd *graphql.FieldDefinition, nn string) { fd.Name = nn })
	for nn, fd := range fields {
		if len(fd.Args) > 0 {
			argOrig := map[string]string{}
			for _, a := range fd.Args {
				an := metadata.CamelName(a.PrivateName)
				argOrig[an] = a.PrivateName
				a.PrivateName = an
			}
			n.args[typeName+"."+nn] = argOrig
		}
	}
}

// inputFields camelCases an input object's fields.
func (n *namingMaps) inputFields(typeName string, fields graphql.InputObjectFieldMap) {
	n.inputs[typeName] = camelKeys(fields, func(f *graphql.InputObjectField, nn string) { f.PrivateName = nn })
}

// camelKeys camelCases the keys of m in place, rename giving each value
// its new name, and returns each new name's original.
func camelKeys[M ~map[string]V, V any](m M, rename func(V, string)) map[string]string {
	orig := make(map[string]string, len(m))
	for _, name := range slices.Collect(maps.Keys(m)) {
		v := m[name]
		nn := metadata.CamelName(name)
		if nn != name {
			delete(m, name)
			rename(v, nn)
			m[nn] = v
		}
		orig[nn] = name
	}
	return orig
}

// enumValues upper-cases an enum's values.
func (n *namingMaps) enumValues(typeName string, values []*graphql.EnumValueDefinition) {
	orig := map[string]string{}
	for _, v := range values {
		nv := metadata.EnumValueName(v.Name)
		orig[nv] = v.Name
		v.Name = nv
	}
	n.enums[typeName] = orig
}

// translateDocument renames, in place, what the request selects of
// graphql-default sources back to Hasura's default names. doc must be
// valid against schema.
func (n *namingMaps) translateDocument(schema *graphql.Schema, doc *ast.Document) {
	ti := graphql.NewTypeInfo(&graphql.TypeInfoConfig{Schema: schema})
	var inputs []graphql.Type // the input object types being read, innermost last
	inDefault := false        // variable defaults are translated with the variables
	enter := func(p visitor.VisitFuncParams) (string, interface{}) {
		if _, ok := p.Node.(*ast.VariableDefinition); ok {
			inDefault = true
		}
		if inDefault {
			return visitor.ActionNoChange, nil
		}
		switch node := p.Node.(type) {
		case *ast.Field:
			parent := ti.ParentType()
			if parent == nil || node.Name == nil {
				break
			}
			if orig, ok := n.fields[parent.Name()][node.Name.Value]; ok && orig != node.Name.Value {
				if node.Alias == nil {
					node.Alias = &ast.Name{Kind: "Name", Value: node.Name.Value}
				}
				node.Name = &ast.Name{Kind: "Name", Value: orig}
			}
		case *ast.Argument:
			parent, fd := ti.ParentType(), ti.FieldDef()
			if parent == nil || fd == nil || node.Name == nil {
				break
			}
			if orig, ok := n.args[parent.Name()+"."+fd.Name][node.Name.Value]; ok {
				node.Name = &ast.Name{Kind: "Name", Value: orig}
			}
		case *ast.ObjectValue:
			inputs = append(inputs, namedInput(ti.InputType()))
		case *ast.ObjectField:
			if len(inputs) == 0 || inputs[len(inputs)-1] == nil || node.Name == nil {
				break
			}
			if orig, ok := n.inputs[inputs[len(inputs)-1].Name()][node.Name.Value]; ok {
				node.Name = &ast.Name{Kind: "Name", Value: orig}
			}
		case *ast.EnumValue:
			if t := namedInput(ti.InputType()); t != nil {
				if orig, ok := n.enums[t.Name()][node.Value]; ok {
					node.Value = orig
				}
			}
		}
		return visitor.ActionNoChange, nil
	}
	leave := func(p visitor.VisitFuncParams) (string, interface{}) {
		switch p.Node.(type) {
		case *ast.VariableDefinition:
			inDefault = false
		case *ast.ObjectValue:
			if !inDefault && len(inputs) > 0 {
				inputs = inputs[:len(inputs)-1]
			}
		}
		return visitor.ActionNoChange, nil
	}
	visitor.Visit(doc, visitor.VisitWithTypeInfo(ti, &visitor.VisitorOptions{Enter: enter, Leave: leave}), nil)
}

// translateValue renames a variable's value, of type t, back to Hasura's
// default names: input object fields and enum values.
func (n *namingMaps) translateValue(t graphql.Input, v any) any {
	switch tt := t.(type) {
	case *graphql.NonNull:
		return n.translateValue(tt.OfType, v)
	case *graphql.List:
		list, ok := v.([]any)
		if !ok {
			return n.translateValue(tt.OfType, v)
		}
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = n.translateValue(tt.OfType, x)
		}
		return out
	case *graphql.Enum:
		if s, ok := v.(string); ok {
			if orig, ok := n.enums[tt.Name()][s]; ok {
				return orig
			}
		}
	case *graphql.InputObject:
		obj, ok := v.(object)
		if !ok {
			return v
		}
		orig := n.inputs[tt.Name()]
		fields := tt.Fields()
		out := make(object, len(obj))
		for i, f := range obj {
			out[i] = f
			if ft, ok := fields[f.Name]; ok {
				out[i].Value = n.translateValue(ft.Type, f.Value)
			}
			if o, ok := orig[f.Name]; ok {
				out[i].Name = o
			}
		}
		return out
	}
	return v
}

// namedInput is t without its list and non-null wrappers; nil for none.
func namedInput(t graphql.Input) graphql.Type {
	for {
		switch tt := t.(type) {
		case *graphql.NonNull:
			t = tt.OfType
		case *graphql.List:
			t = tt.OfType
		case nil:
			return nil
		default:
			return tt
		}
	}
}
