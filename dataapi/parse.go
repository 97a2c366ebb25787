package dataapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

// parser validates a command's args against the role's permissions, with
// Hasura's error codes and paths, and builds the compiler's input.
type parser struct {
	scope *graphql.DataScope
	role  string
}

func apiErr(code, path, format string, a ...any) *metadata.APIError {
	return &metadata.APIError{Status: 400, Code: code, Path: path, Message: fmt.Sprintf(format, a...)}
}

// table resolves args.table (a name or {schema, name}).
func (p *parser) table(args map[string]any) (*metadata.Table, error) {
	raw, ok := args["table"]
	if !ok {
		return nil, apiErr("parse-failed", "$.args", "key \"table\" not found")
	}
	b, _ := json.Marshal(raw)
	var q metadata.QualifiedName
	if err := json.Unmarshal(b, &q); err != nil || q.Name == "" {
		return nil, apiErr("parse-failed", "$.args.table", "expected a table name or {schema, name}")
	}
	t := p.scope.Snapshot().Table(q)
	if t == nil {
		return nil, apiErr("not-exists", "$.args.table", "table %q does not exist", q.String())
	}
	return t, nil
}

// selectable checks the role may select from t, and returns its columns.
func (p *parser) selectable(t *metadata.Table, path, why string) (map[string]bool, error) {
	cols, ok := p.scope.SelectColumns(t)
	if !ok {
		return nil, apiErr("permission-denied", path, "select on %q for role %q is not allowed. %s", t.Name.String(), p.role, why)
	}
	return cols, nil
}

// column finds a column the role may select.
func (p *parser) column(t *metadata.Table, allowed map[string]bool, name, path string) (*metadata.Column, error) {
	col := t.Column(name)
	if col == nil {
		return nil, apiErr("not-exists", path, "no such column exists : %q", name)
	}
	if !allowed[col.Name] {
		return nil, apiErr("permission-denied", path, "role %q does not have permission to select column %q", p.role, name)
	}
	return col, nil
}

// where reads an optional boolean expression.
func where(args map[string]any, required bool) (map[string]any, error) {
	v, ok := args["where"]
	if !ok || v == nil {
		if required {
			return nil, apiErr("parse-failed", "$.args", "key \"where\" not found")
		}
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, apiErr("parse-failed", "$.args.where", "parsing Object failed, expected Object, but encountered %s", jsonKind(v))
	}
	return m, nil
}

// count parses limit or offset: a non-negative integer.
func count(args map[string]any, name, path string) (*int64, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return nil, nil
	}
	num, isNum := v.(json.Number)
	if !isNum {
		return nil, apiErr("parse-failed", "$."+name, "parsing Int failed, expected Number, but encountered %s", jsonKind(v))
	}
	n, err := num.Int64()
	if err != nil {
		return nil, apiErr("parse-failed", "$."+name, "parsing Int failed, expected an integer: %s", num)
	}
	if n < 0 {
		return nil, apiErr("not-supported", path+"."+name, "unexpected negative value")
	}
	return &n, nil
}

// returning parses args.returning: columns the role may select.
func (p *parser) returning(t *metadata.Table, args map[string]any) (graphql.DataReturning, error) {
	v, ok := args["returning"]
	if !ok || v == nil {
		return graphql.DataReturning{}, nil
	}
	list, isList := v.([]any)
	if !isList {
		return graphql.DataReturning{}, apiErr("parse-failed", "$.args.returning", "expected a list of columns")
	}
	allowed, err := p.selectable(t, "$.args.returning", "; \"returning\" is only allowed if the role has \"select\" permissions on the table")
	if err != nil {
		return graphql.DataReturning{}, err
	}
	r := graphql.DataReturning{Rows: true}
	for _, x := range list {
		name, _ := x.(string)
		col := t.Column(name)
		if col == nil {
			return r, apiErr("permission-denied", "$.args.returning", "no such column exists : %q", name)
		}
		if !allowed[col.Name] {
			return r, apiErr("permission-denied", "$.args.returning", "role %q does not have permission to select column %q", p.role, name)
		}
		r.Columns = append(r.Columns, col)
	}
	return r, nil
}

// columnList parses a list of column names (distinct, constraint_on, $default).
func columnList(t *metadata.Table, v any, path string) ([]*metadata.Column, error) {
	var out []*metadata.Column
	for i, x := range asList(v) {
		name, _ := x.(string)
		col := t.Column(name)
		if col == nil {
			return nil, apiErr("not-exists", fmt.Sprintf("%s[%d]", path, i), "no such column exists : %q", name)
		}
		out = append(out, col)
	}
	return out, nil
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// jsonKind names a JSON value's kind as Aeson's errors do.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "String"
	case json.Number, float64:
		return "Number"
	case bool:
		return "Boolean"
	case []any:
		return "Array"
	case nil:
		return "Null"
	}
	return "Object"
}

// countQuery parses count's args.
func (p *parser) countQuery(args map[string]any) (*metadata.Table, map[string]any, []*metadata.Column, error) {
	t, err := p.table(args)
	if err != nil {
		return nil, nil, nil, err
	}
	allowed, err := p.selectable(t, "$.args", "; \"count\" is only allowed if the role has \"select\" permissions on the table")
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := where(args, false)
	if err != nil {
		return nil, nil, nil, err
	}
	var distinct []*metadata.Column
	for i, x := range asList(args["distinct"]) {
		name, _ := x.(string)
		col, err := p.column(t, allowed, name, fmt.Sprintf("$.args.distinct[%d]", i))
		if err != nil {
			return nil, nil, nil, err
		}
		distinct = append(distinct, col)
	}
	return t, w, distinct, nil
}

// orderBy parses order_by: "+col", "-col", "rel.col", {column, type, nulls},
// or a list of them.
func orderBy(v any, path string) ([]graphql.DataOrder, error) {
	var out []graphql.DataOrder
	for _, item := range asList(v) {
		var o graphql.DataOrder
		switch it := item.(type) {
		case string:
			name := it
			switch {
			case strings.HasPrefix(name, "+"):
				name = name[1:]
			case strings.HasPrefix(name, "-"):
				name, o.Desc = name[1:], true
			}
			o.Path = strings.Split(name, ".")
		case map[string]any:
			name, _ := it["column"].(string)
			if name == "" {
				return nil, apiErr("parse-failed", path, "key \"column\" not found")
			}
			o.Path = strings.Split(name, ".")
			switch typ, _ := it["type"].(string); typ {
			case "", "asc":
			case "desc":
				o.Desc = true
			default:
				return nil, apiErr("parse-failed", path, "order type must be asc or desc, not %q", typ)
			}
			switch nulls, _ := it["nulls"].(string); nulls {
			case "", "first", "last":
				o.Nulls = nulls
			default:
				return nil, apiErr("parse-failed", path, "nulls must be first or last, not %q", nulls)
			}
		default:
			return nil, apiErr("parse-failed", path, "expected a string or an object in order_by")
		}
		out = append(out, o)
	}
	return out, nil
}
