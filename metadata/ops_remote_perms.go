package metadata

import (
	"fmt"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// Remote schema permissions: a role sees the SDL subset it is given, with
// @preset arguments filled in by Graft (served when
// HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS is on).

type remotePermArgs struct {
	RemoteSchema string `json:"remote_schema"`
	Role         string `json:"role"`
	Definition   *struct {
		Schema string `json:"schema"`
	} `json:"definition"`
	Comment *string `json:"comment"`
}

// remotePermTarget reads the args and finds the remote schema.
func (w *work) remotePermTarget(r *Request) (*remotePermArgs, []RemoteSchemaMeta, int, error) {
	var a remotePermArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, nil, -1, err
	}
	if a.Role == "" {
		return nil, nil, -1, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.role", Message: "role cannot be empty"}
	}
	list, err := w.remoteSchemasOf()
	if err != nil {
		return nil, nil, -1, err
	}
	i := findRemoteSchema(list, a.RemoteSchema)
	if i < 0 {
		return nil, nil, -1, remoteSchemaMissing(a.RemoteSchema)
	}
	return &a, list, i, nil
}

func findRemotePermission(perms []RemoteSchemaPermission, role string) int {
	for i := range perms {
		if perms[i].Role == role {
			return i
		}
	}
	return -1
}

func opAddRemoteSchemaPermissions(w *work, r *Request) (any, error) {
	a, list, i, err := w.remotePermTarget(r)
	if err != nil {
		return nil, err
	}
	w.m.remotes.mu.Lock()
	enabled := w.m.remotes.permissions
	w.m.remotes.mu.Unlock()
	if !enabled {
		return nil, &APIError{Status: 400, Code: "constraint-violation", Path: "$.args",
			Message: "remote schema permissions can only be added when remote schema permissions are enabled in the graphql-engine"}
	}
	if a.Role == "admin" {
		return nil, &APIError{Status: 400, Code: "constraint-violation", Path: "$.args",
			Message: "cannot define permission for admin role"}
	}
	if a.Definition == nil || a.Definition.Schema == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.definition", Message: `key "schema" not found`}
	}
	if _, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(a.Definition.Schema)})}); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.definition.schema", Message: err.Error()}
	}
	rs := &list[i]
	if findRemotePermission(rs.Permissions, a.Role) >= 0 {
		return nil, alreadyExists("already-exists",
			"permissions for role %q for remote schema %q already exist", a.Role, rs.Name)
	}
	p := RemoteSchemaPermission{Role: a.Role, Comment: a.Comment}
	p.Definition.Schema = a.Definition.Schema
	rs.Permissions = append(rs.Permissions, p)
	if err := w.storeRemoteSchemas(list); err != nil {
		return nil, err
	}
	return success, w.checkRemotePermission(rs.Name, a.Role)
}

// checkRemotePermission asks the loaded schema to validate the role's SDL
// when the loader can (remoteschema checks it is a subset of the remote).
func (w *work) checkRemotePermission(name, role string) error {
	s, err := w.resolve()
	if err != nil {
		return err
	}
	for _, rs := range s.RemoteSchemas {
		if rs.Meta.Name != name {
			continue
		}
		v, ok := rs.Info.(interface{ CheckPermission(sdl string) error })
		if !ok {
			return nil
		}
		i := findRemotePermission(rs.Meta.Permissions, role)
		if err := v.CheckPermission(rs.Meta.Permissions[i].Definition.Schema); err != nil {
			return &APIError{Status: 400, Code: "validation-failed", Path: "$.args", Message: err.Error()}
		}
	}
	return nil
}

func opDropRemoteSchemaPermissions(w *work, r *Request) (any, error) {
	a, list, i, err := w.remotePermTarget(r)
	if err != nil {
		return nil, err
	}
	rs := &list[i]
	j := findRemotePermission(rs.Permissions, a.Role)
	if j < 0 {
		return nil, notExists("%s", fmt.Sprintf("permission for role: %q does not exist", a.Role))
	}
	rs.Permissions = append(rs.Permissions[:j], rs.Permissions[j+1:]...)
	return success, w.storeRemoteSchemas(list)
}
