package metadata

import (
	"encoding/json"
	"fmt"
)

// InheritedRole is a role whose permissions combine those of its role_set.
type InheritedRole struct {
	RoleName string   `json:"role_name"`
	RoleSet  []string `json:"role_set"`
}

// InheritedRoleList decodes the metadata's inherited_roles.
func (m *Metadata) InheritedRoleList() []InheritedRole {
	var out []InheritedRole
	if len(m.InheritedRoles) > 0 {
		_ = json.Unmarshal(m.InheritedRoles, &out)
	}
	return out
}

func (m *Metadata) setInheritedRoles(list []InheritedRole) {
	if len(list) == 0 {
		m.InheritedRoles = nil
		return
	}
	b, _ := json.Marshal(list)
	m.InheritedRoles = b
}

func opAddInheritedRole(w *work, r *Request) (any, error) {
	var a InheritedRole
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if a.RoleName == "" || len(a.RoleSet) == 0 {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: "role_name and a non-empty role_set are required"}
	}
	list := w.md.InheritedRoleList()
	for _, ir := range list {
		if ir.RoleName == a.RoleName {
			return nil, alreadyExists("already-exists", "the inherited role %q already exists", a.RoleName)
		}
	}
	for _, parent := range a.RoleSet {
		if parent == a.RoleName {
			return nil, &APIError{Status: 400, Code: "invalid-configuration", Path: "$.args",
				Message: fmt.Sprintf("role %q cannot inherit from itself", a.RoleName)}
		}
	}
	w.md.setInheritedRoles(append(list, a))
	w.changed = true
	return success, nil
}

func opDropInheritedRole(w *work, r *Request) (any, error) {
	var a InheritedRole
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	list := w.md.InheritedRoleList()
	for i, ir := range list {
		if ir.RoleName == a.RoleName {
			w.md.setInheritedRoles(append(list[:i], list[i+1:]...))
			w.changed = true
			return success, nil
		}
	}
	return nil, notExists("inherited role %q does not exist", a.RoleName)
}
