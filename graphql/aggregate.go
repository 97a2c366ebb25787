package graphql

import (
	"strings"

	"github.com/graftql/graft/metadata"
)

// aggregateSQL builds <t>_aggregate { aggregate {...} nodes {...} } over the
// same filtered, limited rows: one row, one column j.
func (c *compiler) aggregateSQL(t *metadata.Table, from, corr string, g *fieldGroup, path string) (string, error) {
	la, err := c.readListArgs(g)
	if err != nil {
		return "", err
	}
	x := c.alias()
	permLimit := c.rs.access[t].Limit
	la.numbered = permLimit != nil
	rows, keys, err := c.rows(t, from, x, strings.ReplaceAll(corr, "{x}", x), la, path)
	if err != nil {
		return "", err
	}
	var lats string
	fields := c.subFields(g, t.TypeName("_aggregate"))
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	for _, f := range fields {
		fpath := path + ".selectionSet." + f.Key
		ks = append(ks, f.Key)
		switch f.Name {
		case "__typename":
			vs = append(vs, quoteLiteral(t.TypeName("_aggregate")))
		case "aggregate":
			v, err := c.aggregateFields(t, x, f, fpath)
			if err != nil {
				return "", err
			}
			vs = append(vs, v)
		case "nodes":
			obj, l, err := c.objectJSON(t, x, c.subFields(f, t.TypeName("")), fpath)
			if err != nil {
				return "", err
			}
			lats += l
			filter := ""
			if permLimit != nil {
				filter = " FILTER (WHERE " + x + ".__rn <= " + c.param(int64(*permLimit)) + "::bigint)"
			}
			vs = append(vs, "coalesce(json_agg("+obj+outerOrder(x, keys)+")"+filter+", '[]')")
		default:
			return "", validationErr(fpath, "field %q not found in type: '%s_aggregate'", f.Name, t.GQLName)
		}
	}
	return "SELECT " + jsonObject(ks, vs) + " AS j FROM " + rows + lats, nil
}

// aggregateFields builds aggregate { count, sum {..}, avg {..}, ... }.
func (c *compiler) aggregateFields(t *metadata.Table, x string, g *fieldGroup, path string) (string, error) {
	fields := c.subFields(g, t.TypeName("_aggregate_fields"))
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	for _, f := range fields {
		ks = append(ks, f.Key)
		switch f.Name {
		case "__typename":
			vs = append(vs, quoteLiteral(t.TypeName("_aggregate_fields")))
		case "count":
			v, err := c.countExpr(t, x, f)
			if err != nil {
				return "", err
			}
			vs = append(vs, v)
		default:
			op := f.Name
			subs := c.subFields(f, t.TypeName("_"+op+"_fields"))
			sk := make([]string, 0, len(subs))
			sv := make([]string, 0, len(subs))
			for _, s := range subs {
				sk = append(sk, s.Key)
				if s.Name == "__typename" {
					sv = append(sv, quoteLiteral(t.TypeName("_"+op+"_fields")))
					continue
				}
				col := t.ColumnByGQL(s.Name)
				if col == nil {
					return "", validationErr(path+".selectionSet."+f.Key, "field %q not found in type: '%s_%s_fields'", s.Name, t.GQLName, op)
				}
				// An inherited role reads NULL where no parent granting the
				// column sees the row, and aggregates what it reads.
				ref, err := c.columnValue(t, c.rs.access[t], x, col)
				if err != nil {
					return "", err
				}
				expr := aggFunc(op) + "(" + ref + ")"
				if op == "max" || op == "min" {
					expr = c.output(expr, col.Info.TypeName)
				}
				sv = append(sv, expr)
			}
			vs = append(vs, jsonObject(sk, sv))
		}
	}
	return jsonObject(ks, vs), nil
}

func (c *compiler) countExpr(t *metadata.Table, x string, g *fieldGroup) (string, error) {
	var cols []string
	if v, ok := c.arg(g, "columns"); ok {
		for _, name := range asList(v) {
			s, _ := name.(string)
			col := t.ColumnByGQL(s)
			if col == nil {
				return "", validationErr("$", "unexpected column %q", s)
			}
			ref, err := c.columnValue(t, c.rs.access[t], x, col)
			if err != nil {
				return "", err
			}
			cols = append(cols, ref)
		}
	}
	distinct := false
	if v, ok := c.arg(g, "distinct"); ok {
		distinct, _ = v.(bool)
	}
	switch {
	case len(cols) == 0:
		return "count(*)", nil
	case distinct:
		if len(cols) == 1 {
			return "count(DISTINCT " + cols[0] + ")", nil
		}
		return "count(DISTINCT (" + strings.Join(cols, ", ") + "))", nil
	default:
		// count(a, b) counts rows where every listed column is non-null.
		return "count(CASE WHEN " + strings.Join(cols, " IS NOT NULL AND ") + " IS NOT NULL THEN 1 END)", nil
	}
}
