package graphql

import (
	"slices"
	"strings"

	"github.com/graftql/graft/metadata"
)

// update compiles update_<t>, update_<t>_by_pk and one entry of
// update_<t>_many (entry holds its arguments) into one statement.
func (m *mutator) update(c *compiler, t *metadata.Table, g *fieldGroup, entry object, byPk bool, path string) ([]byte, error) {
	given := map[string]bool{}
	arg := func(name string) any {
		if entry != nil {
			v, ok := entry.get(name)
			given[name] = ok
			return v
		}
		v, ok := c.arg(g, name)
		given[name] = ok
		return v
	}
	access := m.rs.updates[t]
	x := c.alias()
	// A column may be named by one operator only, as in Hasura.
	var setCols, repeated []string
	newValue := map[string]string{}
	updateOps := []string{"_set", "_inc", "_append", "_prepend", "_delete_key", "_delete_elem", "_delete_at_path"}
	for _, op := range updateOps {
		for _, f := range asObject(arg(op)) {
			col := t.ColumnByGQL(f.Name)
			if col == nil {
				return nil, validationErr(path, "field %q not found in type: '%s%s_input'", f.Name, t.GQLName, op)
			}
			if _, seen := newValue[col.Name]; seen {
				if !slices.Contains(repeated, f.Name) {
					repeated = append(repeated, f.Name)
				}
				continue
			}
			setCols = append(setCols, col.Name)
			expr, err := c.updateExpr(op, x+"."+quoteIdent(col.Name), col, f.Value)
			if err != nil {
				return nil, err
			}
			newValue[col.Name] = expr
		}
	}
	if len(repeated) > 0 {
		return nil, validationErr(path+".args", "Column found in multiple operators: ['%s'].", strings.Join(repeated, "', '"))
	}
	var sets []string
	for _, name := range setCols {
		sets = append(sets, quoteIdent(name)+" = "+newValue[name])
	}
	anyGiven := false
	for _, op := range updateOps {
		anyGiven = anyGiven || given[op]
	}
	if !anyGiven && len(access.Set) == 0 {
		return nil, validationErr(path, "at least any one of %s is expected", strings.Join(updateOps, ", "))
	}
	single := byPk
	if len(sets) == 0 && len(access.Set) == 0 {
		// Nothing to set: Hasura answers with no affected rows.
		out, err := c.mutationOutput(t, g, "(SELECT * FROM "+t.Name.SQL()+" LIMIT 0)", "0", single, path)
		if err != nil {
			return nil, err
		}
		return m.queryOne("SELECT "+out, c.args, false)
	}
	for name, v := range c.presets(t, access) {
		col := t.Column(name)
		if col == nil {
			continue
		}
		p, err := c.typed(v, columnType(col))
		if err != nil {
			return nil, err
		}
		sets = append(sets, quoteIdent(name)+" = "+p)
	}
	where, err := m.rowFilter(c, t, x, arg, byPk, access)
	if err != nil {
		return nil, err
	}
	out, err := c.mutationOutput(t, g, "_m", "(SELECT count(*) FROM _m)", single, path)
	if err != nil {
		return nil, err
	}
	check, err := c.checkExpr(t, access, "_m")
	if err != nil {
		return nil, err
	}
	sql := "WITH _m AS (UPDATE " + t.Name.SQL() + " AS " + x + " SET " + strings.Join(sets, ", ") + " WHERE " + where +
		" RETURNING " + x + ".*) SELECT " + out + check
	return m.queryOne(sql, c.args, check != "")
}

// updateExpr is the new value of a column for one update operator.
func (c *compiler) updateExpr(op, cur string, col *metadata.Column, v any) (string, error) {
	switch op {
	case "_set":
		return c.typed(v, columnType(col))
	case "_inc":
		p, err := c.typed(v, columnType(col))
		return cur + " + " + p, err
	case "_append":
		p, err := c.typed(v, columnType(col))
		return cur + " || " + p, err
	case "_prepend":
		p, err := c.typed(v, columnType(col))
		return p + " || " + cur, err
	case "_delete_key":
		t, err := textOf(v)
		return cur + " - " + c.param(t) + "::text", err
	case "_delete_elem":
		t, err := textOf(v)
		return cur + " - " + c.param(t) + "::text::int", err
	default: // _delete_at_path
		var path []string
		for _, p := range asList(v) {
			s, _ := textOf(p)
			ps, _ := s.(string)
			path = append(path, ps)
		}
		return cur + " #- " + c.param(path) + "::text[]", nil
	}
}

// rowFilter is the WHERE of an update or delete: the user's where (or the
// primary key) and the role's permission filter.
func (m *mutator) rowFilter(c *compiler, t *metadata.Table, x string, arg func(string) any, byPk bool, access *writeAccess) (string, error) {
	var conds []string
	if byPk {
		keys := asObject(arg("pk_columns"))
		for _, col := range t.PrimaryKey {
			var v any
			if keys != nil {
				v, _ = keys.get(col.GQLName)
			} else {
				v = arg(col.GQLName)
			}
			p, err := c.typed(v, columnType(col))
			if err != nil {
				return "", err
			}
			conds = append(conds, x+"."+quoteIdent(col.Name)+" = "+p)
		}
	} else {
		w, err := c.boolExp(t, x, asObject(arg("where")))
		if err != nil {
			return "", err
		}
		conds = append(conds, w)
	}
	if access != nil && access.Filter != nil {
		f, err := c.permissionExp(t, x, access.Filter)
		if err != nil {
			return "", err
		}
		conds = append(conds, f)
	}
	return strings.Join(conds, " AND "), nil
}

// delete compiles delete_<t> and delete_<t>_by_pk into one statement.
func (m *mutator) delete(t *metadata.Table, g *fieldGroup, byPk bool, path string) ([]byte, error) {
	c := m.compiler()
	arg := func(name string) any {
		v, _ := c.arg(g, name)
		return v
	}
	x := c.alias()
	where, err := m.rowFilter(c, t, x, arg, byPk, m.rs.deletes[t])
	if err != nil {
		return nil, err
	}
	out, err := c.mutationOutput(t, g, "_m", "(SELECT count(*) FROM _m)", byPk, path)
	if err != nil {
		return nil, err
	}
	sql := "WITH _m AS (DELETE FROM " + t.Name.SQL() + " AS " + x + " WHERE " + where + " RETURNING " + x + ".*) SELECT " + out
	return m.queryOne(sql, c.args, false)
}
