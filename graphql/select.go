package graphql

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
)

// listArgs are the arguments every row list takes.
type listArgs struct {
	where    object
	orderBy  []any
	limit    *int64
	offset   *int64
	distinct []string
	// numbered leaves the role's row limit out of LIMIT and numbers the rows
	// instead: an aggregate counts every permitted row, nodes show the limit.
	numbered bool
}

func (c *compiler) readListArgs(g *fieldGroup) (listArgs, error) {
	var la listArgs
	if v, ok := c.arg(g, "where"); ok {
		la.where = asObject(v)
	}
	if v, ok := c.arg(g, "order_by"); ok {
		la.orderBy = asList(v)
	}
	for _, name := range []string{"limit", "offset"} {
		v, ok := c.arg(g, name)
		if !ok || v == nil {
			continue
		}
		n, err := strconv.ParseInt(string(v.(json.Number)), 10, 64)
		if err != nil || n < 0 {
			return la, validationErr("$.selectionSet."+g.Key+".args."+name, "unexpected negative value")
		}
		if name == "limit" {
			la.limit = &n
		} else {
			la.offset = &n
		}
	}
	if v, ok := c.arg(g, "distinct_on"); ok {
		for _, x := range asList(v) {
			s, _ := x.(string)
			la.distinct = append(la.distinct, s)
		}
	}
	return la, nil
}

// rows builds the subquery that yields a list's rows, filtered, ordered and
// limited, with its order keys as extra columns __o1.. for the outer json_agg.
func (c *compiler) rows(t *metadata.Table, from, alias string, corr string, la listArgs, path string) (string, []orderKey, error) {
	c.touch(t)
	if from != t.Name.SQL() {
		c.volatile = true // a function call: its reads are not visible here
	}
	conds := []string{}
	if corr != "" {
		conds = append(conds, corr)
	}
	if pf, err := c.permFilter(t, alias); err != nil {
		return "", nil, err
	} else if pf != "" {
		conds = append(conds, pf)
	}
	if len(la.where) > 0 {
		w, err := c.boolExp(t, alias, la.where)
		if err != nil {
			return "", nil, exprErrorAt(err, path+".args.where")
		}
		conds = append(conds, w)
	}
	keys, err := c.orderKeys(t, alias, la.orderBy)
	if err != nil {
		return "", nil, err
	}
	var distinct []string
	if len(la.distinct) > 0 {
		dkeys := make([]orderKey, len(la.distinct))
		for i, name := range la.distinct {
			col := t.ColumnByGQL(name)
			if col == nil {
				return "", nil, validationErr(path, "unexpected column %q in distinct_on", name)
			}
			dkeys[i] = orderKey{expr: alias + "." + quoteIdent(col.Name), dir: "ASC NULLS LAST"}
		}
		for i, dk := range dkeys {
			if i < len(keys) && keys[i].expr != dk.expr {
				return "", nil, validationErr(path+".args", "\"distinct_on\" columns must match initial \"order_by\" columns")
			}
		}
		if len(keys) < len(dkeys) {
			keys = mergeDistinctKeys(dkeys, keys)
		}
		for i := range dkeys {
			distinct = append(distinct, "__o"+strconv.Itoa(i+1))
		}
	}
	var sb strings.Builder
	sb.WriteString("(SELECT ")
	if len(distinct) > 0 {
		sb.WriteString("DISTINCT ON (" + strings.Join(distinct, ", ") + ") ")
	}
	sb.WriteString(alias + ".*")
	for i, k := range keys {
		sb.WriteString(", " + k.expr + " AS __o" + strconv.Itoa(i+1))
	}
	if la.numbered {
		sb.WriteString(", row_number() OVER (")
		if len(keys) > 0 {
			sb.WriteString("ORDER BY ")
			for i, k := range keys {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(k.expr + " " + k.dir)
			}
		}
		sb.WriteString(") AS __rn")
	}
	sb.WriteString(" FROM " + from + " AS " + alias)
	if len(conds) > 0 {
		sb.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	if len(keys) > 0 {
		sb.WriteString(" ORDER BY ")
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("__o" + strconv.Itoa(i+1) + " " + k.dir)
		}
	}
	limit := la.limit
	if a := c.rs.access[t]; !la.numbered && a != nil && a.Limit != nil && (limit == nil || int64(*a.Limit) < *limit) {
		l := int64(*a.Limit)
		limit = &l
	}
	if limit != nil {
		sb.WriteString(" LIMIT " + c.param(*limit))
	}
	if la.offset != nil {
		sb.WriteString(" OFFSET " + c.param(*la.offset))
	}
	sb.WriteString(") AS " + alias)
	return sb.String(), keys, nil
}

// mergeDistinctKeys puts distinct_on columns first when order_by names fewer.
func mergeDistinctKeys(dkeys, keys []orderKey) []orderKey {
	out := append([]orderKey{}, keys...)
	for _, dk := range dkeys[len(keys):] {
		out = append(out, dk)
	}
	return out
}

// outerOrder is the json_agg ORDER BY over the rows subquery's key columns.
func outerOrder(alias string, keys []orderKey) string {
	if len(keys) == 0 {
		return ""
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = alias + ".__o" + strconv.Itoa(i+1) + " " + k.dir
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// listSQL selects rows as a JSON array: one row, one column j.
func (c *compiler) listSQL(t *metadata.Table, from, corr string, g *fieldGroup, path string) (string, error) {
	la, err := c.readListArgs(g)
	if err != nil {
		return "", err
	}
	x := c.alias()
	rows, keys, err := c.rows(t, from, x, strings.ReplaceAll(corr, "{x}", x), la, path)
	if err != nil {
		return "", err
	}
	obj, lats, err := c.objectJSON(t, x, c.subFields(g, t.TypeName("")), path)
	if err != nil {
		return "", err
	}
	return "SELECT coalesce(json_agg(" + obj + outerOrder(x, keys) + "), '[]') AS j FROM " + rows + lats, nil
}

// objectSQL selects at most one row as a JSON object (NULL when none).
func (c *compiler) objectSQL(t *metadata.Table, from, corr string, g *fieldGroup, path string) (string, error) {
	c.touch(t)
	if from != t.Name.SQL() {
		c.volatile = true
	}
	x := c.alias()
	conds := []string{}
	if corr != "" {
		conds = append(conds, strings.ReplaceAll(corr, "{x}", x))
	}
	if pf, err := c.permFilter(t, x); err != nil {
		return "", err
	} else if pf != "" {
		conds = append(conds, pf)
	}
	obj, lats, err := c.objectJSON(t, x, c.subFields(g, t.TypeName("")), path)
	if err != nil {
		return "", err
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return "SELECT " + obj + " AS j FROM (SELECT * FROM " + from + " AS " + x + where + " LIMIT 1) AS " + x + lats, nil
}

// objectJSON builds the json_build_object for a row's selected fields, and
// the LATERAL joins its relationships need.
func (c *compiler) objectJSON(t *metadata.Table, alias string, groups []*fieldGroup, path string) (string, string, error) {
	keys := make([]string, 0, len(groups))
	vals := make([]string, 0, len(groups))
	var lats strings.Builder
	a := c.rs.access[t]
	for _, g := range groups {
		fpath := path + ".selectionSet." + g.Key
		keys = append(keys, g.Key)
		if g.Name == "__typename" {
			vals = append(vals, quoteLiteral(t.TypeName("")))
			continue
		}
		if c.rs.relay && g.Name == "id" && len(t.PrimaryKey) > 0 {
			vals = append(vals, nodeIDExpr(t, alias)) // Relay's global id
			continue
		}
		if col := t.ColumnByGQL(g.Name); col != nil && a.Columns[col.Name] {
			ref, err := c.columnValue(t, a, alias, col)
			if err == nil {
				ref, err = c.jsonPathSelect(ref, col.Info.TypeName, g, fpath)
			}
			if err != nil {
				return "", "", err
			}
			vals = append(vals, c.output(ref, col.Info.TypeName))
			continue
		}
		if rr := t.RemoteRelationship(g.Name); rr != nil {
			val, err := c.remoteRelField(t, alias, rr, g, fpath)
			if err != nil {
				return "", "", err
			}
			vals = append(vals, val)
			continue
		}
		val, lat, err := c.relatedField(t, alias, g, fpath)
		if err != nil {
			return "", "", err
		}
		vals = append(vals, val)
		lats.WriteString(lat)
	}
	return rowObject(keys, vals), lats.String(), nil
}

// relatedField compiles a relationship or computed field of a row.
func (c *compiler) relatedField(t *metadata.Table, alias string, g *fieldGroup, path string) (string, string, error) {
	l := c.alias()
	lateral := func(sql string) string { return " LEFT JOIN LATERAL (" + sql + ") AS " + l + " ON true" }
	name, aggregate := g.Name, false
	r := t.Relationship(name)
	if r == nil && strings.HasSuffix(name, "_aggregate") {
		if r = t.Relationship(strings.TrimSuffix(name, "_aggregate")); r != nil && r.Kind == metadata.ArrayRel {
			aggregate = true
		}
	}
	if r == nil && c.rs.relay {
		if sql, ok, err := c.relationshipConnection(t, g, alias, path); ok || err != nil {
			if err != nil {
				return "", "", err
			}
			return l + ".j", lateral(sql), nil
		}
	}
	if r != nil {
		corr := joinCond(alias, "{x}", r.Mapping)
		var sql string
		var err error
		switch {
		case aggregate:
			sql, err = c.aggregateSQL(r.Target, r.Target.Name.SQL(), corr, g, path)
		case r.Kind == metadata.ArrayRel:
			sql, err = c.listSQL(r.Target, r.Target.Name.SQL(), corr, g, path)
		default:
			sql, err = c.objectSQL(r.Target, r.Target.Name.SQL(), corr, g, path)
		}
		if err != nil {
			return "", "", err
		}
		return l + ".j", lateral(sql), nil
	}
	for _, cf := range t.ComputedFields {
		if cf.Name != name {
			continue
		}
		argsV, _ := c.arg(g, "args")
		call, err := c.computedCall(cf, alias, asObject(argsV))
		if err != nil {
			return "", "", err
		}
		switch {
		case cf.ReturnsTable == nil:
			return c.output(call, cf.ReturnType.Name), "", nil
		case cf.Function.ReturnsSet:
			sql, err := c.listSQL(cf.ReturnsTable, call, "", g, path)
			if err != nil {
				return "", "", err
			}
			return l + ".j", lateral(sql), nil
		default:
			sql, err := c.objectSQL(cf.ReturnsTable, call, "", g, path)
			if err != nil {
				return "", "", err
			}
			return l + ".j", lateral(sql), nil
		}
	}
	return "", "", validationErr(path, "field %q not found in type: '%s'", name, t.GQLName)
}
