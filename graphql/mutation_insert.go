package graphql

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
)

// insert compiles insert_<t> / insert_<t>_one. Without nested relationship
// inserts it is one statement; with them, rows are inserted parent first,
// each in its own statement, and the response is read back by ctid.
func (m *mutator) insert(t *metadata.Table, g *fieldGroup, one bool, path string) ([]byte, error) {
	c := m.compiler()
	c.insertOutput = true
	var objs []object
	if one {
		v, _ := c.arg(g, "object")
		objs = []object{asObject(v)}
	} else {
		v, _ := c.arg(g, "objects")
		for _, o := range asList(v) {
			objs = append(objs, asObject(o))
		}
	}
	oc, _ := c.arg(g, "on_conflict")
	for _, o := range objs {
		for _, f := range o {
			if t.ColumnByGQL(f.Name) == nil {
				return m.insertNested(t, objs, oc, g, one, path)
			}
		}
	}
	if len(objs) == 0 {
		out, err := c.mutationOutput(t, g, "(SELECT * FROM "+t.Name.SQL()+" LIMIT 0)", "0", one, path)
		if err != nil {
			return nil, err
		}
		return m.queryOne("SELECT "+out, c.args, false)
	}
	cols, rows, err := c.insertValues(t, objs, nil, path)
	if err != nil {
		return nil, err
	}
	conflict, err := c.onConflict(t, "_i", asObject(oc))
	if err != nil {
		return nil, err
	}
	out, err := c.mutationOutput(t, g, "_m", "(SELECT count(*) FROM _m)", one, path)
	if err != nil {
		return nil, err
	}
	check, err := c.checkExpr(t, m.rs.inserts[t], "_m")
	if err != nil {
		return nil, err
	}
	sql := "WITH _m AS (INSERT INTO " + t.Name.SQL() + " AS _i " + cols + " VALUES " + strings.Join(rows, ", ") + conflict +
		" RETURNING _i.*) SELECT " + out + check
	return m.queryOne(sql, c.args, check != "")
}

// insertValues renders the column list and one VALUES row per object;
// missing columns take DEFAULT, role presets override.
func (c *compiler) insertValues(t *metadata.Table, objs []object, fixed map[string]any, path string) (string, []string, error) {
	ins := c.rs.inserts[t]
	var cols []*metadata.Column
	seen := map[string]bool{}
	addCol := func(col *metadata.Column) {
		if !seen[col.Name] {
			seen[col.Name] = true
			cols = append(cols, col)
		}
	}
	for _, o := range objs {
		for _, f := range o {
			if col := t.ColumnByGQL(f.Name); col != nil {
				addCol(col)
			}
		}
	}
	for name := range fixed {
		addCol(t.Column(name))
	}
	presets := c.presets(t, ins)
	for name := range presets {
		if col := t.Column(name); col != nil {
			addCol(col)
		}
	}
	if len(cols) == 0 {
		cols = []*metadata.Column{t.Columns[0]}
	}
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = quoteIdent(col.Name)
	}
	rows := make([]string, 0, len(objs))
	for _, o := range objs {
		vals := make([]string, len(cols))
		for j, col := range cols {
			v, ok := o.get(col.GQLName)
			if fv, isFixed := fixed[col.Name]; isFixed {
				if ok {
					return "", nil, validationErr(path,
						"cannot insert %q columns as their values are already being determined by parent insert", col.Name)
				}
				v, ok = fv, true
			}
			if pv, isPreset := presets[col.Name]; isPreset {
				v, ok = pv, true
			}
			if !ok {
				vals[j] = "DEFAULT"
				continue
			}
			p, err := c.typed(v, columnType(col))
			if err != nil {
				return "", nil, err
			}
			vals[j] = p
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	return "(" + strings.Join(names, ", ") + ")", rows, nil
}

// presets are a permission's column presets with session variables resolved.
func (c *compiler) presets(t *metadata.Table, a *writeAccess) map[string]any {
	if a == nil || len(a.Set) == 0 {
		return nil
	}
	out := map[string]any{}
	for k, v := range a.Set {
		out[k] = c.resolveSessionValue(v, "")
	}
	return out
}

// onConflict compiles on_conflict {constraint, update_columns, where}.
func (c *compiler) onConflict(t *metadata.Table, alias string, oc object) (string, error) {
	if oc == nil {
		return "", nil
	}
	cv, _ := oc.get("constraint")
	constraint, _ := cv.(string)
	uv, _ := oc.get("update_columns")
	var update []*metadata.Column
	for _, u := range asList(uv) {
		name, _ := u.(string)
		if col := t.ColumnByGQL(name); col != nil {
			update = append(update, col)
		}
	}
	wv, _ := oc.get("where")
	return c.upsert(t, alias, " ON CONSTRAINT "+quoteIdent(constraint), update, asObject(wv))
}

// upsert compiles ON CONFLICT target for both on_conflict forms (GraphQL's
// and /v1/query's): a conflicting row gets the update columns from
// EXCLUDED, or stays as it is when there are none. The update permission's
// presets apply to the rows an upsert updates and replace the inserted
// value of a column they name (as in Hasura), which must not be assigned
// twice; where and the update filter limit the rows updated.
func (c *compiler) upsert(t *metadata.Table, alias, target string, update []*metadata.Column, where object) (string, error) {
	sql := " ON CONFLICT" + target
	if len(update) == 0 {
		return sql + " DO NOTHING", nil
	}
	presets := c.presets(t, c.rs.updates[t])
	var sets []string
	for _, col := range update {
		if _, preset := presets[col.Name]; !preset {
			sets = append(sets, quoteIdent(col.Name)+" = EXCLUDED."+quoteIdent(col.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(presets)) {
		if col := t.Column(name); col != nil {
			p, err := c.typed(presets[name], columnType(col))
			if err != nil {
				return "", err
			}
			sets = append(sets, quoteIdent(col.Name)+" = "+p)
		}
	}
	if len(sets) == 0 {
		return sql + " DO NOTHING", nil
	}
	sql += " DO UPDATE SET " + strings.Join(sets, ", ")
	var conds []string
	if where != nil {
		w, err := c.boolExp(t, alias, where)
		if err != nil {
			return "", err
		}
		conds = append(conds, w)
	}
	if upd := c.rs.updates[t]; upd != nil && upd.Filter != nil {
		f, err := c.permissionExp(t, alias, upd.Filter)
		if err != nil {
			return "", err
		}
		conds = append(conds, f)
	}
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	return sql, nil
}

// permissionExp compiles a permission's bool_exp with session values.
func (c *compiler) permissionExp(t *metadata.Table, alias string, exp map[string]any) (string, error) {
	was := c.inPermission
	c.inPermission = true
	defer func() { c.inPermission = was }()
	return c.boolExp(t, alias, c.sessionResolved(exp))
}

// checkExpr is ", (SELECT bool_and(check) FROM rows)" for a permission with
// a check, else "".
func (c *compiler) checkExpr(t *metadata.Table, a *writeAccess, rows string) (string, error) {
	if a == nil || len(a.Check) == 0 {
		return "", nil
	}
	x := c.alias()
	e, err := c.permissionExp(t, x, a.Check)
	if err != nil {
		return "", err
	}
	return ", (SELECT bool_and(" + e + ") FROM " + rows + " AS " + x + ")", nil
}

// mutationOutput renders a mutation's response from the affected rows:
// <t>_mutation_response, or the single row for _one/_by_pk fields.
func (c *compiler) mutationOutput(t *metadata.Table, g *fieldGroup, rows, affected string, single bool, path string) (string, error) {
	// Rows an update or delete returns obey the role's select filter;
	// an insert's do not (insertOutput).
	visible := func(x string) (string, error) {
		if c.insertOutput {
			return "", nil
		}
		pf, err := c.permFilter(t, x)
		if err != nil || pf == "" {
			return "", err
		}
		return " WHERE " + pf, nil
	}
	if single {
		x := c.alias()
		obj, lats, err := c.objectJSON(t, x, c.subFields(g, t.TypeName("")), path)
		if err != nil {
			return "", err
		}
		where, err := visible(x)
		if err != nil {
			return "", err
		}
		return "(SELECT " + obj + " FROM " + rows + " AS " + x + lats + where + " LIMIT 1)", nil
	}
	fields := c.subFields(g, t.TypeName("_mutation_response"))
	ks := make([]string, 0, len(fields))
	vs := make([]string, 0, len(fields))
	for _, f := range fields {
		ks = append(ks, f.Key)
		switch f.Name {
		case "__typename":
			vs = append(vs, quoteLiteral(t.TypeName("_mutation_response")))
		case "affected_rows":
			vs = append(vs, affected)
		case "returning":
			x := c.alias()
			obj, lats, err := c.objectJSON(t, x, c.subFields(f, t.TypeName("")), path+".selectionSet."+f.Key)
			if err != nil {
				return "", err
			}
			where, err := visible(x)
			if err != nil {
				return "", err
			}
			vs = append(vs, "(SELECT coalesce(json_agg("+obj+"), '[]') FROM "+rows+" AS "+x+lats+where+")")
		}
	}
	return rowObject(ks, vs), nil
}

// insertedRow is a row written by a nested insert.
type insertedRow struct {
	ctid   string
	values map[string]any
}

func (m *mutator) insertNested(t *metadata.Table, objs []object, oc any, g *fieldGroup, one bool, path string) ([]byte, error) {
	var tids []string
	affected := 0
	for i, o := range objs {
		argPath := path + ".args.objects[" + strconv.Itoa(i) + "]"
		if one {
			argPath = path + ".args.object"
		}
		row, n, err := m.insertRow(t, o, oc, nil, argPath)
		if err != nil {
			return nil, err
		}
		affected += n
		if row.ctid != "" {
			tids = append(tids, row.ctid)
		}
	}
	c := m.compiler()
	c.insertOutput = true
	rows := "(SELECT _t.* FROM unnest(" + c.param(tids) + "::text[]::tid[]) WITH ORDINALITY AS _u(tid, ord) JOIN " +
		t.Name.SQL() + " AS _t ON _t.ctid = _u.tid ORDER BY _u.ord)"
	// affected is our own count, not input: it can be written into the SQL.
	out, err := c.mutationOutput(t, g, rows, strconv.Itoa(affected), one, path)
	if err != nil {
		return nil, err
	}
	return m.queryOne("SELECT "+out, c.args, false)
}

// insertRow inserts one object: its object-relationship parents first, then
// the row, then its array-relationship children. It returns the row and the
// number of rows written.
func (m *mutator) insertRow(t *metadata.Table, o object, oc any, fixed map[string]any, path string) (insertedRow, int, error) {
	m.written[t.Name] = true
	affected := 0
	own := object{}
	if fixed == nil {
		fixed = map[string]any{}
	}
	for _, f := range o {
		r := t.Relationship(f.Name)
		if r == nil {
			own = append(own, f)
			continue
		}
		if r.Kind != metadata.ObjectRel {
			continue
		}
		rel := asObject(f.Value)
		data, _ := rel.get("data")
		roc, _ := rel.get("on_conflict")
		parent, n, err := m.insertRow(r.Target, asObject(data), roc, nil, path+"."+f.Name+".data")
		if err != nil {
			return insertedRow{}, 0, err
		}
		if parent.ctid == "" {
			return insertedRow{}, 0, &queryError{Code: "unexpected", Path: path, Message: "the parent row was not inserted (on_conflict do nothing); nested insert cannot continue"}
		}
		affected += n
		for _, p := range r.Mapping {
			fixed[p.From] = parent.values[p.To]
		}
	}
	c := m.compiler()
	cols, rows, err := c.insertValues(t, []object{own}, fixed, path)
	if err != nil {
		return insertedRow{}, 0, err
	}
	conflict, err := c.onConflict(t, "_i", asObject(oc))
	if err != nil {
		return insertedRow{}, 0, err
	}
	check, err := c.checkExpr(t, m.rs.inserts[t], "_m")
	if err != nil {
		return insertedRow{}, 0, err
	}
	sql := "WITH _m AS (INSERT INTO " + t.Name.SQL() + " AS _i " + cols + " VALUES " + rows[0] + conflict +
		" RETURNING _i.*, _i.ctid AS __ctid) SELECT json_build_object('ctid', (SELECT __ctid::text FROM _m), 'row', (SELECT row_to_json(_m) FROM _m))" + check
	raw, err := m.queryOne(sql, c.args, check != "")
	if err != nil {
		return insertedRow{}, 0, err
	}
	var res struct {
		Ctid *string        `json:"ctid"`
		Row  map[string]any `json:"row"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return insertedRow{}, 0, err
	}
	row := insertedRow{values: res.Row}
	if res.Ctid == nil {
		return row, affected, nil // skipped by on_conflict do nothing
	}
	row.ctid = *res.Ctid
	affected++
	for _, f := range o {
		r := t.Relationship(f.Name)
		if r == nil || r.Kind != metadata.ArrayRel {
			continue
		}
		rel := asObject(f.Value)
		data, _ := rel.get("data")
		roc, _ := rel.get("on_conflict")
		childFixed := func() map[string]any {
			cf := map[string]any{}
			for _, p := range r.Mapping {
				cf[p.To] = row.values[p.From]
			}
			return cf
		}
		for j, child := range asList(data) {
			_, n, err := m.insertRow(r.Target, asObject(child), roc, childFixed(), path+"."+f.Name+".data["+strconv.Itoa(j)+"]")
			if err != nil {
				return insertedRow{}, 0, err
			}
			affected += n
		}
	}
	return row, affected, nil
}
