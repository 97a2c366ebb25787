// Package remoteschema serves Hasura's remote schemas: it introspects a
// remote GraphQL server and checks what it answers (Loader, for package
// metadata), adds the remote's customized root fields and types to each
// role's schema, and forwards a request's remote root fields to the server
// as GraphQL text with the customization undone, rebuilding the answer in
// the client's terms (Source, a graphql.RootSource).
package remoteschema

import (
	"encoding/json"
	"fmt"
)

// typeRef is an introspected type reference: a named type or a wrapper.
type typeRef struct {
	Kind   string   `json:"kind"`
	Name   *string  `json:"name"`
	OfType *typeRef `json:"ofType"`
}

// named is the innermost type's name.
func (t *typeRef) named() string {
	for t != nil && t.OfType != nil && (t.Kind == "NON_NULL" || t.Kind == "LIST") {
		t = t.OfType
	}
	if t == nil || t.Name == nil {
		return ""
	}
	return *t.Name
}

// String prints the reference in SDL form: [Int!]!.
func (t *typeRef) String() string {
	switch {
	case t == nil:
		return "?"
	case t.Kind == "NON_NULL":
		return t.OfType.String() + "!"
	case t.Kind == "LIST":
		return "[" + t.OfType.String() + "]"
	case t.Name != nil:
		return *t.Name
	}
	return "?"
}

type inputValue struct {
	Name         string   `json:"name"`
	Description  *string  `json:"description"`
	Type         *typeRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
	// preset hides it from a role and fills it in (perms.go).
	preset *preset
}

type fieldDef struct {
	Name        string       `json:"name"`
	Description *string      `json:"description"`
	Args        []inputValue `json:"args"`
	Type        *typeRef     `json:"type"`
}

func (f *fieldDef) arg(name string) *inputValue {
	for i := range f.Args {
		if f.Args[i].Name == name {
			return &f.Args[i]
		}
	}
	return nil
}

type enumValue struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// typeDef is one entry of __schema.types.
type typeDef struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Description   *string      `json:"description"`
	Fields        []fieldDef   `json:"fields"`
	InputFields   []inputValue `json:"inputFields"`
	Interfaces    []string     `json:"-"`
	PossibleTypes []string     `json:"-"`
	EnumValues    []enumValue  `json:"enumValues"`
}

func (t *typeDef) field(name string) *fieldDef {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i]
		}
	}
	return nil
}

func (t *typeDef) inputField(name string) *inputValue {
	for i := range t.InputFields {
		if t.InputFields[i].Name == name {
			return &t.InputFields[i]
		}
	}
	return nil
}

func (t *typeDef) abstract() bool { return t.Kind == "INTERFACE" || t.Kind == "UNION" }

// schemaDoc is a remote schema as introspection describes it.
type schemaDoc struct {
	types                               []*typeDef
	byName                              map[string]*typeDef
	queryRoot, mutationRoot, subscrRoot string
}

func (d *schemaDoc) typ(name string) *typeDef { return d.byName[name] }

// possible are the object types an abstract type can be, in types order.
func (d *schemaDoc) possible(t *typeDef) []*typeDef {
	var out []*typeDef
	switch t.Kind {
	case "OBJECT":
		return []*typeDef{t}
	case "UNION":
		for _, n := range t.PossibleTypes {
			if p := d.byName[n]; p != nil {
				out = append(out, p)
			}
		}
	case "INTERFACE":
		for _, o := range d.types {
			if o.Kind == "OBJECT" && contains(o.Interfaces, t.Name) {
				out = append(out, o)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseIntrospection reads an introspection result ({"data":{"__schema":…}}).
// Errors name the JSON path as Hasura's parser does.
func parseIntrospection(body []byte) (*schemaDoc, error) {
	var res struct {
		Data *struct {
			Schema *struct {
				QueryType        *struct{ Name string } `json:"queryType"`
				MutationType     *struct{ Name string } `json:"mutationType"`
				SubscriptionType *struct{ Name string } `json:"subscriptionType"`
				Types            []json.RawMessage      `json:"types"`
			} `json:"__schema"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("Error in $: %w", err)
	}
	if res.Data == nil || res.Data.Schema == nil {
		return nil, fmt.Errorf(`Error in $: key "data" or "__schema" not found`)
	}
	s := res.Data.Schema
	if s.QueryType == nil {
		return nil, fmt.Errorf(`Error in $.data.__schema: key "queryType" not found`)
	}
	d := &schemaDoc{byName: map[string]*typeDef{}, queryRoot: s.QueryType.Name}
	if s.MutationType != nil {
		d.mutationRoot = s.MutationType.Name
	}
	if s.SubscriptionType != nil {
		d.subscrRoot = s.SubscriptionType.Name
	}
	for i, raw := range s.Types {
		t, err := parseType(raw, i)
		if err != nil {
			return nil, err
		}
		d.types = append(d.types, t)
		d.byName[t.Name] = t
	}
	// Hasura adds the default roots when the schema names none.
	if d.mutationRoot == "" && d.byName["Mutation"] != nil && d.byName["Mutation"].Kind == "OBJECT" {
		d.mutationRoot = "Mutation"
	}
	return d, nil
}

func parseType(raw json.RawMessage, i int) (*typeDef, error) {
	var t typeDef
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("Error in $.types[%d]: %w", i, err)
	}
	var refs struct {
		Interfaces    []map[string]any `json:"interfaces"`
		PossibleTypes []map[string]any `json:"possibleTypes"`
	}
	if err := json.Unmarshal(raw, &refs); err != nil {
		return nil, fmt.Errorf("Error in $.types[%d]: %w", i, err)
	}
	names := func(key string, list []map[string]any) ([]string, error) {
		out := make([]string, 0, len(list))
		for j, r := range list {
			n, ok := r["name"].(string)
			if !ok {
				return nil, fmt.Errorf("Error in $.types[%d].%s[%d].name: parsing Name failed, expected String, but encountered Null", i, key, j)
			}
			out = append(out, n)
		}
		return out, nil
	}
	var err error
	if t.Interfaces, err = names("interfaces", refs.Interfaces); err != nil {
		return nil, err
	}
	if t.PossibleTypes, err = names("possibleTypes", refs.PossibleTypes); err != nil {
		return nil, err
	}
	if t.Name == "" {
		return nil, fmt.Errorf("Error in $.types[%d]: key \"name\" not found", i)
	}
	return &t, nil
}

// introspectionQuery is what the loader sends: the standard query, deep
// enough for [[T!]!]!.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
