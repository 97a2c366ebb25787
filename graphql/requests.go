package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/jackc/pgx/v5/pgconn"
)

// coerceVariables decodes the variables (keeping key order), applies
// defaults, and checks them against their declared types.
func coerceVariables(prep *preparedOp, raw json.RawMessage) (map[string]any, error) {
	v, err := decodeVariables(raw)
	if err != nil {
		return nil, err
	}
	return coerceDecoded(prep, v)
}

// decodeVariables decodes a request's variables; nil for none or null.
func decodeVariables(raw json.RawMessage) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, &queryError{Code: "parse-failed", Path: "$.variables", Message: err.Error()}
	}
	return v, nil
}

// coerceDecoded is coerceVariables on decoded variables (nil: none).
func coerceDecoded(prep *preparedOp, v any) (map[string]any, error) {
	defs := prep.op.VariableDefinitions
	vars := make(map[string]any, len(defs))
	if v != nil {
		obj, ok := v.(object)
		if !ok {
			return nil, &queryError{Code: "parse-failed", Path: "$.variables", Message: "variables must be an object"}
		}
		for _, f := range obj {
			vars[f.Name] = f.Value
		}
	}
	if len(defs) == 0 {
		return vars, nil
	}
	for _, d := range defs {
		name := d.Variable.Name.Value
		if _, ok := vars[name]; !ok && d.DefaultValue != nil {
			vars[name] = valueOf(d.DefaultValue, nil)
		}
	}
	if err := checkVariables(prep.varTypes, defs, vars); err != nil {
		return nil, err
	}
	if prep.naming != nil {
		for i, d := range defs {
			if v, ok := vars[d.Variable.Name.Value]; ok && i < len(prep.varTypes) {
				vars[d.Variable.Name.Value] = prep.naming.translateValue(prep.varTypes[i], v)
			}
		}
	}
	return vars, nil
}

// plainJSON turns an ordered value into what encoding/json would produce.
func plainJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case object:
		m := make(map[string]any, len(v))
		for _, f := range v {
			m[f.Name] = plainJSON(f.Value)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainJSON(x)
		}
		return out
	}
	return v
}

// validationError converts a graphql-go validation error into Hasura's
// wording and path ($.selectionSet.<field>... of the offending field).
func validationError(doc *ast.Document, fe gqlerrors.FormattedError) error {
	msg := fe.Message
	switch msg {
	case "Schema is not configured for mutations.":
		return &queryError{Code: "validation-failed", Path: "$", Message: "no mutations exist"}
	case "Schema is not configured for subscriptions.":
		return &queryError{Code: "validation-failed", Path: "$", Message: "no subscriptions exist"}
	}
	if strings.HasPrefix(msg, "Cannot query field ") {
		// Cannot query field "x" on type "t". -> field "x" not found in type: 't'
		rest := strings.TrimPrefix(msg, "Cannot query field ")
		if i := strings.Index(rest, " on type \""); i > 0 {
			typ := rest[i+len(" on type \""):]
			if j := strings.Index(typ, "\""); j >= 0 {
				typ = typ[:j]
			}
			msg = "field " + rest[:i] + " not found in type: '" + typ + "'"
		}
	}
	path := "$"
	if len(fe.Locations) > 0 && doc.Loc != nil && doc.Loc.Source != nil {
		if p := pathAt(doc, offsetOf(doc.Loc.Source.Body, fe.Locations[0].Line, fe.Locations[0].Column)); p != "" {
			path = p
		}
	}
	return &queryError{Code: "validation-failed", Path: path, Message: msg}
}

func offsetOf(body []byte, line, col int) int {
	l, off := 1, 0
	for off < len(body) && l < line {
		if body[off] == '\n' {
			l++
		}
		off++
	}
	return off + col - 1
}

// pathAt finds the field starting at offset and returns its JSON path.
func pathAt(doc *ast.Document, offset int) string {
	frags := fragments{}
	for _, d := range doc.Definitions {
		if f, ok := d.(*ast.FragmentDefinition); ok {
			frags[f.Name.Value] = f
		}
	}
	var walk func(set *ast.SelectionSet, path string, seen map[string]bool) string
	walk = func(set *ast.SelectionSet, path string, seen map[string]bool) string {
		if set == nil {
			return ""
		}
		for _, sel := range set.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Name.Value
				if s.Alias != nil {
					key = s.Alias.Value
				}
				p := path + ".selectionSet." + key
				if s.Loc != nil && s.Loc.Start <= offset && offset < s.Loc.End {
					if inner := walk(s.SelectionSet, p, seen); inner != "" {
						return inner
					}
					return p
				}
			case *ast.InlineFragment:
				if r := walk(s.SelectionSet, path, seen); r != "" {
					return r
				}
			case *ast.FragmentSpread:
				name := s.Name.Value
				if s.Loc != nil && s.Loc.Start <= offset && offset < s.Loc.End {
					return path + ".selectionSet"
				}
				if fd := frags[name]; fd != nil && !seen[name] {
					seen[name] = true
					if r := walk(fd.SelectionSet, path+".selectionSet."+name, seen); r != "" {
						return r
					}
					delete(seen, name)
				}
			}
		}
		return ""
	}
	for _, d := range doc.Definitions {
		if op, ok := d.(*ast.OperationDefinition); ok {
			if r := walk(op.SelectionSet, "$", map[string]bool{}); r != "" {
				return r
			}
		}
	}
	return ""
}

// dbError maps a Postgres error to Hasura's codes.
func dbError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return &queryError{Code: "unexpected", Path: "$", Message: "database query error: " + err.Error()}
	}
	code := "unexpected"
	switch {
	case pe.Code == "22025": // invalid_escape_sequence: a bad LIKE pattern is the request's fault
		code = "bad-request"
	case strings.HasPrefix(pe.Code, "22"):
		code = "data-exception"
	case strings.HasPrefix(pe.Code, "23"):
		code = "constraint-violation"
	case pe.Code == "42501":
		code = "permission-error"
	case pe.Code == "P0001":
		code = "unexpected"
	}
	return &queryError{Code: code, Path: "$", Message: pe.Message}
}

// introspect answers __schema/__type with graphql-go's executor on the role's
// schema, running only those root fields.
func introspect(rs *roleSchema, prep *preparedOp, vars map[string]any, groups []*fieldGroup) (map[string][]byte, error) {
	op := *prep.op
	set := &ast.SelectionSet{Kind: "SelectionSet"}
	for _, g := range groups {
		for _, f := range g.Fields {
			set.Selections = append(set.Selections, f)
		}
	}
	op.SelectionSet = set
	defs := []ast.Node{&op}
	for _, f := range prep.frags {
		defs = append(defs, f)
	}
	plain := make(map[string]any, len(vars))
	for k, v := range vars {
		plain[k] = plainJSON(v)
	}
	res := graphql.Execute(graphql.ExecuteParams{Schema: rs.Schema, AST: &ast.Document{Kind: "Document", Definitions: defs}, Args: plain})
	if len(res.Errors) > 0 {
		return nil, &queryError{Code: "unexpected", Path: "$", Message: res.Errors[0].Message}
	}
	data, _ := res.Data.(map[string]any)
	sortIntrospection(rs.Schema, data)
	out := map[string][]byte{}
	for _, g := range groups {
		v, ok := data[g.Key]
		if !ok {
			continue
		}
		var sets []*ast.SelectionSet
		for _, f := range g.Fields {
			if f.SelectionSet != nil {
				sets = append(sets, f.SelectionSet)
			}
		}
		var buf bytes.Buffer
		if err := writeOrdered(&buf, v, sets, prep.frags, vars); err != nil {
			return nil, err
		}
		out[g.Key] = buf.Bytes()
	}
	return out, nil
}

// writeOrdered encodes an introspection result with each object's keys in
// the order the query selects them, as GraphQL requires (graphql-go returns
// maps, which encoding/json would sort).
func writeOrdered(buf *bytes.Buffer, v any, sets []*ast.SelectionSet, frags fragments, vars map[string]any) error {
	switch v := v.(type) {
	case map[string]any:
		order, subs := selectionOrder(sets, frags, vars)
		for k := range v {
			if _, ok := subs[k]; !ok {
				order = append(order, k) // not expected: keep it, after the selected keys
			}
		}
		buf.WriteByte('{')
		n := 0
		for _, k := range order {
			x, ok := v[k]
			if !ok {
				continue
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeOrdered(buf, x, subs[k], frags, vars); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeOrdered(buf, x, sets, frags, vars); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

// selectionOrder lists the response keys of selection sets in first-seen
// order, with the sub-selections of each. Type conditions are not checked:
// the executor already left out the fields that did not apply.
func selectionOrder(sets []*ast.SelectionSet, frags fragments, vars map[string]any) ([]string, map[string][]*ast.SelectionSet) {
	groups := collectFields(sets, "", frags, vars)
	order := make([]string, 0, len(groups))
	subs := make(map[string][]*ast.SelectionSet, len(groups))
	for _, g := range groups {
		order = append(order, g.Key)
		subs[g.Key] = nil
		for _, f := range g.Fields {
			if f.SelectionSet != nil {
				subs[g.Key] = append(subs[g.Key], f.SelectionSet)
			}
		}
	}
	return order, subs
}
