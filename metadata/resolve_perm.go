package metadata

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// permissionKinds are the permission lists of a table, in Hasura's order.
var permissionKinds = []string{"insert", "select", "update", "delete"}

// resolvePermissions checks each role permission of t against the resolved
// table: the columns and computed fields it names must exist, and no
// permission may be given to admin. A failing permission is reported as
// inconsistent. The GraphQL layer reads permissions from the metadata, so a
// failing one is only reported, never half-applied.
func (s *Snapshot) resolvePermissions(t *Table) {
	for _, kind := range permissionKinds {
		for _, p := range *permList(t.Meta, kind) {
			err := checkPermission(t, kind, p)
			if err == nil {
				err = s.checkPermissionFilters(t, p.Permission)
			}
			if err != nil {
				s.addInconsistent(kind+"_permission", p.Role+" in table "+t.Name.String(),
					fmt.Sprintf("in table %q: in permission for role %q: %s", t.Name.String(), p.Role, err.Error()),
					map[string]any{"table": t.Name, "role": p.Role, "permission": p.Permission, "comment": p.Comment},
					t.Name, p.Role)
			}
		}
	}
}

func checkPermission(t *Table, kind string, p Permission) error {
	if p.Role == "admin" {
		return fmt.Errorf("cannot define permission for admin role")
	}
	var body struct {
		Columns        json.RawMessage            `json:"columns"`
		ComputedFields []string                   `json:"computed_fields"`
		Set            map[string]json.RawMessage `json:"set"`
	}
	if len(p.Permission) == 0 || json.Unmarshal(p.Permission, &body) != nil {
		return nil // the shape is the GraphQL layer's to judge; metadata keeps it as given
	}
	var cols []string
	if len(body.Columns) > 0 && json.Unmarshal(body.Columns, &cols) == nil {
		for _, c := range cols {
			if t.Column(c) == nil {
				return fmt.Errorf("column %q does not exist", c)
			}
		}
	}
	// Presets name columns by their Postgres names too.
	for _, c := range slices.Sorted(maps.Keys(body.Set)) {
		if t.Column(c) == nil {
			return fmt.Errorf("column %q does not exist", c)
		}
	}
	if kind != "select" {
		return nil
	}
	for _, name := range body.ComputedFields {
		var cf *ComputedField
		for _, f := range t.ComputedFields {
			if f.Name == name {
				cf = f
			}
		}
		if cf == nil {
			return fmt.Errorf("computed field %q does not exist", name)
		}
		if cf.ReturnsTable != nil {
			return fmt.Errorf("select permissions on computed field %q are auto-derived from the permissions on its returning table %q and cannot be specified manually",
				name, cf.ReturnsTable.Name.String())
		}
	}
	return nil
}

// permissionsUsing lists the select permissions of tm that name computed
// field cf, in Hasura's dependency words.
func permissionsUsing(tm *TableMeta, cf string) (deps []string, roles []string) {
	for _, p := range tm.SelectPermissions {
		var body struct {
			ComputedFields []string `json:"computed_fields"`
		}
		if json.Unmarshal(p.Permission, &body) != nil {
			continue
		}
		for _, n := range body.ComputedFields {
			if n == cf {
				deps = append(deps, fmt.Sprintf("permission %s.%s.select", tm.Table.String(), p.Role))
				roles = append(roles, p.Role)
				break
			}
		}
	}
	return deps, roles
}

// dropPermission removes role's permission of kind from tm.
func dropPermission(tm *TableMeta, kind, role string) bool {
	list := permList(tm, kind)
	for i, p := range *list {
		if p.Role == role {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}
