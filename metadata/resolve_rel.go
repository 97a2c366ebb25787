package metadata

import (
	"encoding/json"
	"fmt"
)

// fkSpec is the parsed form of foreign_key_constraint_on.
type fkSpec struct {
	Table   *QualifiedName
	Columns []string
}

func parseFKSpec(raw json.RawMessage) (fkSpec, error) {
	var col string
	if err := json.Unmarshal(raw, &col); err == nil {
		return fkSpec{Columns: []string{col}}, nil
	}
	var cols []string
	if err := json.Unmarshal(raw, &cols); err == nil {
		return fkSpec{Columns: cols}, nil
	}
	var obj struct {
		Table   *QualifiedName `json:"table"`
		Column  string         `json:"column"`
		Columns []string       `json:"columns"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fkSpec{}, fmt.Errorf("invalid foreign_key_constraint_on: %w", err)
	}
	if obj.Column != "" {
		obj.Columns = append(obj.Columns, obj.Column)
	}
	if len(obj.Columns) == 0 {
		return fkSpec{}, fmt.Errorf("foreign_key_constraint_on needs a column")
	}
	return fkSpec{Table: obj.Table, Columns: obj.Columns}, nil
}

func (s *Snapshot) resolveRelationships(t *Table) {
	for i := range t.Meta.ObjectRelationships {
		rm := &t.Meta.ObjectRelationships[i]
		r, err := s.resolveRelationship(t, rm, ObjectRel)
		if err == nil {
			err = relFieldConflict(t, rm.Name, ObjectRel)
		}
		if err != nil {
			s.relInconsistent(t.Name, rm, ObjectRel, err.Error())
			continue
		}
		t.ObjectRels = append(t.ObjectRels, r)
	}
	for i := range t.Meta.ArrayRelationships {
		rm := &t.Meta.ArrayRelationships[i]
		r, err := s.resolveRelationship(t, rm, ArrayRel)
		if err == nil {
			err = relFieldConflict(t, rm.Name, ArrayRel)
		}
		if err != nil {
			s.relInconsistent(t.Name, rm, ArrayRel, err.Error())
			continue
		}
		t.ArrayRels = append(t.ArrayRels, r)
	}
}

// relKindName is Hasura's inconsistent-object type of a relationship.
func relKindName(kind RelKind) string {
	if kind == ArrayRel {
		return "array_relation"
	}
	return "object_relation"
}

func (s *Snapshot) relInconsistent(table QualifiedName, rm *RelationshipMeta, kind RelKind, reason string) {
	s.addInconsistent(relKindName(kind), rm.Name+" in table "+table.String(), reason,
		map[string]any{"table": table, "name": rm.Name, "using": rm.Using, "comment": rm.Comment}, table, rm.Name)
}

func (s *Snapshot) resolveRelationship(t *Table, rm *RelationshipMeta, kind RelKind) (*Relationship, error) {
	r := &Relationship{Name: rm.Name, Kind: kind, Comment: rm.Comment}
	if mc := rm.Using.ManualConfiguration; mc != nil {
		r.Target = s.tableByName[mc.RemoteTable]
		if r.Target == nil {
			return nil, fmt.Errorf("table %q is not tracked", mc.RemoteTable.String())
		}
		for from, to := range mc.ColumnMapping {
			if t.Column(from) == nil {
				return nil, fmt.Errorf("column %q does not exist in table %q", from, t.Name.String())
			}
			if r.Target.Column(to) == nil {
				return nil, fmt.Errorf("column %q does not exist in table %q", to, r.Target.Name.String())
			}
			r.Mapping = append(r.Mapping, ColumnPair{From: from, To: to})
		}
		sortPairs(r.Mapping)
		r.Nullable = true
		return r, nil
	}
	if len(rm.Using.ForeignKeyConstraintOn) == 0 {
		return nil, fmt.Errorf("relationship %q has neither foreign_key_constraint_on nor manual_configuration", rm.Name)
	}
	spec, err := parseFKSpec(rm.Using.ForeignKeyConstraintOn)
	if err != nil {
		return nil, err
	}
	if kind == ObjectRel && spec.Table == nil {
		// The FK is on this table's own columns.
		fk := findFK(t.Info.ForeignKeys, spec.Columns, nil)
		if fk == nil {
			return nil, fmt.Errorf("no foreign constraint exists on the given column(s) %v of table %q", spec.Columns, t.Name.String())
		}
		r.Target = s.tableByName[fk.RefTable]
		if r.Target == nil {
			return nil, fmt.Errorf("table %q is not tracked", fk.RefTable.String())
		}
		r.Nullable = false
		for i, c := range fk.Columns {
			r.Mapping = append(r.Mapping, ColumnPair{From: c, To: fk.RefColumns[i]})
			if t.Column(c).Info.Nullable {
				r.Nullable = true
			}
		}
		return r, nil
	}
	// The FK is on the remote table, pointing back at this one.
	if spec.Table == nil {
		return nil, fmt.Errorf("array relationship %q needs foreign_key_constraint_on.table", rm.Name)
	}
	r.Target = s.tableByName[*spec.Table]
	if r.Target == nil {
		return nil, fmt.Errorf("table %q is not tracked", spec.Table.String())
	}
	fk := findFK(r.Target.Info.ForeignKeys, spec.Columns, &t.Name)
	if fk == nil {
		return nil, fmt.Errorf("no foreign constraint exists on the given column(s) %v of table %q referencing %q",
			spec.Columns, spec.Table.String(), t.Name.String())
	}
	for i, c := range fk.Columns {
		r.Mapping = append(r.Mapping, ColumnPair{From: fk.RefColumns[i], To: c})
	}
	r.Nullable = true
	return r, nil
}

func findFK(fks []ForeignKey, cols []string, ref *QualifiedName) *ForeignKey {
	for i := range fks {
		fk := &fks[i]
		if ref != nil && fk.RefTable != *ref {
			continue
		}
		if sameSet(fk.Columns, cols) {
			return fk
		}
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

func sortPairs(p []ColumnPair) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].From < p[j-1].From; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
