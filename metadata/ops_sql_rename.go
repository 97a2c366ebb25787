package metadata

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// relColumns is a tracked table's identity as run_sql sees it: its oid and
// the names of its columns by attnum. Comparing the state before and after
// the SQL tells a rename (same oid or attnum, new name) from a drop, as
// Hasura's run_sql does, so that "ALTER TABLE ... RENAME" carries the
// metadata along instead of reporting it broken.
type relColumns struct {
	name    QualifiedName
	columns map[int16]string
}

// trackedOIDs reads the oid and columns of every tracked table of the
// default source of md that exists.
func trackedOIDs(ctx context.Context, q Querier, md *Metadata) (map[uint32]*relColumns, error) {
	src := md.Source("default")
	if src == nil || len(src.Tables) == 0 {
		return nil, nil
	}
	var schemas, names []string
	for _, tm := range src.Tables {
		schemas = append(schemas, tm.Table.Schema)
		names = append(names, tm.Table.Name)
	}
	return readRelations(ctx, q, `(n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, schemas, names)
}

// relationsByOID reads the current names of the relations in oids.
func relationsByOID(ctx context.Context, q Querier, oids map[uint32]*relColumns) (map[uint32]*relColumns, error) {
	list := make([]uint32, 0, len(oids))
	for oid := range oids {
		list = append(list, oid)
	}
	return readRelations(ctx, q, `c.oid = ANY($1::oid[])`, list)
}

func readRelations(ctx context.Context, q Querier, where string, args ...any) (map[uint32]*relColumns, error) {
	rows, err := q.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read tracked relations: %w", err)
	}
	out := map[uint32]*relColumns{}
	var (
		oid          uint32
		schema, name string
		num          int16
		col          string
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &schema, &name, &num, &col}, func() error {
		r := out[oid]
		if r == nil {
			r = &relColumns{name: QualifiedName{Schema: schema, Name: name}, columns: map[int16]string{}}
			out[oid] = r
		}
		r.columns[num] = col
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tracked relations: %w", err)
	}
	return out, nil
}

// applyRenames carries table and column renames between before and after
// into the metadata. It reports whether anything changed.
func (w *work) applyRenames(before, after map[uint32]*relColumns, cat *Catalog) bool {
	src := w.md.Source("default")
	changed := false
	for oid, old := range before {
		cur := after[oid]
		if cur == nil && cat.Tables[old.name] == nil {
			// Dropped: untracked with what it holds; what other objects
			// had on it is for the consistency check to report.
			for i := range src.Tables {
				if src.Tables[i].Table == old.name {
					src.Tables = append(src.Tables[:i], src.Tables[i+1:]...)
					break
				}
			}
			changed = true
			continue
		}
		if cur == nil {
			continue // dropped and created again: it stays tracked
		}
		for num, oldCol := range old.columns {
			if newCol, ok := cur.columns[num]; ok && newCol != oldCol {
				renameColumn(src, old.name, oldCol, newCol)
				changed = true
			}
		}
		if cur.name != old.name {
			renameTable(src, old.name, cur.name)
			changed = true
		}
	}
	return changed
}

// renameTable points the table's metadata and every reference to it at its
// new name.
func renameTable(src *Source, from, to QualifiedName) {
	for i := range src.Tables {
		tm := &src.Tables[i]
		if tm.Table == from {
			tm.Table = to
		}
		eachRelationship(tm, func(rm *RelationshipMeta) {
			if mc := rm.Using.ManualConfiguration; mc != nil && mc.RemoteTable == from {
				mc.RemoteTable = to
			}
			rm.Using.ForeignKeyConstraintOn = editFKSpec(rm.Using.ForeignKeyConstraintOn, func(t *QualifiedName, cols []string) []string {
				if t != nil && *t == from {
					*t = to
				}
				return cols
			})
		})
	}
}

// renameColumn renames a column of table everywhere metadata names it: the
// table's customization, its relationships and permissions, and the
// relationships of other tables that join to it.
func renameColumn(src *Source, table QualifiedName, from, to string) {
	swap := func(cols []string) []string {
		for i, c := range cols {
			if c == from {
				cols[i] = to
			}
		}
		return cols
	}
	for i := range src.Tables {
		tm := &src.Tables[i]
		own := tm.Table == table
		if own {
			renameColumnConfig(tm.Configuration, from, to)
			for _, kind := range permissionKinds {
				list := permList(tm, kind)
				for j := range *list {
					(*list)[j].Permission = renameInPermission((*list)[j].Permission, from, to)
				}
			}
		}
		eachRelationship(tm, func(rm *RelationshipMeta) {
			if mc := rm.Using.ManualConfiguration; mc != nil {
				renameMapping(mc, own, mc.RemoteTable == table, from, to)
			}
			rm.Using.ForeignKeyConstraintOn = editFKSpec(rm.Using.ForeignKeyConstraintOn, func(t *QualifiedName, cols []string) []string {
				if (t == nil && own) || (t != nil && *t == table) {
					return swap(cols)
				}
				return cols
			})
		})
	}
}

func renameColumnConfig(cfg *TableConfig, from, to string) {
	if cfg == nil {
		return
	}
	if n, ok := cfg.CustomColumnNames[from]; ok {
		delete(cfg.CustomColumnNames, from)
		cfg.CustomColumnNames[to] = n
	}
	if cc, ok := cfg.ColumnConfig[from]; ok {
		delete(cfg.ColumnConfig, from)
		cfg.ColumnConfig[to] = cc
	}
}

func renameMapping(mc *ManualRelConfig, ownSide, remoteSide bool, from, to string) {
	out := make(map[string]string, len(mc.ColumnMapping))
	for k, v := range mc.ColumnMapping {
		if ownSide && k == from {
			k = to
		}
		if remoteSide && v == from {
			v = to
		}
		out[k] = v
	}
	mc.ColumnMapping = out
}

func eachRelationship(tm *TableMeta, fn func(*RelationshipMeta)) {
	for _, rels := range []*[]RelationshipMeta{&tm.ObjectRelationships, &tm.ArrayRelationships} {
		for i := range *rels {
			fn(&(*rels)[i])
		}
	}
}

// editFKSpec rewrites foreign_key_constraint_on in the form it was given
// (a column, a list, or {table, column|columns}); fn edits the table (nil
// when the spec names none) and returns the columns.
func editFKSpec(raw json.RawMessage, fn func(t *QualifiedName, cols []string) []string) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var col string
	if json.Unmarshal(raw, &col) == nil {
		return mustJSON(fn(nil, []string{col})[0])
	}
	var cols []string
	if json.Unmarshal(raw, &cols) == nil {
		return mustJSON(fn(nil, cols))
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return raw
	}
	spec, err := parseFKSpec(raw)
	if err != nil || spec.Table == nil {
		return raw
	}
	t := *spec.Table
	newCols := fn(&t, spec.Columns)
	obj["table"] = mustJSON(t)
	if _, ok := obj["column"]; ok {
		obj["column"] = mustJSON(newCols[len(newCols)-1])
	} else {
		obj["columns"] = mustJSON(newCols)
	}
	return mustJSON(obj)
}

// renameInPermission renames a column in a permission body: its columns
// list, its presets, and the column keys of its filter and check (not
// through relationships, whose columns belong to other tables).
func renameInPermission(raw json.RawMessage, from, to string) json.RawMessage {
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		return raw
	}
	if cols, ok := body["columns"].([]any); ok {
		for i, c := range cols {
			if c == from {
				cols[i] = to
			}
		}
	}
	if set, ok := body["set"].(map[string]any); ok {
		renameKey(set, from, to)
	}
	for _, k := range []string{"filter", "check"} {
		if be, ok := body[k].(map[string]any); ok {
			renameInBoolExp(be, from, to)
		}
	}
	return mustJSON(body)
}

func renameInBoolExp(be map[string]any, from, to string) {
	for _, k := range []string{"_and", "_or"} {
		if list, ok := be[k].([]any); ok {
			for _, item := range list {
				if m, ok := item.(map[string]any); ok {
					renameInBoolExp(m, from, to)
				}
			}
		}
	}
	if m, ok := be["_not"].(map[string]any); ok {
		renameInBoolExp(m, from, to)
	}
	renameKey(be, from, to)
}

func renameKey(m map[string]any, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("metadata: marshal of decoded JSON failed: %v", err))
	}
	return b
}

// checkVolatility refuses SQL that makes a tracked query function VOLATILE,
// as Hasura does: the function would keep serving reads that now write.
func (w *work) checkVolatility(prev, cur *Catalog) error {
	src := w.md.Source("default")
	if prev == nil || src == nil {
		return nil
	}
	for _, fm := range src.Functions {
		if fm.Configuration != nil && fm.Configuration.ExposedAs == "mutation" {
			continue
		}
		was, now := prev.Functions[fm.Function], cur.Functions[fm.Function]
		if len(was) == 1 && len(now) == 1 && was[0].Volatility != "v" && now[0].Volatility == "v" {
			return &APIError{Status: 400, Code: "not-supported", Path: "$.args",
				Message: fmt.Sprintf("type of function %q is altered to \"VOLATILE\" which is not supported now", fm.Function.String())}
		}
	}
	return nil
}
