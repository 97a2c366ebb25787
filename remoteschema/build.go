package remoteschema

import (
	"strconv"

	engine "github.com/graftql/graft/graphql"
	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// typeBuilder makes graphql-go types of remote schemas for one role's
// schema. A type name exists once per schema: the first definition of a
// name wins (two remotes with the same types share them, as Hasura merges
// identical types), and a table's row type of the same name is reused.
type typeBuilder struct {
	types *engine.SchemaTypes
	reg   map[string]gql.Type // client type name -> type
}

// remoteTypes builds one remote's types through the shared builder.
type remoteTypes struct {
	*typeBuilder
	r   *Remote
	doc *schemaDoc // the remote's schema as the role sees it
}

func (rt *remoteTypes) output(ref *typeRef) gql.Output {
	switch ref.Kind {
	case "NON_NULL":
		return gql.NewNonNull(rt.output(ref.OfType))
	case "LIST":
		return gql.NewList(rt.output(ref.OfType))
	}
	if t, ok := rt.named(ref.named()).(gql.Output); ok {
		return t
	}
	return gql.String // a name another remote took for an input type
}

func (rt *remoteTypes) input(ref *typeRef) gql.Input {
	switch ref.Kind {
	case "NON_NULL":
		return gql.NewNonNull(rt.input(ref.OfType))
	case "LIST":
		return gql.NewList(rt.input(ref.OfType))
	}
	if t, ok := rt.named(ref.named()).(gql.Input); ok {
		return t
	}
	return gql.String // a name another remote took for an output type
}

// named returns the type for a remote type name, under its client name.
func (rt *remoteTypes) named(orig string) gql.Type {
	name := rt.r.cz.typeName(orig)
	if t, ok := rt.reg[name]; ok {
		return t
	}
	def := rt.doc.typ(orig)
	if def == nil {
		return gql.String // unreachable: validation checked every reference
	}
	var t gql.Type
	switch def.Kind {
	case "SCALAR":
		t = rt.scalar(orig, name)
	case "OBJECT":
		if tbl := rt.tableObject(name); tbl != nil {
			t = tbl
			break
		}
		t = gql.NewObject(gql.ObjectConfig{Name: name, Description: str(def.Description),
			Fields:     gql.FieldsThunk(func() gql.Fields { return rt.fields(def) }),
			Interfaces: gql.InterfacesThunk(func() []*gql.Interface { return rt.interfaces(def) }),
			IsTypeOf:   func(gql.IsTypeOfParams) bool { return false }})
	case "INTERFACE":
		t = gql.NewInterface(gql.InterfaceConfig{Name: name, Description: str(def.Description),
			Fields:      gql.FieldsThunk(func() gql.Fields { return rt.fields(def) }),
			ResolveType: func(gql.ResolveTypeParams) *gql.Object { return nil }})
	case "UNION":
		t = gql.NewUnion(gql.UnionConfig{Name: name, Description: str(def.Description),
			Types:       gql.UnionTypesThunk(func() []*gql.Object { return rt.members(def) }),
			ResolveType: func(gql.ResolveTypeParams) *gql.Object { return nil }})
	case "ENUM":
		values := gql.EnumValueConfigMap{}
		for _, v := range def.EnumValues {
			values[v.Name] = &gql.EnumValueConfig{Value: v.Name, Description: str(v.Description)}
		}
		t = gql.NewEnum(gql.EnumConfig{Name: name, Description: str(def.Description), Values: values})
	case "INPUT_OBJECT":
		t = gql.NewInputObject(gql.InputObjectConfig{Name: name, Description: str(def.Description),
			Fields: gql.InputObjectConfigFieldMapThunk(func() gql.InputObjectConfigFieldMap { return rt.inputFields(def) })})
	default:
		t = gql.String
	}
	rt.reg[name] = t
	return t
}

func (rt *remoteTypes) scalar(orig, name string) gql.Type {
	if orig == name {
		switch orig {
		case "Int":
			return gql.Int
		case "Float":
			return gql.Float
		case "String":
			return gql.String
		case "Boolean":
			return gql.Boolean
		case "ID":
			return gql.ID
		}
	}
	return rt.types.Scalar(name)
}

// tableObject is a table's row type named name, which the remote's type
// of the same name merges into.
func (rt *remoteTypes) tableObject(name string) *gql.Object {
	for _, t := range rt.types.Snapshot().Tables {
		if t.GQLName == name {
			return rt.types.TableObject(t)
		}
	}
	return nil
}

func (rt *remoteTypes) fields(def *typeDef) gql.Fields {
	out := gql.Fields{}
	for i := range def.Fields {
		f := &def.Fields[i]
		out[rt.r.cz.fieldName(def.Name, f.Name)] = rt.field(f)
	}
	if def.Kind == "OBJECT" {
		rt.relFields(def, out)
	}
	return out
}

func (rt *remoteTypes) field(f *fieldDef) *gql.Field {
	args := gql.FieldConfigArgument{}
	for i := range f.Args {
		a := &f.Args[i]
		if rt.doc.hidden(a) {
			continue
		}
		args[a.Name] = &gql.ArgumentConfig{Type: rt.input(optionalWithDefault(a)), Description: str(a.Description), DefaultValue: defaultValue(a.DefaultValue)}
	}
	return &gql.Field{Type: rt.output(f.Type), Args: args, Description: str(f.Description)}
}

func (rt *remoteTypes) interfaces(def *typeDef) []*gql.Interface {
	var out []*gql.Interface
	for _, n := range def.Interfaces {
		if i, ok := rt.named(n).(*gql.Interface); ok {
			out = append(out, i)
		}
	}
	return out
}

func (rt *remoteTypes) members(def *typeDef) []*gql.Object {
	var out []*gql.Object
	for _, n := range def.PossibleTypes {
		if o, ok := rt.named(n).(*gql.Object); ok {
			out = append(out, o)
		}
	}
	return out
}

func (rt *remoteTypes) inputFields(def *typeDef) gql.InputObjectConfigFieldMap {
	out := gql.InputObjectConfigFieldMap{}
	for _, f := range def.InputFields {
		if rt.doc.hidden(&f) {
			continue
		}
		out[f.Name] = &gql.InputObjectFieldConfig{Type: rt.input(optionalWithDefault(&f)), Description: str(f.Description), DefaultValue: defaultValue(f.DefaultValue)}
	}
	return out
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// defaultValue turns an introspected default (GraphQL literal text) into
// a Go value; one it cannot read is dropped.
func defaultValue(lit *string) any {
	if lit == nil {
		return nil
	}
	v, err := parser.ParseValue(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(*lit)})})
	if err != nil {
		return nil
	}
	return literal(v)
}

func literal(v ast.Value) any {
	switch v := v.(type) {
	case *ast.IntValue:
		n, _ := strconv.Atoi(v.Value)
		return n
	case *ast.FloatValue:
		f, _ := strconv.ParseFloat(v.Value, 64)
		return f
	case *ast.StringValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, x := range v.Values {
			out[i] = literal(x)
		}
		return out
	case *ast.ObjectValue:
		out := map[string]any{}
		for _, f := range v.Fields {
			out[f.Name.Value] = literal(f.Value)
		}
		return out
	}
	return nil
}

// rootFields adds a remote's fields of root (query or mutation) to into:
// under the namespace field, or each under its client name.
func (rt *remoteTypes) rootFields(root string, into gql.Fields) {
	def := rt.doc.typ(root)
	if def == nil || len(def.Fields) == 0 {
		return
	}
	if ns := rt.r.cz.namespace; ns != "" {
		into[ns] = &gql.Field{Type: gql.NewNonNull(rt.named(root))}
		return
	}
	for i := range def.Fields {
		f := &def.Fields[i]
		into[rt.r.cz.fieldName(root, f.Name)] = rt.field(f)
	}
}

// addImplementations puts the objects implementing the remote's interfaces
// in the schema: no field may lead to them, yet fragments name them.
func (rt *remoteTypes) addImplementations() {
	for _, t := range rt.doc.types {
		if t.Kind != "INTERFACE" {
			continue
		}
		for _, p := range rt.doc.possible(t) {
			rt.types.AddType(rt.named(p.Name))
		}
	}
}

// optionalWithDefault is the type a client may give a value of: a
// non-null type with a default may be left out (the remote applies the
// default), which graphql-go's validation, older than that rule, refuses.
func optionalWithDefault(v *inputValue) *typeRef {
	if v.DefaultValue != nil && v.Type.Kind == "NON_NULL" {
		return v.Type.OfType
	}
	return v.Type
}
