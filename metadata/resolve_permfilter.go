package metadata

import (
	"encoding/json"
	"fmt"
	"sort"
)

// checkPermissionFilters checks the bool_exps of a permission (filter and
// check) against the table as Hasura does: every field they name must be a
// column by its Postgres name (not the custom GraphQL name a column may
// have), a relationship or a computed field, followed into the tables
// relationships and table-returning computed fields lead to. Operators and
// values are the GraphQL layer's to judge.
func (s *Snapshot) checkPermissionFilters(t *Table, perm json.RawMessage) error {
	var body struct {
		Filter json.RawMessage `json:"filter"`
		Check  json.RawMessage `json:"check"`
	}
	if json.Unmarshal(perm, &body) != nil {
		return nil
	}
	for _, raw := range []json.RawMessage{body.Filter, body.Check} {
		var exp any
		if len(raw) == 0 || json.Unmarshal(raw, &exp) != nil {
			continue
		}
		if err := s.checkBoolExpFields(t, exp); err != nil {
			return err
		}
	}
	return nil
}

// checkBoolExpFields checks one bool_exp value on table t.
func (s *Snapshot) checkBoolExpFields(t *Table, exp any) error {
	obj, ok := exp.(map[string]any)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names) // the same error for the same metadata
	for _, name := range names {
		if err := s.checkBoolExpField(t, name, obj[name]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Snapshot) checkBoolExpField(t *Table, name string, v any) error {
	switch name {
	case "_and", "_or", "$and", "$or":
		list, _ := v.([]any)
		for _, item := range list {
			if err := s.checkBoolExpFields(t, item); err != nil {
				return err
			}
		}
		return nil
	case "_not", "$not":
		return s.checkBoolExpFields(t, v)
	case "_exists", "$exists":
		return s.checkExistsFields(v)
	}
	if t.Column(name) != nil {
		return nil
	}
	if r := t.Relationship(name); r != nil {
		return s.checkBoolExpFields(r.Target, v)
	}
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			if cf.ReturnsTable != nil {
				return s.checkBoolExpFields(cf.ReturnsTable, v)
			}
			return nil
		}
	}
	return fmt.Errorf("%q does not exist", name)
}

// checkExistsFields checks the _where of an _exists against its _table,
// when that table is tracked (an untracked one is the GraphQL layer's error).
func (s *Snapshot) checkExistsFields(v any) error {
	obj, _ := v.(map[string]any)
	q := QualifiedName{Schema: "public"}
	switch tv := obj["_table"].(type) {
	case string:
		q.Name = tv
	case map[string]any:
		q.Name, _ = tv["name"].(string)
		if sc, _ := tv["schema"].(string); sc != "" {
			q.Schema = sc
		}
	}
	if target := s.Table(q); target != nil {
		return s.checkBoolExpFields(target, obj["_where"])
	}
	return nil
}
