package graphql

import (
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
)

// boolExp compiles a <t>_bool_exp value on the row alias into a SQL predicate.
func (c *compiler) boolExp(t *metadata.Table, alias string, exp object) (string, error) {
	var parts []string
	for _, f := range exp {
		p, err := c.boolField(t, alias, f.Name, f.Value)
		if err != nil {
			return "", err
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch len(parts) {
	case 0:
		return "true", nil
	case 1:
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func (c *compiler) boolField(t *metadata.Table, alias, name string, v any) (string, error) {
	switch name {
	case "_and", "_or":
		var subs []string
		for i, item := range asList(v) {
			s, err := c.boolExp(t, alias, asObject(item))
			if err != nil {
				return "", atExpr(err, "."+name+"["+strconv.Itoa(i)+"]")
			}
			subs = append(subs, "("+s+")")
		}
		if len(subs) == 0 {
			if name == "_or" && v != nil {
				return "false", nil
			}
			return "true", nil
		}
		op := " AND "
		if name == "_or" {
			op = " OR "
		}
		return "(" + strings.Join(subs, op) + ")", nil
	case "_not":
		if v == nil {
			return "", nil
		}
		s, err := c.boolExp(t, alias, asObject(v))
		if err != nil {
			return "", atExpr(err, "._not")
		}
		return "NOT (" + s + ")", nil
	case "_exists":
		return c.existsExp(t, asObject(v))
	}
	if col := c.boolColumn(t, name); col != nil {
		ops, isObj := v.(object)
		if !isObj && v != nil {
			ops = object{{Name: "_eq", Value: v}} // permission shorthand {col: value}
		}
		c.cmpTable, c.cmpAlias = t, alias
		p, err := c.comparisons(col, col.EnumRef, alias+"."+quoteIdent(col.Name), columnType(col), ops)
		return p, atExpr(err, "."+name)
	}
	if r := t.Relationship(name); r != nil {
		// Permission filters may traverse tables the role cannot read.
		if !c.inPermission && c.rs.access[r.Target] == nil {
			return "", validationErr("$", "field %q not found in type: '%s_bool_exp'", name, t.GQLName)
		}
		x := c.alias()
		c.touch(r.Target)
		sub, err := c.boolExp(r.Target, x, asObject(v))
		if err != nil {
			return "", atExpr(err, "."+name)
		}
		conds := []string{joinCond(alias, x, r.Mapping), sub}
		if pf, err := c.permFilter(r.Target, x); err != nil {
			return "", err
		} else if pf != "" {
			conds = append(conds, pf)
		}
		return "EXISTS (SELECT 1 FROM " + r.Target.Name.SQL() + " AS " + x + " WHERE " + strings.Join(conds, " AND ") + ")", nil
	}
	for _, cf := range t.ComputedFields {
		if cf.Name != name {
			continue
		}
		if cf.ReturnsTable != nil && !c.inPermission && c.rs.access[cf.ReturnsTable] == nil {
			break // the role cannot read the rows: no such field in its schema
		}
		call, err := c.computedCall(cf, alias, nil)
		if err != nil {
			return "", err
		}
		c.volatile = true
		if cf.ReturnsTable == nil {
			return c.comparisons(nil, nil, call, pgType{Schema: cf.ReturnType.Schema, Name: cf.ReturnType.Name}, asObject(v))
		}
		return c.tableComputedExists(cf, call, name, v)
	}
	return "", validationErr("$", "field %q not found in type: '%s_bool_exp'", name, t.GQLName)
}

// joinCond equates a parent row's columns with a related row's.
func joinCond(parent, child string, mapping []metadata.ColumnPair) string {
	parts := make([]string, len(mapping))
	for i, m := range mapping {
		parts[i] = parent + "." + quoteIdent(m.From) + " = " + child + "." + quoteIdent(m.To)
	}
	return strings.Join(parts, " AND ")
}

// existsExp is _exists: a row of another table of t's source matches.
func (c *compiler) existsExp(from *metadata.Table, v object) (string, error) {
	tv, _ := v.get("_table")
	tobj := asObject(tv)
	var q metadata.QualifiedName
	if s, ok := tv.(string); ok {
		q = metadata.QualifiedName{Schema: "public", Name: s}
	} else {
		sv, _ := tobj.get("schema")
		nv, _ := tobj.get("name")
		q.Schema, _ = sv.(string)
		q.Name, _ = nv.(string)
		if q.Schema == "" {
			q.Schema = "public"
		}
	}
	t := c.rs.Snapshot.Source(from.Source).Table(q)
	if t == nil {
		return "", validationErr("$", "table %q is not tracked", q.String())
	}
	c.touch(t)
	x := c.alias()
	wv, _ := v.get("_where")
	sub, err := c.boolExp(t, x, asObject(wv))
	if err != nil {
		return "", err
	}
	return "EXISTS (SELECT 1 FROM " + t.Name.SQL() + " AS " + x + " WHERE " + sub + ")", nil
}

var simpleOps = map[string]string{
	"_eq": "=", "_neq": "<>", "_gt": ">", "_gte": ">=", "_lt": "<", "_lte": "<=",
	"_like": "LIKE", "_nlike": "NOT LIKE", "_ilike": "ILIKE", "_nilike": "NOT ILIKE",
	"_similar": "SIMILAR TO", "_nsimilar": "NOT SIMILAR TO",
	"_regex": "~", "_nregex": "!~", "_iregex": "~*", "_niregex": "!~*",
	"_contains": "@>", "_contained_in": "<@",
}

var stFuncs = map[string]string{
	"_st_contains": "ST_Contains", "_st_crosses": "ST_Crosses", "_st_equals": "ST_Equals",
	"_st_intersects": "ST_Intersects", "_st_overlaps": "ST_Overlaps", "_st_touches": "ST_Touches",
	"_st_within": "ST_Within", "_st_3d_intersects": "ST_3DIntersects",
}

// comparisons compiles a <Scalar>_comparison_exp applied to lhs.
func (c *compiler) comparisons(column *metadata.Column, enumRef *metadata.Table, lhs string, typ pgType, ops object) (string, error) {
	var parts []string
	for _, op := range ops {
		p, err := c.comparison(lhs, typ, op.Name, op.Value)
		if err != nil {
			return "", atExpr(err, "."+op.Name)
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "true", nil
	}
	return strings.Join(parts, " AND "), nil
}

func (c *compiler) comparison(lhs string, typ pgType, op string, v any) (string, error) {
	if v == nil {
		return "", nil // Hasura drops a comparison whose operand is null
	}
	if m, ok := v.(missingSessionVar); ok {
		return "", m.err()
	}
	if b, ok := v.(boundValue); ok && simpleOps[op] == "" {
		// Only a simple operator's operand is bound; the others read the
		// value, so the SQL cannot be reused for another one.
		v, c.notReusable = b.v, true
	}
	if _, ok := columnOps[op]; ok {
		return c.columnComparison(lhs, op, v)
	}
	if sqlOp, ok := simpleOps[op]; ok {
		rhs, err := c.typed(v, typ)
		if err != nil {
			return "", err
		}
		return lhs + " " + sqlOp + " " + rhs, nil
	}
	if fn, ok := stFuncs[op]; ok {
		return fn + "(" + lhs + ", " + c.geoParam(v, typ) + ")", nil
	}
	if sql, ok, err := c.extensionComparison(lhs, typ, op, v); ok {
		return sql, err
	}
	switch op {
	case "_in", "_nin":
		if s, ok := v.(string); ok && strings.HasPrefix(s, "{") {
			// An array session variable in Postgres array literal form.
			arr := c.param(s) + "::text::" + typ.sql() + "[]"
			if op == "_in" {
				return lhs + " = ANY(" + arr + ")", nil
			}
			return "NOT (" + lhs + " = ANY(" + arr + "))", nil
		}
		list := asList(v)
		if len(list) == 0 {
			if op == "_in" {
				return "false", nil
			}
			return "true", nil
		}
		texts := make([]*string, len(list))
		for i, x := range list {
			t, err := textOf(x)
			if err != nil {
				return "", err
			}
			if s, ok := t.(string); ok {
				texts[i] = &s
			}
		}
		arr := c.param(texts) + "::text[]::" + typ.sql() + "[]"
		if op == "_in" {
			return lhs + " = ANY(" + arr + ")", nil
		}
		return "NOT (" + lhs + " = ANY(" + arr + "))", nil
	case "_is_null":
		if b, _ := v.(bool); b {
			return lhs + " IS NULL", nil
		}
		return lhs + " IS NOT NULL", nil
	case "_has_key":
		t, _ := textOf(v)
		return lhs + " ? " + c.param(t) + "::text", nil
	case "_has_keys_any", "_has_keys_all":
		sqlOp := "?|"
		if op == "_has_keys_all" {
			sqlOp = "?&"
		}
		if s, ok := v.(string); ok && strings.HasPrefix(s, "{") {
			// An array session variable in Postgres array literal form.
			return lhs + " " + sqlOp + " " + c.param(s) + "::text[]", nil
		}
		var keys []string
		for _, k := range asList(v) {
			s, _ := textOf(k)
			ks, _ := s.(string)
			keys = append(keys, ks)
		}
		return lhs + " " + sqlOp + " " + c.param(keys) + "::text[]", nil
	case "_cast":
		var parts []string
		for _, f := range asObject(v) {
			to := pgType{Name: "text"}
			switch {
			case isGeoType(f.Name) && isGeoType(typ.Name):
				to = pgType{Schema: typ.Schema, Name: f.Name} // PostGIS's schema
			case f.Name != "String" && f.Name != "text": // text: the legacy query API's name
				return "", validationErr("$", "cannot cast to %q", f.Name)
			}
			p, err := c.comparisons(nil, nil, "("+lhs+")::"+to.sql(), to, asObject(f.Value))
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		if len(parts) == 0 {
			return "", nil
		}
		return strings.Join(parts, " AND "), nil
	case "_st_d_within", "_st_3d_d_within":
		o := asObject(v)
		from, _ := o.get("from")
		dist, _ := o.get("distance")
		d, err := c.typed(dist, pgType{Name: "float8"})
		if err != nil {
			return "", err
		}
		fn := "ST_DWithin"
		if op == "_st_3d_d_within" {
			fn = "ST_3DDWithin"
		}
		if typ.Name == "geography" {
			sph, ok := o.get("use_spheroid")
			if !ok || sph == nil {
				sph = true
			}
			s, err := c.typed(sph, pgType{Name: "bool"})
			if err != nil {
				return "", err
			}
			return fn + "(" + lhs + ", " + c.geoParam(from, typ) + ", " + d + ", " + s + ")", nil
		}
		return fn + "(" + lhs + ", " + c.geoParam(from, typ) + ", " + d + ")", nil
	}
	return "", validationErr("$", "unknown operator %q", op)
}

// geoParam binds a GeoJSON value as geometry or geography.
func (c *compiler) geoParam(v any, typ pgType) string {
	t, _ := textOf(v)
	expr := "ST_GeomFromGeoJSON(" + c.param(t) + "::text)"
	if typ.Name == "geography" {
		return expr + "::geography"
	}
	return expr
}

var columnOps = map[string]string{"_ceq": "=", "_cne": "<>", "_cgt": ">", "_clt": "<", "_cgte": ">=", "_clte": "<="}

// columnComparison compiles _ceq and friends: the operand names a column of
// the same row (or, as ["$", col], of the row the permission is checked on).
func (c *compiler) columnComparison(lhs, op string, v any) (string, error) {
	name, _ := v.(string)
	if path := asList(v); len(path) > 0 {
		name, _ = path[len(path)-1].(string)
	}
	col := c.boolColumn(c.cmpTable, name)
	if col == nil && !c.inPermission {
		col = c.cmpTable.Column(name) // a request may name either
	}
	if col == nil {
		return "", validationErr("$", "column %q does not exist in table %q", name, c.cmpTable.Name.String())
	}
	return lhs + " " + columnOps[op] + " " + c.cmpAlias + "." + quoteIdent(col.Name), nil
}
