package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Remote schema operations, with Hasura's arguments, errors and paths
// (Hasura.RQL.DDL.RemoteSchema).

// remoteSchemaOps are registered by api.go.
var remoteSchemaOps = map[string]opFunc{
	"add_remote_schema": opAddRemoteSchema, "update_remote_schema": opUpdateRemoteSchema,
	"remove_remote_schema": opRemoveRemoteSchema, "reload_remote_schema": opReloadRemoteSchema,
	"introspect_remote_schema":      opIntrospectRemoteSchema,
	"add_remote_schema_permissions": opAddRemoteSchemaPermissions, "drop_remote_schema_permissions": opDropRemoteSchemaPermissions,
}

// remoteSchemaArgs are add_remote_schema's and update_remote_schema's args.
type remoteSchemaArgs struct {
	Name       string           `json:"name"`
	Definition *RemoteSchemaDef `json:"definition"`
	Comment    *string          `json:"comment"`
}

func decodeRemoteSchemaArgs(r *Request) (*remoteSchemaArgs, error) {
	var a remoteSchemaArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.name", Message: "remote schema name cannot be empty"}
	}
	if a.Definition == nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "definition" not found`}
	}
	if err := checkRemoteSchemaDef(a.Definition); err != nil {
		return nil, err
	}
	return &a, nil
}

// checkRemoteSchemaDef refuses what Hasura refuses before any request.
func checkRemoteSchemaDef(d *RemoteSchemaDef) error {
	switch {
	case d.URL == "" && d.URLFromEnv == "":
		return &APIError{Status: 400, Code: "invalid-params", Path: "$.args", Message: "both `url` and `url_from_env` can't be empty"}
	case d.URL != "" && d.URLFromEnv != "":
		return &APIError{Status: 400, Code: "invalid-params", Path: "$.args", Message: "both `url` and `url_from_env` can't be present"}
	}
	if d.TimeoutSeconds != nil && *d.TimeoutSeconds < 0 {
		return &APIError{Status: 400, Code: "parse-failed", Path: "$.args.definition.timeout_seconds", Message: "timeout_seconds cannot be negative"}
	}
	for i, h := range d.Headers {
		if h.Name == "" || (h.Value == "" && h.ValueFromEnv == "") {
			return &APIError{Status: 400, Code: "parse-failed", Path: fmt.Sprintf("$.args.definition.headers[%d]", i),
				Message: "a header needs a name and a value or value_from_env"}
		}
	}
	if c := d.Customization; c != nil {
		for _, fc := range c.FieldNames {
			for from, to := range fc.Mapping {
				if strings.HasPrefix(from, "__") || strings.HasPrefix(to, "__") {
					name := from
					if !strings.HasPrefix(from, "__") {
						name = to
					}
					return &APIError{Status: 400, Code: "invalid-params", Path: "$.args",
						Message: fmt.Sprintf("attempt to customize reserved field name %q", name)}
				}
			}
		}
	}
	return nil
}

// remoteSchemasOf reads the stored list for editing.
func (w *work) remoteSchemasOf() ([]RemoteSchemaMeta, error) {
	list, err := w.md.RemoteSchemaList()
	if err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return list, nil
}

func (w *work) storeRemoteSchemas(list []RemoteSchemaMeta) error {
	w.md.RemoteSchemas = nil
	if len(list) > 0 {
		b, err := json.Marshal(list)
		if err != nil {
			return fmt.Errorf("encode remote_schemas: %w", err)
		}
		w.md.RemoteSchemas = b
	}
	w.changed = true
	return nil
}

func findRemoteSchema(list []RemoteSchemaMeta, name string) int {
	for i := range list {
		if list[i].Name == name {
			return i
		}
	}
	return -1
}

func remoteSchemaMissing(name string) error {
	return notExists("remote schema with name %q does not exist", name)
}

// checkRemoteSchemaLoads fails when the named remote schema is
// inconsistent after the change: it did not load, or its fields clash.
func (w *work) checkRemoteSchemaLoads(name string) error {
	s, err := w.resolve()
	if err != nil {
		return err
	}
	for _, inc := range s.Inconsistent {
		if inc.Type != "remote_schema" || inc.item != name {
			continue
		}
		code, msg := inc.code, inc.Reason
		switch code {
		case "", codeRemoteSchemaConflicts:
			code = "invalid-configuration"
		default:
			// A load failure is the operation's own error, said plainly.
			msg = strings.TrimPrefix(msg, inconsistentPrefix)
		}
		return &APIError{Status: 400, Code: code, Path: "$.args", Message: msg}
	}
	return nil
}

func opAddRemoteSchema(w *work, r *Request) (any, error) {
	a, err := decodeRemoteSchemaArgs(r)
	if err != nil {
		return nil, err
	}
	list, err := w.remoteSchemasOf()
	if err != nil {
		return nil, err
	}
	if findRemoteSchema(list, a.Name) >= 0 {
		return nil, alreadyExists("already-exists", "remote schema with name %q already exists", a.Name)
	}
	w.m.remotes.forget([]string{a.Name})
	list = append(list, RemoteSchemaMeta{Name: a.Name, Definition: *a.Definition, Comment: a.Comment})
	if err := w.storeRemoteSchemas(list); err != nil {
		return nil, err
	}
	if err := w.checkRemoteSchemaLoads(a.Name); err != nil {
		return nil, err
	}
	return success, nil
}

func opUpdateRemoteSchema(w *work, r *Request) (any, error) {
	a, err := decodeRemoteSchemaArgs(r)
	if err != nil {
		return nil, err
	}
	list, err := w.remoteSchemasOf()
	if err != nil {
		return nil, err
	}
	i := findRemoteSchema(list, a.Name)
	if i < 0 {
		return nil, remoteSchemaMissing(a.Name)
	}
	w.m.remotes.forget([]string{a.Name})
	list[i].Definition, list[i].Comment = *a.Definition, a.Comment
	if err := w.storeRemoteSchemas(list); err != nil {
		return nil, err
	}
	if err := w.checkRemoteSchemaLoads(a.Name); err != nil {
		return nil, err
	}
	return success, nil
}

// remoteSchemaName reads {name} and finds it.
func (w *work) remoteSchemaName(r *Request) ([]RemoteSchemaMeta, int, error) {
	var a struct {
		Name string `json:"name"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, -1, err
	}
	list, err := w.remoteSchemasOf()
	if err != nil {
		return nil, -1, err
	}
	i := findRemoteSchema(list, a.Name)
	if i < 0 {
		return nil, -1, remoteSchemaMissing(a.Name)
	}
	return list, i, nil
}

func opRemoveRemoteSchema(w *work, r *Request) (any, error) {
	list, i, err := w.remoteSchemaName(r)
	if err != nil {
		return nil, err
	}
	if err := w.remoteSchemaDependents(list[i].Name); err != nil {
		return nil, err
	}
	w.m.remotes.forget([]string{list[i].Name})
	list = append(list[:i], list[i+1:]...)
	return success, w.storeRemoteSchemas(list)
}

func opReloadRemoteSchema(w *work, r *Request) (any, error) {
	list, i, err := w.remoteSchemaName(r)
	if err != nil {
		return nil, err
	}
	// The next resolve loads it again; a schema still failing stays
	// inconsistent, as in Hasura, and the reload itself succeeds.
	w.m.remotes.forget([]string{list[i].Name})
	return success, nil
}

func opIntrospectRemoteSchema(w *work, r *Request) (any, error) {
	list, i, err := w.remoteSchemaName(r)
	if err != nil {
		return nil, err
	}
	s, err := w.resolve()
	if err != nil {
		return nil, err
	}
	for _, rs := range s.RemoteSchemas {
		if rs.Meta.Name == list[i].Name {
			return rs.Info.Introspection(), nil
		}
	}
	for _, inc := range s.Inconsistent {
		if inc.Type == "remote_schema" && inc.item == list[i].Name {
			return nil, &APIError{Status: 400, Code: codeRemoteSchemaError, Path: "$.args", Message: strings.TrimPrefix(inc.Reason, inconsistentPrefix)}
		}
	}
	return nil, &APIError{Status: 400, Code: codeRemoteSchemaError, Path: "$.args",
		Message: fmt.Sprintf("remote schema %q is not served: no remote schema loader", list[i].Name)}
}

// reloadRemoteSchemasFor drops the cached loads reload_metadata asks for:
// reload_remote_schemas true (the default) or a list of names.
func (w *work) reloadRemoteSchemasFor(r *Request) {
	var a struct {
		ReloadRemoteSchemas json.RawMessage `json:"reload_remote_schemas"`
	}
	_ = json.Unmarshal(r.Args, &a)
	var names []string
	switch {
	case len(a.ReloadRemoteSchemas) == 0, string(a.ReloadRemoteSchemas) == "true":
		w.m.remotes.forget(nil)
	case json.Unmarshal(a.ReloadRemoteSchemas, &names) == nil:
		w.m.remotes.forget(names)
	}
}

// dropRemoteSchema removes an inconsistent remote schema
// (drop_inconsistent_metadata); a list Graft cannot read is dropped whole.
func (w *work) dropRemoteSchema(name string) {
	list, err := w.md.RemoteSchemaList()
	if err != nil {
		w.md.RemoteSchemas = nil
		w.changed = true
		return
	}
	if i := findRemoteSchema(list, name); i >= 0 {
		w.m.remotes.forget([]string{name})
		_ = w.storeRemoteSchemas(append(list[:i], list[i+1:]...))
	}
}
