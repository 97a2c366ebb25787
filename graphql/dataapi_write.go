package graphql

import (
	"strings"

	"github.com/graftql/graft/metadata"
)

// DataReturning is a write's response: affected_rows, and the returning
// rows with these columns when Rows is set.
type DataReturning struct {
	Columns []*metadata.Column
	Rows    bool
}

// DataInsert is a legacy insert; objects are keyed by Postgres column names.
type DataInsert struct {
	Table     *metadata.Table
	Objects   []map[string]any
	Conflict  *DataConflict
	Returning DataReturning
}

// DataConflict is a legacy on_conflict: the constraint, or its columns
// (neither: any conflict), and whether a conflicting row gets the inserted
// values (Update) or stays as it is.
type DataConflict struct {
	Constraint string
	Columns    []*metadata.Column
	Update     bool
}

// DataUpdate is a legacy update; the maps are keyed by Postgres column names.
type DataUpdate struct {
	Table         *metadata.Table
	Set, Inc, Mul map[string]any
	Default       []*metadata.Column
	Where         map[string]any
	Returning     DataReturning
}

// DataDelete is a legacy delete.
type DataDelete struct {
	Table     *metadata.Table
	Where     map[string]any
	Returning DataReturning
}

// Insert compiles q. The statement returns the response json and, when
// checked, whether every written row passed the permission's check.
func (s *DataScope) Insert(q *DataInsert) (stmt Statement, checked bool, err error) {
	c := s.compiler()
	t := q.Table
	objs := make([]object, len(q.Objects))
	inserted := map[string]bool{}
	for i, o := range q.Objects {
		for _, k := range sortedKeys(o) {
			if col := t.Column(k); col != nil {
				objs[i] = append(objs[i], objField{Name: col.GQLName, Value: legacyValue(o[k], false)})
				inserted[col.Name] = true
			}
		}
	}
	if len(objs) == 0 {
		out, err := c.dataOutput(t, q.Returning)
		if err != nil {
			return Statement{}, false, dataErr(err)
		}
		return Statement{SQL: "WITH _m AS (SELECT * FROM " + t.Name.SQL() + " LIMIT 0) SELECT " + out, Args: c.args}, false, nil
	}
	cols, rows, err := c.insertValues(t, objs, nil, "$.args.objects")
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	conflict, err := c.legacyConflict(t, q.Conflict, inserted)
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	out, err := c.dataOutput(t, q.Returning)
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	check, err := c.checkExpr(t, s.rs.inserts[t], "_m")
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	sql := "WITH _m AS (INSERT INTO " + t.Name.SQL() + " AS _i " + cols + " VALUES " + strings.Join(rows, ", ") + conflict +
		" RETURNING _i.*) SELECT " + out + check
	return Statement{SQL: sql, Args: c.args}, check != "", nil
}

// legacyConflict compiles on_conflict as Hasura's v1 insert does: an update
// sets every inserted column, through the same upsert as GraphQL's
// on_conflict (presets and update filter included).
func (c *compiler) legacyConflict(t *metadata.Table, oc *DataConflict, inserted map[string]bool) (string, error) {
	if oc == nil {
		return "", nil
	}
	var target string
	switch {
	case oc.Constraint != "":
		target = " ON CONSTRAINT " + quoteIdent(oc.Constraint)
	case len(oc.Columns) > 0:
		names := make([]string, len(oc.Columns))
		for i, col := range oc.Columns {
			names[i] = quoteIdent(col.Name)
		}
		target = " (" + strings.Join(names, ", ") + ")"
	}
	var update []*metadata.Column
	if oc.Update {
		for _, col := range t.Columns {
			if inserted[col.Name] {
				update = append(update, col)
			}
		}
	}
	return c.upsert(t, "_i", target, update, nil)
}

// Update compiles q; the statement returns as Insert's does.
func (s *DataScope) Update(q *DataUpdate) (stmt Statement, checked bool, err error) {
	c := s.compiler()
	t := q.Table
	access := s.rs.updates[t]
	x := c.alias()
	var order []string
	value := map[string]string{}
	apply := func(m map[string]any, op string) error {
		for _, k := range sortedKeys(m) {
			column := t.Column(k)
			if column == nil {
				continue
			}
			cur, seen := value[column.Name]
			if !seen {
				cur = col(x, column)
				order = append(order, column.Name)
			}
			p, err := c.typed(legacyValue(m[k], false), columnType(column))
			if err != nil {
				return err
			}
			switch op {
			case "set":
				value[column.Name] = p
			case "inc":
				value[column.Name] = "(" + cur + ") + " + p
			default:
				value[column.Name] = "(" + cur + ") * " + p
			}
		}
		return nil
	}
	for _, step := range []struct {
		m  map[string]any
		op string
	}{{q.Set, "set"}, {q.Inc, "inc"}, {q.Mul, "mul"}} {
		if err := apply(step.m, step.op); err != nil {
			return Statement{}, false, dataErr(err)
		}
	}
	for _, col := range q.Default {
		if _, seen := value[col.Name]; !seen {
			order = append(order, col.Name)
		}
		value[col.Name] = "DEFAULT"
	}
	for _, name := range presetNames(access) {
		if t.Column(name) == nil {
			continue
		}
		p, err := c.typed(c.resolveSessionValue(access.Set[name], ""), columnType(t.Column(name)))
		if err != nil {
			return Statement{}, false, dataErr(err)
		}
		if _, seen := value[name]; !seen {
			order = append(order, name)
		}
		value[name] = p
	}
	sets := make([]string, len(order))
	for i, name := range order {
		sets[i] = quoteIdent(name) + " = " + value[name]
	}
	where, err := c.dataWhere(s, t, x, q.Where, access)
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	out, err := c.dataOutput(t, q.Returning)
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	check, err := c.checkExpr(t, access, "_m")
	if err != nil {
		return Statement{}, false, dataErr(err)
	}
	sql := "WITH _m AS (UPDATE " + t.Name.SQL() + " AS " + x + " SET " + strings.Join(sets, ", ") + " WHERE " + where +
		" RETURNING " + x + ".*) SELECT " + out + check
	return Statement{SQL: sql, Args: c.args}, check != "", nil
}

// Delete compiles q; the statement returns the response json.
func (s *DataScope) Delete(q *DataDelete) (Statement, error) {
	c := s.compiler()
	t := q.Table
	x := c.alias()
	where, err := c.dataWhere(s, t, x, q.Where, s.rs.deletes[t])
	if err != nil {
		return Statement{}, dataErr(err)
	}
	out, err := c.dataOutput(t, q.Returning)
	if err != nil {
		return Statement{}, dataErr(err)
	}
	sql := "WITH _m AS (DELETE FROM " + t.Name.SQL() + " AS " + x + " WHERE " + where + " RETURNING " + x + ".*) SELECT " + out
	return Statement{SQL: sql, Args: c.args}, nil
}

// dataOutput renders {affected_rows, returning} from the written rows _m;
// returned rows obey the role's select filter, as any read does.
func (c *compiler) dataOutput(t *metadata.Table, r DataReturning) (string, error) {
	keys := []string{"affected_rows"}
	vals := []string{"(SELECT count(*) FROM _m)"}
	if r.Rows {
		x := c.alias()
		a := c.rs.access[t]
		rk := make([]string, len(r.Columns))
		rv := make([]string, len(r.Columns))
		for i, col := range r.Columns {
			ref, err := c.columnValue(t, a, x, col)
			if err != nil {
				return "", err
			}
			rk[i], rv[i] = col.Name, outputExpr(ref, col.Info.TypeName)
		}
		where := ""
		pf, err := c.permFilter(t, x)
		if err != nil {
			return "", err
		}
		if pf != "" {
			where = " WHERE " + pf
		}
		keys = append(keys, "returning")
		vals = append(vals, "(SELECT coalesce(json_agg("+rowObject(rk, rv)+"), '[]') FROM _m AS "+x+where+")")
	}
	return jsonObject(keys, vals), nil
}

// presetNames are a write permission's preset columns, in a stable order.
func presetNames(a *writeAccess) []string {
	if a == nil {
		return nil
	}
	return sortedKeys(a.Set)
}
