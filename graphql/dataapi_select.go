package graphql

import (
	"sort"
	"strings"

	"github.com/graftql/graft/metadata"
)

// DataSelect is a legacy select, or a relationship's part of one.
type DataSelect struct {
	Table   *metadata.Table
	Fields  []DataField
	Where   map[string]any // legacy boolean expression
	OrderBy []DataOrder
	Limit   *int64
	Offset  *int64
}

// DataField is one output key: a column, or a relationship with its select.
type DataField struct {
	Name   string
	Column *metadata.Column
	Rel    *metadata.Relationship
	Sub    *DataSelect
}

// DataOrder is one order_by key: Path names object relationships, then a column.
type DataOrder struct {
	Path  []string
	Desc  bool
	Nulls string // "first", "last" or "" for Postgres's default
}

// Statement compiles q into one statement returning one row with one json
// column: the array of rows.
func (s *DataScope) Select(q *DataSelect) (Statement, error) {
	c := s.compiler()
	sql, err := c.dataList(s, q, "")
	if err != nil {
		return Statement{}, dataErr(err)
	}
	return Statement{SQL: sql, Args: c.args}, nil
}

// dataList selects q's rows as a JSON array; corr joins them to a parent row.
func (c *compiler) dataList(s *DataScope, q *DataSelect, corr string) (string, error) {
	la := listArgs{limit: q.Limit, offset: q.Offset}
	if len(q.Where) > 0 {
		w, err := s.legacyBoolExp(q.Table, q.Where)
		if err != nil {
			return "", err
		}
		la.where = w
	}
	for _, o := range q.OrderBy {
		la.orderBy = append(la.orderBy, legacyOrder(q.Table, o))
	}
	x := c.alias()
	rows, keys, err := c.rows(q.Table, q.Table.Name.SQL(), x, strings.ReplaceAll(corr, "{x}", x), la, "$.args")
	if err != nil {
		return "", err
	}
	obj, lats, err := c.dataObject(s, q, x)
	if err != nil {
		return "", err
	}
	return "SELECT coalesce(json_agg(" + obj + outerOrder(x, keys) + "), '[]') AS j FROM " + rows + lats, nil
}

// legacyOrder turns a path order key into an <t>_order_by object.
func legacyOrder(t *metadata.Table, o DataOrder) object {
	dir := "asc"
	if o.Desc {
		dir = "desc"
	}
	if o.Nulls != "" {
		dir += "_nulls_" + o.Nulls
	}
	var v any = dir
	names := make([]string, len(o.Path))
	cur := t
	for i, p := range o.Path {
		names[i] = p
		if cur == nil {
			continue
		}
		if col := cur.Column(p); col != nil && i == len(o.Path)-1 {
			names[i] = col.GQLName
		} else if r := cur.Relationship(p); r != nil {
			cur = r.Target
			continue
		}
		cur = nil
	}
	for i := len(names) - 1; i >= 0; i-- {
		v = object{{Name: names[i], Value: v}}
	}
	return v.(object)
}

// dataObject builds a row's JSON object and the LATERAL joins of its
// relationships.
func (c *compiler) dataObject(s *DataScope, q *DataSelect, alias string) (string, string, error) {
	keys := make([]string, 0, len(q.Fields))
	vals := make([]string, 0, len(q.Fields))
	var lats strings.Builder
	a := c.rs.access[q.Table]
	for _, f := range q.Fields {
		keys = append(keys, f.Name)
		if f.Column != nil {
			ref, err := c.columnValue(q.Table, a, alias, f.Column)
			if err != nil {
				return "", "", err
			}
			vals = append(vals, outputExpr(ref, f.Column.Info.TypeName))
			continue
		}
		l := c.alias()
		corr := joinCond(alias, "{x}", f.Rel.Mapping)
		var sql string
		var err error
		if f.Rel.Kind == metadata.ArrayRel {
			sql, err = c.dataList(s, f.Sub, corr)
		} else {
			sql, err = c.dataSingle(s, f.Sub, corr)
		}
		if err != nil {
			return "", "", err
		}
		vals = append(vals, l+".j")
		lats.WriteString(" LEFT JOIN LATERAL (" + sql + ") AS " + l + " ON true")
	}
	return rowObject(keys, vals), lats.String(), nil
}

// dataSingle selects an object relationship's row (NULL when none).
func (c *compiler) dataSingle(s *DataScope, q *DataSelect, corr string) (string, error) {
	c.touch(q.Table)
	x := c.alias()
	conds := []string{strings.ReplaceAll(corr, "{x}", x)}
	if pf, err := c.permFilter(q.Table, x); err != nil {
		return "", err
	} else if pf != "" {
		conds = append(conds, pf)
	}
	obj, lats, err := c.dataObject(s, q, x)
	if err != nil {
		return "", err
	}
	return "SELECT " + obj + " AS j FROM (SELECT * FROM " + q.Table.Name.SQL() + " AS " + x +
		" WHERE " + strings.Join(conds, " AND ") + " LIMIT 1) AS " + x + lats, nil
}

// Count compiles a legacy count: one row with one bigint column. Distinct
// counts distinct values of those columns.
func (s *DataScope) Count(t *metadata.Table, where map[string]any, distinct []*metadata.Column) (Statement, error) {
	c := s.compiler()
	x := c.alias()
	conds, err := c.dataWhere(s, t, x, where, nil)
	if err != nil {
		return Statement{}, dataErr(err)
	}
	from := t.Name.SQL() + " AS " + x + " WHERE " + conds
	if len(distinct) == 0 {
		return Statement{SQL: "SELECT count(*) FROM " + from, Args: c.args}, nil
	}
	cols := make([]string, len(distinct))
	for i, d := range distinct {
		cols[i] = col(x, d)
	}
	return Statement{SQL: "SELECT count(*) FROM (SELECT DISTINCT " + strings.Join(cols, ", ") + " FROM " + from + ") AS _d", Args: c.args}, nil
}

// dataWhere is the condition on alias: the request's where, the role's
// select filter, and perm (a write permission's filter) when given.
func (c *compiler) dataWhere(s *DataScope, t *metadata.Table, alias string, where map[string]any, write *writeAccess) (string, error) {
	c.touch(t)
	conds := []string{"true"}
	if len(where) > 0 {
		w, err := s.legacyBoolExp(t, where)
		if err != nil {
			return "", err
		}
		e, err := c.boolExp(t, alias, w)
		if err != nil {
			return "", err
		}
		conds = append(conds, e)
	}
	if write == nil {
		pf, err := c.permFilter(t, alias)
		if err != nil {
			return "", err
		}
		if pf != "" {
			conds = append(conds, pf)
		}
	} else if write.Filter != nil {
		f, err := c.permissionExp(t, alias, write.Filter)
		if err != nil {
			return "", err
		}
		conds = append(conds, f)
	}
	if len(conds) > 1 {
		conds = conds[1:]
	}
	return strings.Join(conds, " AND "), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
