package graphql

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// checkVariables validates each variable against its declared type, as
// GraphQL input coercion does: non-null, lists (a single value counts as a
// one-element list), Int/Float/String/Boolean, enum values, and input
// objects' unknown and missing required fields. Custom scalars accept any
// value: Postgres parses them from the bind parameter.
// types are the declared types (variableTypes), resolved once per prepared
// operation.
func checkVariables(types []graphql.Input, defs []*ast.VariableDefinition, vars map[string]any) error {
	for i, d := range defs {
		name := d.Variable.Name.Value
		t := types[i]
		if t == nil {
			return &queryError{Code: "validation-failed", Path: "$.variableValues." + name,
				Message: fmt.Sprintf("variable %q has an unknown type", name)}
		}
		v, present := vars[name]
		if msg := checkInput(t, v, present); msg != "" {
			b, _ := json.Marshal(toJSONValue(v))
			return &queryError{Code: "validation-failed", Path: "$.variableValues." + name,
				Message: fmt.Sprintf("Variable \"$%s\" got invalid value %s.\n%s", name, b, msg)}
		}
		if err := checkGeoJSONInput(t, v, name); err != nil {
			return err
		}
	}
	return nil
}

// variableTypes resolves declared variable types in the role's schema; nil
// for an unknown type.
func variableTypes(s *graphql.Schema, defs []*ast.VariableDefinition) []graphql.Input {
	types := make([]graphql.Input, len(defs))
	for i, d := range defs {
		types[i] = inputTypeOf(s, d.Type)
	}
	return types
}

func inputTypeOf(s *graphql.Schema, t ast.Type) graphql.Input {
	switch t := t.(type) {
	case *ast.NonNull:
		if in := inputTypeOf(s, t.Type); in != nil {
			return graphql.NewNonNull(in)
		}
	case *ast.List:
		if in := inputTypeOf(s, t.Type); in != nil {
			return graphql.NewList(in)
		}
	case *ast.Named:
		if in, ok := s.Type(t.Name.Value).(graphql.Input); ok {
			return in
		}
	}
	return nil
}

// checkInput returns why v is not a value of t, or "".
func checkInput(t graphql.Input, v any, present bool) string {
	if nn, ok := t.(*graphql.NonNull); ok {
		if !present || v == nil {
			return fmt.Sprintf("Expected %q, found null.", nn.String())
		}
		return checkInput(nn.OfType.(graphql.Input), v, true)
	}
	if v == nil {
		return ""
	}
	switch t := t.(type) {
	case *graphql.List:
		inner := t.OfType.(graphql.Input)
		if list, ok := v.([]any); ok {
			for i, x := range list {
				if msg := checkInput(inner, x, true); msg != "" {
					return fmt.Sprintf("In element #%d: %s", i+1, msg)
				}
			}
			return ""
		}
		return checkInput(inner, v, true)
	case *graphql.Scalar:
		return checkScalar(t.Name(), v)
	case *graphql.Enum:
		s, ok := v.(string)
		if ok {
			for _, ev := range t.Values() {
				if ev.Name == s {
					return ""
				}
			}
		}
		return fmt.Sprintf("Expected type %q.", t.Name())
	case *graphql.InputObject:
		obj, ok := v.(object)
		if !ok {
			return fmt.Sprintf("Expected %q, found not an object.", t.Name())
		}
		fields := t.Fields()
		for _, f := range obj {
			def, known := fields[f.Name]
			if !known {
				return fmt.Sprintf("In field %q: Unknown field.", f.Name)
			}
			if msg := checkInput(def.Type, f.Value, true); msg != "" {
				return fmt.Sprintf("In field %q: %s", f.Name, msg)
			}
		}
		for name, def := range fields {
			if _, ok := def.Type.(*graphql.NonNull); ok && def.DefaultValue == nil {
				if _, given := obj.get(name); !given {
					return fmt.Sprintf("In field %q: Expected %q, found null.", name, def.Type.String())
				}
			}
		}
	}
	return ""
}

func checkScalar(name string, v any) string {
	switch name {
	case "Int":
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil && i >= math.MinInt32 && i <= math.MaxInt32 {
				return ""
			}
		}
	case "Float":
		if n, ok := v.(json.Number); ok {
			if _, err := n.Float64(); err == nil {
				return ""
			}
		}
	case "String":
		if _, ok := v.(string); ok {
			return ""
		}
	case "Boolean":
		if _, ok := v.(bool); ok {
			return ""
		}
	case "ID":
		switch v.(type) {
		case string, json.Number:
			return ""
		}
	default:
		return ""
	}
	return fmt.Sprintf("Expected type %q.", name)
}
