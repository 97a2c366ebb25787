package graphql

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// scalarName maps a Postgres type name to the GraphQL scalar Hasura uses.
func scalarName(typname string) string {
	switch typname {
	case "int4", "serial":
		return "Int"
	case "int2":
		return "smallint"
	case "int8", "bigserial":
		return "bigint"
	case "float4":
		return "Float"
	case "float8":
		return "float8"
	case "numeric":
		return "numeric"
	case "bool":
		return "Boolean"
	case "text", "varchar":
		return "String"
	case "bpchar":
		return "bpchar"
	}
	return typname // timestamptz, uuid, jsonb, json, date, citext, geometry, _text, ...
}

// Numeric scalars get sum/avg/... aggregates.
func isNumericType(typname string) bool {
	switch typname {
	case "int2", "int4", "int8", "float4", "float8", "numeric", "money":
		return true
	}
	return false
}

// Comparable types get max/min aggregates.
func isComparableType(typname string) bool {
	if isNumericType(typname) {
		return true
	}
	switch typname {
	case "text", "varchar", "bpchar", "citext", "date", "time", "timetz", "timestamp", "timestamptz", "uuid", "interval", "inet":
		return true
	}
	return false
}

func isStringLike(typname string) bool {
	switch typname {
	case "text", "varchar", "bpchar", "citext", "name":
		return true
	}
	return false
}

// anyLiteral accepts every literal: Postgres validates the value (after the
// bind parameter is cast), exactly as Hasura defers to the database.
func anyLiteral(v ast.Value) any {
	switch v := v.(type) {
	case *ast.StringValue:
		return v.Value
	case *ast.IntValue:
		return v.Value
	case *ast.FloatValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	case *ast.ListValue:
		out := make([]any, 0, len(v.Values))
		for _, x := range v.Values {
			out = append(out, anyLiteral(x))
		}
		return out
	case *ast.ObjectValue:
		out := map[string]any{}
		for _, f := range v.Fields {
			out[f.Name.Value] = anyLiteral(f.Value)
		}
		return out
	}
	return nil
}

func newCustomScalar(name string) *graphql.Scalar {
	identity := func(v any) any { return v }
	parseLiteral := anyLiteral
	if name != "json" && name != "jsonb" && name != "geometry" && name != "geography" {
		// Non-JSON scalars take strings and numbers only, as Hasura's do.
		parseLiteral = func(v ast.Value) any {
			switch v.(type) {
			case *ast.StringValue, *ast.IntValue, *ast.FloatValue, *ast.BooleanValue:
				return anyLiteral(v)
			}
			return nil
		}
	}
	return graphql.NewScalar(graphql.ScalarConfig{
		Name: name, Serialize: identity, ParseValue: identity, ParseLiteral: parseLiteral,
	})
}
