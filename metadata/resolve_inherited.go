package metadata

import (
	"encoding/json"
	"fmt"
)

// inheritedConflict is the inconsistent-object type of an inherited role
// whose parents disagree on an insert, update or delete permission.
const inheritedConflict = "inherited role permission inconsistency"

// resolveInheritedWrites derives the insert, update and delete permissions
// of inherited roles, as Hasura does: a role without its own permission
// takes its parents' when every parent that has one has the same one; when
// they differ the role gets none, and the conflict is reported as
// inconsistent metadata until the role is given its own permission. (Select
// permissions are combined instead, by the GraphQL layer.)
func (s *Snapshot) resolveInheritedWrites(md *Metadata) {
	roles := md.InheritedRoleList()
	if len(roles) == 0 {
		return
	}
	parents := map[string][]string{}
	for _, ir := range roles {
		parents[ir.RoleName] = ir.RoleSet
	}
	for _, t := range s.Tables {
		for _, kind := range []string{"insert", "update", "delete"} {
			own := map[string]Permission{}
			for _, p := range *permList(t.Meta, kind) {
				own[p.Role] = p
			}
			d := &inheritance{own: own, parents: parents, memo: map[string]*Permission{}, conflicts: map[string]bool{}}
			for _, ir := range roles {
				p := d.effective(ir.RoleName, 0)
				if _, mine := own[ir.RoleName]; mine || p == nil {
					continue
				}
				if t.InheritedPermissions == nil {
					t.InheritedPermissions = map[string]map[string]Permission{}
				}
				if t.InheritedPermissions[kind] == nil {
					t.InheritedPermissions[kind] = map[string]Permission{}
				}
				t.InheritedPermissions[kind][ir.RoleName] = Permission{Role: ir.RoleName, Permission: p.Permission}
			}
			for _, ir := range roles {
				if d.conflicts[ir.RoleName] {
					s.addInconsistent(inheritedConflict, ir.RoleName+" in table "+t.Name.String(),
						fmt.Sprintf("Could not inherit permission for the role '%s' for the entity: '%s permission, table: %s, source: '%s''",
							ir.RoleName, kind, t.Name.String(), s.SourceName),
						map[string]any{"role_name": ir.RoleName, "role_set": ir.RoleSet}, t.Name, ir.RoleName)
				}
			}
		}
	}
}

// inheritance computes one table's permissions of one kind for every role.
type inheritance struct {
	own       map[string]Permission
	parents   map[string][]string
	memo      map[string]*Permission
	conflicts map[string]bool
}

// effective is role's own permission, or the one it inherits; nil for none.
func (d *inheritance) effective(role string, depth int) *Permission {
	if p, ok := d.own[role]; ok {
		return &p
	}
	if p, ok := d.memo[role]; ok {
		return p
	}
	set, inherited := d.parents[role]
	if !inherited || depth > len(d.parents) { // depth: a cycle never ends
		return nil
	}
	var got *Permission
	key := ""
	for _, parent := range set {
		p := d.effective(parent, depth+1)
		if p == nil {
			continue
		}
		k := canonicalJSON(p.Permission)
		switch {
		case got == nil:
			got, key = p, k
		case k != key:
			d.conflicts[role] = true
			d.memo[role] = nil
			return nil
		}
	}
	d.memo[role] = got
	return got
}

// canonicalJSON re-encodes a permission so that key order does not matter.
func canonicalJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// blocking reports whether an inconsistency makes an operation fail.
// Inherited-role conflicts do not: Hasura accepts the permissions that
// cause them and reports the conflict until the role gets its own.
func (inc InconsistentObject) blocking() bool { return inc.Type != inheritedConflict }
