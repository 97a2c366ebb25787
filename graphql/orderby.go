package graphql

import (
	"strings"

	"github.com/graftql/graft/metadata"
)

// orderKey is one ORDER BY item: an expression valid for the row alias and its direction.
type orderKey struct {
	expr string
	dir  string
}

var directions = map[string]string{
	"asc": "ASC NULLS LAST", "asc_nulls_last": "ASC NULLS LAST", "asc_nulls_first": "ASC NULLS FIRST",
	"desc": "DESC NULLS FIRST", "desc_nulls_first": "DESC NULLS FIRST", "desc_nulls_last": "DESC NULLS LAST",
}

// orderKeys compiles order_by (a list of <t>_order_by objects, keys in order).
func (c *compiler) orderKeys(t *metadata.Table, alias string, list []any) ([]orderKey, error) {
	var keys []orderKey
	for _, item := range list {
		for _, f := range asObject(item) {
			ks, err := c.orderField(t, alias, f.Name, f.Value)
			if err != nil {
				return nil, err
			}
			keys = append(keys, ks...)
		}
	}
	return keys, nil
}

func (c *compiler) orderField(t *metadata.Table, alias, name string, v any) ([]orderKey, error) {
	if v == nil {
		return nil, nil
	}
	if col := t.ColumnByGQL(name); col != nil {
		dir, _ := v.(string)
		return []orderKey{{expr: alias + "." + quoteIdent(col.Name), dir: directions[dir]}}, nil
	}
	if r := t.Relationship(name); r != nil && r.Kind == metadata.ObjectRel {
		c.touch(r.Target)
		x := c.alias()
		sub, err := c.orderKeys(r.Target, x, []any{v})
		if err != nil {
			return nil, err
		}
		where, err := c.relatedWhere(r, alias, x)
		if err != nil {
			return nil, err
		}
		for i := range sub {
			sub[i].expr = "(SELECT " + sub[i].expr + " FROM " + r.Target.Name.SQL() + " AS " + x + " WHERE " + where + " LIMIT 1)"
		}
		return sub, nil
	}
	if strings.HasSuffix(name, "_aggregate") {
		if r := t.Relationship(strings.TrimSuffix(name, "_aggregate")); r != nil && r.Kind == metadata.ArrayRel {
			return c.aggregateOrder(r, alias, asObject(v))
		}
	}
	for _, cf := range t.ComputedFields {
		if cf.Name == name && cf.ReturnsTable == nil {
			call, err := c.computedCall(cf, alias, nil)
			if err != nil {
				return nil, err
			}
			dir, _ := v.(string)
			return []orderKey{{expr: call, dir: directions[dir]}}, nil
		}
	}
	return nil, validationErr("$", "field %q not found in type: '%s_order_by'", name, t.GQLName)
}

// relatedWhere joins a related row and applies the role's filter on it.
func (c *compiler) relatedWhere(r *metadata.Relationship, parent, x string) (string, error) {
	where := joinCond(parent, x, r.Mapping)
	pf, err := c.permFilter(r.Target, x)
	if err != nil {
		return "", err
	}
	if pf != "" {
		where += " AND " + pf
	}
	return where, nil
}

// aggregateOrder orders by an aggregate over an array relationship's rows.
func (c *compiler) aggregateOrder(r *metadata.Relationship, alias string, v object) ([]orderKey, error) {
	c.touch(r.Target)
	x := c.alias()
	where, err := c.relatedWhere(r, alias, x)
	if err != nil {
		return nil, err
	}
	sub := func(agg string) string {
		return "(SELECT " + agg + " FROM " + r.Target.Name.SQL() + " AS " + x + " WHERE " + where + ")"
	}
	var keys []orderKey
	for _, f := range v {
		if f.Value == nil {
			continue
		}
		if f.Name == "count" {
			dir, _ := f.Value.(string)
			keys = append(keys, orderKey{expr: sub("count(*)"), dir: directions[dir]})
			continue
		}
		for _, cf := range asObject(f.Value) {
			col := r.Target.ColumnByGQL(cf.Name)
			if col == nil || cf.Value == nil {
				continue
			}
			dir, _ := cf.Value.(string)
			keys = append(keys, orderKey{expr: sub(aggFunc(f.Name) + "(" + x + "." + quoteIdent(col.Name) + ")"), dir: directions[dir]})
		}
	}
	return keys, nil
}

// aggFunc maps Hasura's aggregate names to Postgres functions.
func aggFunc(op string) string {
	if op == "variance" {
		return "variance"
	}
	return op
}
