package graphql

import (
	"encoding/json"

	"github.com/graftql/graft/metadata"
)

// writeAccess is what one role may write to one table with one kind of
// mutation: insert (Check, Set), update (Filter, Check, Set) or delete (Filter).
type writeAccess struct {
	Columns     map[string]bool
	Filter      map[string]any // rows the role may update/delete; nil: all
	Check       map[string]any // condition the written rows must meet; nil: none
	Set         map[string]any // column presets (values may name session variables)
	BackendOnly bool
	Unlimited   bool
}

type writePermission struct {
	Columns     json.RawMessage `json:"columns"`
	Filter      map[string]any  `json:"filter"`
	Check       map[string]any  `json:"check"`
	Set         map[string]any  `json:"set"`
	BackendOnly bool            `json:"backend_only"`
}

// writeAccess is the schema's role's access of one kind to a table. A
// backend_only insert permission counts only for trusted backend requests.
func (rs *roleSchema) writeAccess(t *metadata.Table, kind string) *writeAccess {
	a := writeAccessFor(t, rs.Role, kind)
	if a != nil && a.BackendOnly && !rs.backendOnly {
		return nil
	}
	return a
}

// writeAccessFor decides a role's insert/update/delete access; nil means none.
func writeAccessFor(t *metadata.Table, role, kind string) *writeAccess {
	if t.Info.Kind != "r" && t.Info.Kind != "p" && t.Info.Kind != "v" {
		return nil // materialized views and foreign tables are read-only
	}
	if role == "admin" {
		a := &writeAccess{Columns: map[string]bool{}, Unlimited: true}
		for _, c := range t.Columns {
			if !c.Info.Generated {
				a.Columns[c.Name] = true
			}
		}
		return a
	}
	var perms []metadata.Permission
	switch kind {
	case "insert":
		perms = t.Meta.InsertPermissions
	case "update":
		perms = t.Meta.UpdatePermissions
	case "delete":
		perms = t.Meta.DeletePermissions
	}
	if p, ok := t.InheritedPermissions[kind][role]; ok {
		// A copy: the snapshot's slice is shared by concurrent requests.
		// Appended after the role's own, which it never coexists with.
		perms = append(perms[:len(perms):len(perms)], p)
	}
	for _, p := range perms {
		if p.Role != role {
			continue
		}
		var wp writePermission
		if err := json.Unmarshal(p.Permission, &wp); err != nil {
			return nil
		}
		a := &writeAccess{Columns: map[string]bool{}, Filter: wp.Filter, Check: wp.Check, Set: wp.Set, BackendOnly: wp.BackendOnly}
		var star string
		// An insert permission written before "columns" existed allows every column.
		allColumns := len(wp.Columns) == 0 && kind == "insert"
		if allColumns || (json.Unmarshal(wp.Columns, &star) == nil && star == "*") {
			for _, c := range t.Columns {
				a.Columns[c.Name] = true
			}
		} else {
			var cols []string
			_ = json.Unmarshal(wp.Columns, &cols)
			for _, c := range cols {
				a.Columns[c] = true
			}
		}
		for c := range a.Set {
			delete(a.Columns, c) // a preset column cannot be given by the client
		}
		return a
	}
	return nil
}
