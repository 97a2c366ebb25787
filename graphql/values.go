package graphql

import (
	"encoding/json"

	"github.com/graphql-go/graphql/language/ast"
)

// Input values after variables are substituted: nil, string, bool,
// json.Number, []any or object. Objects keep their key order because
// order_by's keys are ordered, as in Hasura.
type object []objField

type objField struct {
	Name  string
	Value any
}

func (o object) get(name string) (any, bool) {
	for _, f := range o {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// decodeOrdered parses JSON keeping object key order.
func decodeOrdered(b []byte) (any, error) {
	p := &scanner{b: b}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, p.errorf("unexpected data after the value")
	}
	return v, nil
}

// valueOf resolves an argument's AST value with the request's variables;
// marks restores explicit nulls the parser could not represent.
func valueOf(v ast.Value, vars map[string]any, marks ...*nullMarks) any {
	switch v := v.(type) {
	case nil:
		return nil
	case *ast.Variable:
		return vars[v.Name.Value]
	case *ast.StringValue:
		return v.Value
	case *ast.IntValue:
		return json.Number(v.Value)
	case *ast.FloatValue:
		return json.Number(v.Value)
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	case *ast.ListValue:
		out := make([]any, 0, len(v.Values))
		for _, x := range v.Values {
			out = append(out, valueOf(x, vars, marks...))
		}
		return out
	case *ast.ObjectValue:
		out := make(object, 0, len(v.Fields))
		for _, f := range v.Fields {
			if vr, ok := f.Value.(*ast.Variable); ok {
				if _, present := vars[vr.Name.Value]; !present {
					continue // an absent variable leaves the field out
				}
			}
			out = append(out, objField{Name: f.Name.Value, Value: valueOf(f.Value, vars, marks...)})
		}
		if len(marks) > 0 && marks[0] != nil {
			for _, name := range marks[0].fields[v] {
				out = append(out, objField{Name: name, Value: nil})
			}
		}
		return out
	}
	return nil
}

// toJSONValue converts an input value back into plain JSON-encodable form
// (for jsonb operands and function arguments).
func toJSONValue(v any) any {
	switch v := v.(type) {
	case object:
		m := make(map[string]any, len(v))
		for _, f := range v {
			m[f.Name] = toJSONValue(f.Value)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = toJSONValue(x)
		}
		return out
	}
	return v
}

// asList treats a single value as a one-element list, as GraphQL input coercion does.
func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

func asObject(v any) object {
	o, _ := v.(object)
	return o
}
