package metadata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The legacy data API (/v1/query, /v2/query insert/select/count/update/delete)
// as Hasura's fixtures use it: plain column values and equality filters.

type dataArgs struct {
	Table     QualifiedName    `json:"table"`
	Objects   []map[string]any `json:"objects"`
	Returning []string         `json:"returning"`
	Columns   []any            `json:"columns"`
	Where     map[string]any   `json:"where"`
	Set       map[string]any   `json:"$set"`
	Limit     *int             `json:"limit"`
	Offset    *int             `json:"offset"`
}

func (w *work) dataTable(r *Request) (*dataArgs, *CatalogTable, error) {
	var a dataArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, nil, err
	}
	if _, err := w.trackedTable("", a.Table); err != nil {
		return nil, nil, err
	}
	cat, err := w.catalog()
	if err != nil {
		return nil, nil, err
	}
	return &a, cat.Tables[a.Table], nil
}

// sqlValue renders a JSON value as a text bind parameter cast to the column type.
func sqlValue(col *CatalogColumn, v any, args *[]any) (string, error) {
	var text any
	switch v := v.(type) {
	case nil:
		text = nil
	case string:
		text = v
	case bool:
		text = strconv.FormatBool(v)
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		text = v.String()
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		text = string(b)
	}
	*args = append(*args, text)
	return fmt.Sprintf("$%d::text::%s", len(*args), col.FormatType), nil
}

func columnOf(t *CatalogTable, name string) (*CatalogColumn, error) {
	c := t.Column(name)
	if c == nil {
		return nil, &APIError{Status: 400, Code: "not-exists", Path: "$.args",
			Message: fmt.Sprintf("column %q does not exist in table %q", name, t.Name.String())}
	}
	return c, nil
}

func opInsert(w *work, r *Request) (any, error) {
	a, t, err := w.dataTable(r)
	if err != nil {
		return nil, err
	}
	affected := int64(0)
	var returning []json.RawMessage
	for _, obj := range a.Objects {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var cols, vals []string
		var args []any
		for _, k := range keys {
			c, err := columnOf(t, k)
			if err != nil {
				return nil, err
			}
			v, err := sqlValue(c, obj[k], &args)
			if err != nil {
				return nil, err
			}
			cols, vals = append(cols, QuoteIdent(k)), append(vals, v)
		}
		q := "INSERT INTO " + t.Name.SQL()
		if len(cols) == 0 {
			q += " DEFAULT VALUES"
		} else {
			q += " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
		}
		q += " RETURNING " + returningSQL(a.Returning)
		var row json.RawMessage
		if err := w.tx.QueryRow(w.ctx, q, args...).Scan(&row); err != nil {
			return nil, pgError(err)
		}
		affected++
		returning = append(returning, row)
	}
	res := map[string]any{"affected_rows": affected}
	if len(a.Returning) > 0 {
		res["returning"] = returning
	}
	return res, nil
}

func returningSQL(cols []string) string {
	if len(cols) == 0 {
		return "NULL::json"
	}
	parts := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		parts = append(parts, "'"+strings.ReplaceAll(c, "'", "''")+"'", QuoteIdent(c))
	}
	return "json_build_object(" + strings.Join(parts, ", ") + ")"
}

// whereSQL compiles the legacy filter form {col: value} / {col: {"$eq"|"_eq": value}} / {"$and": [...]}.
func whereSQL(t *CatalogTable, where map[string]any, args *[]any) (string, error) {
	if len(where) == 0 {
		return "true", nil
	}
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := where[k]
		if k == "$and" || k == "_and" || k == "$or" || k == "_or" {
			list, _ := v.([]any)
			var sub []string
			for _, item := range list {
				m, _ := item.(map[string]any)
				s, err := whereSQL(t, m, args)
				if err != nil {
					return "", err
				}
				sub = append(sub, "("+s+")")
			}
			op := " AND "
			if strings.HasSuffix(k, "or") {
				op = " OR "
			}
			if len(sub) == 0 {
				sub = []string{"true"}
			}
			parts = append(parts, "("+strings.Join(sub, op)+")")
			continue
		}
		c, err := columnOf(t, k)
		if err != nil {
			return "", err
		}
		if m, ok := v.(map[string]any); ok {
			p, err := legacyOps(QuoteIdent(k), c, m, args)
			if err != nil {
				return "", err
			}
			parts = append(parts, p...)
			continue
		}
		val, err := sqlValue(c, v, args)
		if err != nil {
			return "", err
		}
		parts = append(parts, QuoteIdent(k)+" = "+val)
	}
	return strings.Join(parts, " AND "), nil
}

func opCount(w *work, r *Request) (any, error) {
	a, t, err := w.dataTable(r)
	if err != nil {
		return nil, err
	}
	var args []any
	where, err := whereSQL(t, a.Where, &args)
	if err != nil {
		return nil, err
	}
	var n int64
	if err := w.tx.QueryRow(w.ctx, "SELECT count(*) FROM "+t.Name.SQL()+" WHERE "+where, args...).Scan(&n); err != nil {
		return nil, pgError(err)
	}
	return map[string]any{"count": n}, nil
}

func opSelect(w *work, r *Request) (any, error) {
	a, t, err := w.dataTable(r)
	if err != nil {
		return nil, err
	}
	var args []any
	where, err := whereSQL(t, a.Where, &args)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, c := range a.Columns {
		if s, ok := c.(string); ok && s != "*" {
			cols = append(cols, s)
		}
	}
	proj := "row_to_json(_t)"
	if len(cols) > 0 {
		parts := make([]string, 0, 2*len(cols))
		for _, c := range cols {
			if _, err := columnOf(t, c); err != nil {
				return nil, err
			}
			parts = append(parts, "'"+strings.ReplaceAll(c, "'", "''")+"'", "_t."+QuoteIdent(c))
		}
		proj = "json_build_object(" + strings.Join(parts, ", ") + ")"
	}
	q := "SELECT coalesce(json_agg(" + proj + "), '[]') FROM (SELECT * FROM " + t.Name.SQL() + " WHERE " + where
	if a.Limit != nil {
		q += fmt.Sprintf(" LIMIT %d", *a.Limit)
	}
	if a.Offset != nil {
		q += fmt.Sprintf(" OFFSET %d", *a.Offset)
	}
	q += ") _t"
	var out json.RawMessage
	if err := w.tx.QueryRow(w.ctx, q, args...).Scan(&out); err != nil {
		return nil, pgError(err)
	}
	return out, nil
}

func opUpdate(w *work, r *Request) (any, error) {
	a, t, err := w.dataTable(r)
	if err != nil {
		return nil, err
	}
	var args []any
	var sets []string
	keys := make([]string, 0, len(a.Set))
	for k := range a.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, err := columnOf(t, k)
		if err != nil {
			return nil, err
		}
		v, err := sqlValue(c, a.Set[k], &args)
		if err != nil {
			return nil, err
		}
		sets = append(sets, QuoteIdent(k)+" = "+v)
	}
	if len(sets) == 0 {
		return map[string]any{"affected_rows": 0}, nil
	}
	where, err := whereSQL(t, a.Where, &args)
	if err != nil {
		return nil, err
	}
	tag, err := w.tx.Exec(w.ctx, "UPDATE "+t.Name.SQL()+" SET "+strings.Join(sets, ", ")+" WHERE "+where, args...)
	if err != nil {
		return nil, pgError(err)
	}
	return map[string]any{"affected_rows": tag.RowsAffected()}, nil
}

func opDelete(w *work, r *Request) (any, error) {
	a, t, err := w.dataTable(r)
	if err != nil {
		return nil, err
	}
	var args []any
	where, err := whereSQL(t, a.Where, &args)
	if err != nil {
		return nil, err
	}
	tag, err := w.tx.Exec(w.ctx, "DELETE FROM "+t.Name.SQL()+" WHERE "+where, args...)
	if err != nil {
		return nil, pgError(err)
	}
	return map[string]any{"affected_rows": tag.RowsAffected()}, nil
}

var legacySQLOps = map[string]string{"eq": "=", "neq": "<>", "gt": ">", "lt": "<", "gte": ">=", "lte": "<=",
	"like": "LIKE", "nlike": "NOT LIKE", "ilike": "ILIKE", "nilike": "NOT ILIKE"}

// legacyOps compiles {"$op": value} comparisons on lhs, including
// {"$cast": {"text": {...}}}.
func legacyOps(lhs string, c *CatalogColumn, m map[string]any, args *[]any) ([]string, error) {
	var parts []string
	for opName, ov := range m {
		op := strings.TrimLeft(opName, "$_")
		if op == "cast" {
			casts, _ := ov.(map[string]any)
			for typ, sub := range casts {
				subOps, _ := sub.(map[string]any)
				p, err := legacyOps("("+lhs+")::"+QuoteIdent(typ), &CatalogColumn{FormatType: QuoteIdent(typ)}, subOps, args)
				if err != nil {
					return nil, err
				}
				parts = append(parts, p...)
			}
			continue
		}
		sqlOp := legacySQLOps[op]
		if sqlOp == "" {
			return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.where", Message: "unsupported operator " + opName}
		}
		val, err := sqlValue(c, ov, args)
		if err != nil {
			return nil, err
		}
		parts = append(parts, lhs+" "+sqlOp+" "+val)
	}
	return parts, nil
}
