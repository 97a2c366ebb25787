package actions

import (
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	gql "github.com/graphql-go/graphql"
)

// typeBuilder makes the GraphQL types of custom types for one role
// schema, each name once.
type typeBuilder struct {
	types   *graphql.SchemaTypes
	ct      *metadata.CustomTypes
	objects map[string]*gql.Object
	inputs  map[string]*gql.InputObject
	enums   map[string]*gql.Enum
}

// RootFields adds the actions the role may call: query actions to
// query_root, the others to mutation_root. Admin sees every action.
func (s *Source) RootFields(types *graphql.SchemaTypes) (query, mutation gql.Fields) {
	snap := types.Snapshot()
	if len(snap.Actions) == 0 {
		return nil, nil
	}
	tb := &typeBuilder{types: types, ct: snap.CustomTypes, objects: map[string]*gql.Object{},
		inputs: map[string]*gql.InputObject{}, enums: map[string]*gql.Enum{}}
	query, mutation = gql.Fields{}, gql.Fields{}
	roles := []string{types.Role()}
	for _, ir := range snap.Metadata.InheritedRoleList() {
		if ir.RoleName == types.Role() {
			roles = ir.RoleSet
		}
	}
	for _, a := range snap.Actions {
		if !allowed(a, roles) {
			continue
		}
		f := &gql.Field{Type: tb.output(a.Output), Args: gql.FieldConfigArgument{}, Description: deref(a.Comment)}
		if a.Async {
			// The mutation answers the call's id; <action>(id) its result.
			f.Type = gql.NewNonNull(types.Scalar("uuid"))
			query[a.Name] = tb.asyncResultField(a)
		}
		for _, arg := range a.Arguments {
			f.Args[arg.Name] = &gql.ArgumentConfig{Type: tb.input(arg.Type), Description: deref(arg.Description)}
		}
		if a.Mutation {
			mutation[a.Name] = f
		} else {
			query[a.Name] = f
		}
	}
	return query, mutation
}

// asyncResultField is <action>(id: uuid!): <action>, the type Hasura
// gives an async call's record.
func (tb *typeBuilder) asyncResultField(a *metadata.Action) *gql.Field {
	output := *a.Output
	output.NonNull = false // no output until the handler answered
	t := gql.NewObject(gql.ObjectConfig{Name: a.Name, Description: deref(a.Comment),
		Fields: gql.FieldsThunk(func() gql.Fields {
			return gql.Fields{
				"created_at": &gql.Field{Type: gql.NewNonNull(tb.types.Scalar("timestamptz"))},
				"errors":     &gql.Field{Type: tb.types.Scalar("json")},
				"id":         &gql.Field{Type: gql.NewNonNull(tb.types.Scalar("uuid"))},
				"output":     &gql.Field{Type: tb.output(&output)},
			}
		})})
	return &gql.Field{Type: t, Description: deref(a.Comment),
		Args: gql.FieldConfigArgument{"id": &gql.ArgumentConfig{Type: gql.NewNonNull(tb.types.Scalar("uuid"))}}}
}

// allowed says whether an action is in the schema of roles: admin's, a
// role with a permission, an inherited role one of whose roles has one.
func allowed(a *metadata.Action, roles []string) bool {
	for _, r := range roles {
		if r == "admin" || a.Roles[r] {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// output is the output type of a type reference.
func (tb *typeBuilder) output(ref *metadata.TypeRef) gql.Output {
	var t gql.Output
	switch {
	case ref.Elem != nil:
		t = gql.NewList(tb.output(ref.Elem))
	case tb.ct.Object(ref.Name) != nil:
		t = tb.object(tb.ct.Object(ref.Name))
	case tb.ct.Enum(ref.Name) != nil:
		t = tb.enum(tb.ct.Enum(ref.Name))
	default:
		t = tb.types.Scalar(ref.Name)
	}
	if ref.NonNull {
		return gql.NewNonNull(t)
	}
	return t
}

// input is the input type of a type reference.
func (tb *typeBuilder) input(ref *metadata.TypeRef) gql.Input {
	var t gql.Input
	switch {
	case ref.Elem != nil:
		t = gql.NewList(tb.input(ref.Elem))
	case tb.ct.InputObject(ref.Name) != nil:
		t = tb.inputObject(tb.ct.InputObject(ref.Name))
	case tb.ct.Enum(ref.Name) != nil:
		t = tb.enum(tb.ct.Enum(ref.Name))
	default:
		t = tb.types.Scalar(ref.Name)
	}
	if ref.NonNull {
		return gql.NewNonNull(t)
	}
	return t
}

func (tb *typeBuilder) enum(e *metadata.EnumType) *gql.Enum {
	if t, ok := tb.enums[e.Name]; ok {
		return t
	}
	vals := gql.EnumValueConfigMap{}
	for _, v := range e.Values {
		cfg := &gql.EnumValueConfig{Value: v.Value, Description: deref(v.Description)}
		if v.IsDeprecated {
			cfg.DeprecationReason = "No longer supported"
		}
		vals[v.Value] = cfg
	}
	t := gql.NewEnum(gql.EnumConfig{Name: e.Name, Description: deref(e.Description), Values: vals})
	tb.enums[e.Name] = t
	return t
}

func (tb *typeBuilder) inputObject(o *metadata.InputObjectType) *gql.InputObject {
	if t, ok := tb.inputs[o.Name]; ok {
		return t
	}
	t := gql.NewInputObject(gql.InputObjectConfig{Name: o.Name, Description: deref(o.Description),
		Fields: gql.InputObjectConfigFieldMapThunk(func() gql.InputObjectConfigFieldMap {
			fields := gql.InputObjectConfigFieldMap{}
			for _, f := range o.Fields {
				fields[f.Name] = &gql.InputObjectFieldConfig{Type: tb.input(f.Ref), Description: deref(f.Description)}
			}
			return fields
		})})
	tb.inputs[o.Name] = t
	return t
}

// object is an output object: its fields, and its relationships to the
// tables the role may read.
func (tb *typeBuilder) object(o *metadata.ObjectType) *gql.Object {
	if t, ok := tb.objects[o.Name]; ok {
		return t
	}
	t := gql.NewObject(gql.ObjectConfig{Name: o.Name, Description: deref(o.Description),
		Fields: gql.FieldsThunk(func() gql.Fields {
			fields := gql.Fields{}
			for _, f := range o.Fields {
				fields[f.Name] = &gql.Field{Type: tb.output(f.Ref), Description: deref(f.Description)}
			}
			for _, r := range o.Relationships {
				if r.Table == nil {
					continue
				}
				if r.Type != "array" {
					if obj := tb.types.TableObject(r.Table); obj != nil {
						fields[r.Name] = &gql.Field{Type: obj, Description: "An object relationship"}
					}
					continue
				}
				if f := tb.types.TableList(r.Table, "An array relationship"); f != nil {
					fields[r.Name] = f
				}
				if f := tb.types.TableAggregate(r.Table, "An aggregate relationship"); f != nil {
					fields[r.Name+"_aggregate"] = f
				}
			}
			return fields
		})})
	tb.objects[o.Name] = t
	return t
}
