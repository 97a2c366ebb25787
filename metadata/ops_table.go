package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tableArgs is the union of the argument forms of table operations: v1
// ({schema, name} or a bare name), and {table, source, configuration, ...}.
type tableArgs struct {
	Table         QualifiedName
	Source        string
	IsEnum        bool
	Configuration *TableConfig
	Cascade       bool
	raw           map[string]json.RawMessage
}

func parseTableArgs(r *Request) (*tableArgs, error) {
	a := &tableArgs{Source: r.Source}
	var name string
	if json.Unmarshal(r.Args, &name) == nil {
		a.Table = QualifiedName{Schema: "public", Name: name}
		return a, nil
	}
	if err := decodeArgs(r, &a.raw); err != nil {
		return nil, err
	}
	var v struct {
		Table         *QualifiedName `json:"table"`
		Schema        string         `json:"schema"`
		Name          string         `json:"name"`
		Source        string         `json:"source"`
		IsEnum        bool           `json:"is_enum"`
		Configuration *TableConfig   `json:"configuration"`
		Cascade       bool           `json:"cascade"`
	}
	if err := decodeArgs(r, &v); err != nil {
		return nil, err
	}
	switch {
	case v.Table != nil:
		a.Table = *v.Table
	case v.Name != "":
		a.Table = QualifiedName{Schema: v.Schema, Name: v.Name}
		if a.Table.Schema == "" {
			a.Table.Schema = "public"
		}
	default:
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "table" not found`}
	}
	if v.Source != "" {
		a.Source = v.Source
	}
	a.IsEnum, a.Configuration, a.Cascade = v.IsEnum, v.Configuration, v.Cascade
	return a, nil
}

func opTrackTable(w *work, r *Request) (any, error) {
	a, err := parseTableArgs(r)
	if err != nil {
		return nil, err
	}
	src, err := w.sourceOf(a.Source)
	if err != nil {
		return nil, err
	}
	if src.Table(a.Table) != nil {
		return nil, alreadyExists("already-tracked", "view/table already tracked: %q", a.Table.String())
	}
	if src.Function(a.Table) != nil {
		// Both would claim the same root field names.
		return nil, alreadyExists("not-supported", "function with name %q already exists", a.Table.String())
	}
	cat, err := w.catalogOf(src.Name)
	if err != nil {
		return nil, err
	}
	if cat.Tables[a.Table] == nil {
		return nil, notExists("no such table/view exists in source: %q", a.Table.String())
	}
	tm := TableMeta{Table: a.Table, IsEnum: a.IsEnum}
	if !a.Configuration.IsEmpty() {
		tm.Configuration = a.Configuration
	}
	if err := checkColumnNames(&tm, cat); err != nil {
		return nil, err
	}
	src.Tables = append(src.Tables, tm)
	w.changed = true
	if err := w.checkConsistentFor(tableRef(a.Table), "invalid-configuration"); err != nil {
		return nil, err
	}
	return success, nil
}

func opUntrackTable(w *work, r *Request) (any, error) {
	a, err := parseTableArgs(r)
	if err != nil {
		return nil, err
	}
	src, err := w.sourceOf(a.Source)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i := range src.Tables {
		if src.Tables[i].Table == a.Table {
			idx = i
		}
	}
	if idx < 0 {
		return nil, alreadyExists("already-untracked", "view/table already untracked: %q", a.Table.String())
	}
	deps := dependentsOf(src, a.Table)
	if src.Name == "default" {
		s, err := w.resolve()
		if err != nil {
			return nil, err
		}
		deps = s.dependentsOf(a.Table)
	}
	if len(deps) > 0 && !a.Cascade {
		return nil, &APIError{Status: 400, Code: "dependency-error", Path: "$.args",
			Message: "cannot drop due to the following dependent objects : " + strings.Join(deps, ", ")}
	}
	src.Tables = append(src.Tables[:idx], src.Tables[idx+1:]...)
	dropRelationshipsTo(src, a.Table)
	w.changed = true
	if src.Name == "default" && a.Cascade {
		// What pointed at the table is now inconsistent: cascade drops it.
		return success, w.dropInconsistent(w.baseline)
	}
	return success, nil
}

// dependentsOf lists the metadata objects of other tables that point at t.
func dependentsOf(src *Source, t QualifiedName) []string {
	var deps []string
	for _, tm := range src.Tables {
		if tm.Table == t {
			continue
		}
		for _, rels := range [][]RelationshipMeta{tm.ObjectRelationships, tm.ArrayRelationships} {
			for _, rm := range rels {
				if relTarget(tm.Table, rm) == t {
					deps = append(deps, fmt.Sprintf("relationship %s.%s", tm.Table.String(), rm.Name))
				}
			}
		}
	}
	return deps
}

// relTarget is the table a relationship points at, as far as metadata alone tells.
func relTarget(from QualifiedName, rm RelationshipMeta) QualifiedName {
	if mc := rm.Using.ManualConfiguration; mc != nil {
		return mc.RemoteTable
	}
	if spec, err := parseFKSpec(rm.Using.ForeignKeyConstraintOn); err == nil && spec.Table != nil {
		return *spec.Table
	}
	return QualifiedName{} // an FK on the table's own columns: the catalog knows the target
}

func dropRelationshipsTo(src *Source, t QualifiedName) {
	keep := func(from QualifiedName, rels []RelationshipMeta) []RelationshipMeta {
		out := rels[:0]
		for _, rm := range rels {
			if relTarget(from, rm) != t {
				out = append(out, rm)
			}
		}
		return out
	}
	for i := range src.Tables {
		tm := &src.Tables[i]
		tm.ObjectRelationships = keep(tm.Table, tm.ObjectRelationships)
		tm.ArrayRelationships = keep(tm.Table, tm.ArrayRelationships)
	}
}

// trackedTable finds a tracked table of the default (or named) source.
func (w *work) trackedTable(source string, q QualifiedName) (*TableMeta, error) {
	src, err := w.sourceOf(source)
	if err != nil {
		return nil, err
	}
	tm := src.Table(q)
	if tm == nil {
		return nil, notExists("table %q does not exist", q.String())
	}
	return tm, nil
}

func opSetTableCustomization(w *work, r *Request) (any, error) {
	a, err := parseTableArgs(r)
	if err != nil {
		return nil, err
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	tm.Configuration = nil
	if !a.Configuration.IsEmpty() {
		tm.Configuration = a.Configuration
	}
	w.changed = true
	if cat, err := w.catalogOf(a.Source); err != nil {
		return nil, err
	} else if err := checkColumnNames(tm, cat); err != nil {
		return nil, err
	}
	return success, w.checkConsistentFor(tableRef(a.Table), "invalid-configuration")
}

func opSetTableIsEnum(w *work, r *Request) (any, error) {
	a, err := parseTableArgs(r)
	if err != nil {
		return nil, err
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	tm.IsEnum = a.IsEnum
	w.changed = true
	return success, w.checkConsistentFor(tableRef(a.Table), "invalid-configuration")
}

// opSetTableCustomFields is the v1 form of customization.
func opSetTableCustomFields(w *work, r *Request) (any, error) {
	a, err := parseTableArgs(r)
	if err != nil {
		return nil, err
	}
	var v struct {
		CustomRootFields  map[string]any    `json:"custom_root_fields"`
		CustomColumnNames map[string]string `json:"custom_column_names"`
	}
	if err := decodeArgs(r, &v); err != nil {
		return nil, err
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	cfg := &TableConfig{}
	if tm.Configuration != nil {
		cfg.CustomName = tm.Configuration.CustomName
	}
	cfg.CustomRootFields, cfg.CustomColumnNames = v.CustomRootFields, v.CustomColumnNames
	tm.Configuration = nil
	if !cfg.IsEmpty() {
		tm.Configuration = cfg
	}
	w.changed = true
	cat, err := w.catalog()
	if err != nil {
		return nil, err
	}
	if err := checkColumnNames(tm, cat); err != nil {
		return nil, err
	}
	return success, w.checkConsistentFor(tableRef(a.Table), "invalid-configuration")
}
