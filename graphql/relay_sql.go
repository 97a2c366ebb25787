package graphql

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
)

// A connection compiles to one statement, in the stages Hasura uses:
//
//	WITH b AS (every permitted row, filtered and ordered, numbered __rn,
//	           with its order keys __o1..),
//	     p AS (the page: b's rows after/before the cursor, first/last n)
//	SELECT json_build_object('edges', ..., 'pageInfo', ...)
//
// The order always ends with the primary key columns, so it is total and a
// cursor (the base64 JSON object of a row's order key values) names one
// position. hasNextPage/hasPreviousPage say whether b has rows past either
// end of the page.

// cursorKey is where one order key's value sits in a cursor object, and the
// type its value is compared as.
type cursorKey struct {
	path []string
	typ  pgType
}

// connectionSQL selects a <t>Connection: one row, one column j.
func (c *compiler) connectionSQL(t *metadata.Table, from, corr string, g *fieldGroup, path string) (string, error) {
	first, hasFirst := c.arg(g, "first")
	last, hasLast := c.arg(g, "last")
	after, hasAfter := c.arg(g, "after")
	before, hasBefore := c.arg(g, "before")
	hasFirst, hasLast = hasFirst && first != nil, hasLast && last != nil
	hasAfter, hasBefore = hasAfter && after != nil, hasBefore && before != nil
	// Checked in Hasura's order: the cursors first.
	if hasAfter && hasBefore {
		return "", validationErr(path, "\"after\" and \"before\" are not allowed at once")
	}
	if hasFirst && hasLast {
		return "", validationErr(path, "\"first\" and \"last\" are not allowed at once")
	}
	la, err := c.readListArgs(g)
	if err != nil {
		return "", err
	}
	la.orderBy = withPrimaryKeyOrder(t, la.orderBy)
	cursorKeys := c.cursorKeys(t, la.orderBy)
	// Numbered rows drop the role's row limit from rows(): put it back.
	la.numbered = true
	if a := c.rs.access[t]; a != nil && a.Limit != nil {
		l := int64(*a.Limit)
		la.limit = &l
	}
	x := c.alias()
	rows, keys, err := c.rows(t, from, x, strings.ReplaceAll(corr, "{x}", x), la, path)
	if err != nil {
		return "", err
	}
	if len(keys) != len(cursorKeys) {
		return "", validationErr(path, "unsupported order_by for a connection")
	}
	base, page := x+"b", x+"p"
	var cond string
	if hasAfter || hasBefore {
		cur := after
		if hasBefore {
			cur = before
		}
		if cond, err = c.cursorCondition(keys, cursorKeys, cur, hasAfter, path); err != nil {
			return "", err
		}
		cond = " WHERE " + cond
	}
	pageSQL := "SELECT * FROM " + base + cond
	for _, s := range []struct {
		has  bool
		v    any
		name string
	}{{hasFirst, first, "first"}, {hasLast, last, "last"}} {
		if !s.has {
			continue
		}
		n, err := strconv.ParseInt(string(s.v.(json.Number)), 10, 64)
		if err != nil || n < 0 {
			return "", validationErr(path+".args."+s.name, "unexpected negative value")
		}
		if s.name == "first" {
			pageSQL += " ORDER BY __rn LIMIT " + c.param(n)
		} else {
			pageSQL = "SELECT * FROM (" + pageSQL + " ORDER BY __rn DESC LIMIT " + c.param(n) + ") AS " + x + "s"
		}
	}
	cursor := func(alias string) string { return base64Expr(cursorJSON(alias, cursorKeys)) }
	fields := c.subFields(g, t.GQLName+"Connection")
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	for _, f := range fields {
		fpath := path + ".selectionSet." + f.Key
		ks = append(ks, f.Key)
		switch f.Name {
		case "__typename":
			vs = append(vs, quoteLiteral(t.GQLName+"Connection"))
		case "edges":
			v, err := c.edgesSQL(t, page, cursor, f, fpath)
			if err != nil {
				return "", err
			}
			vs = append(vs, v)
		case "pageInfo":
			vs = append(vs, c.pageInfoSQL(base, page, cursor, f))
		default:
			return "", validationErr(fpath, "field %q not found in type: '%sConnection'", f.Name, t.GQLName)
		}
	}
	return "WITH " + base + " AS (SELECT * FROM " + rows + "), " + page + " AS (" + pageSQL + ") SELECT " +
		jsonObject(ks, vs) + " AS j", nil
}

// edgesSQL builds edges { cursor node {...} } over the page's rows in order.
func (c *compiler) edgesSQL(t *metadata.Table, page string, cursor func(string) string, g *fieldGroup, path string) (string, error) {
	e := c.alias()
	fields := c.subFields(g, t.GQLName+"Edge")
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	var lats string
	for _, f := range fields {
		ks = append(ks, f.Key)
		switch f.Name {
		case "__typename":
			vs = append(vs, quoteLiteral(t.GQLName+"Edge"))
		case "cursor":
			vs = append(vs, cursor(e))
		case "node":
			obj, l, err := c.objectJSON(t, e, c.subFields(f, t.GQLName), path+".selectionSet."+f.Key)
			if err != nil {
				return "", err
			}
			vs = append(vs, obj)
			lats += l
		default:
			return "", validationErr(path+".selectionSet."+f.Key, "field %q not found in type: '%sEdge'", f.Name, t.GQLName)
		}
	}
	return "(SELECT coalesce(json_agg(" + jsonObject(ks, vs) + " ORDER BY " + e + ".__rn), '[]') FROM " + page + " AS " + e + lats + ")", nil
}

// pageInfoSQL builds pageInfo: the page's first and last cursors, and
// whether permitted rows lie beyond either end (false for an empty page).
func (c *compiler) pageInfoSQL(base, page string, cursor func(string) string, g *fieldGroup) string {
	fields := c.subFields(g, "PageInfo")
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	edge := func(dir string) string {
		e := c.alias()
		return "(SELECT " + cursor(e) + " FROM " + page + " AS " + e + " ORDER BY " + e + ".__rn" + dir + " LIMIT 1)"
	}
	beyond := func(op, agg string) string {
		return "EXISTS (SELECT 1 FROM " + base + " WHERE __rn " + op + " (SELECT " + agg + "(__rn) FROM " + page + "))"
	}
	for _, f := range fields {
		ks = append(ks, f.Key)
		switch f.Name {
		case "hasNextPage":
			vs = append(vs, beyond(">", "max"))
		case "hasPreviousPage":
			vs = append(vs, beyond("<", "min"))
		case "startCursor":
			vs = append(vs, edge(""))
		case "endCursor":
			vs = append(vs, edge(" DESC"))
		default:
			vs = append(vs, quoteLiteral("PageInfo"))
		}
	}
	return jsonObject(ks, vs)
}

// relationshipConnection compiles <rel>_connection on a row; ok is false
// when the field is not one.
func (c *compiler) relationshipConnection(t *metadata.Table, g *fieldGroup, alias, path string) (string, bool, error) {
	name, found := strings.CutSuffix(g.Name, "_connection")
	if !found {
		return "", false, nil
	}
	r := t.Relationship(name)
	if r == nil || r.Kind != metadata.ArrayRel {
		return "", false, nil
	}
	sql, err := c.connectionSQL(r.Target, r.Target.Name.SQL(), joinCond(alias, "{x}", r.Mapping), g, path)
	return sql, true, err
}

// withPrimaryKeyOrder appends the primary key columns order_by does not
// name already, ascending, as Hasura does for connections.
func withPrimaryKeyOrder(t *metadata.Table, orderBy []any) []any {
	named := map[string]bool{}
	for _, item := range orderBy {
		for _, f := range asObject(item) {
			named[f.Name] = true
		}
	}
	out := append([]any{}, orderBy...)
	for _, col := range t.PrimaryKey {
		if !named[col.GQLName] {
			out = append(out, object{{Name: col.GQLName, Value: "asc"}})
		}
	}
	return out
}
