package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Remote relationship operations of tables (Hasura.RQL.DDL.RemoteRelationship):
// pg_create_remote_relationship, pg_update_remote_relationship,
// pg_delete_remote_relationship, and their unprefixed legacy names on
// /v1/query. create and update take Hasura's new format
// ({name, source, table, definition}) or the legacy one
// ({name, table, hasura_fields, remote_schema, remote_field}).

// remoteRelOps are registered by api.go.
var remoteRelOps = map[string]opFunc{
	"create_remote_relationship": opCreateRemoteRel, "update_remote_relationship": opUpdateRemoteRel,
	"delete_remote_relationship":               opDeleteRemoteRel,
	"create_remote_schema_remote_relationship": opCreateRemoteSchemaRel,
	"update_remote_schema_remote_relationship": opUpdateRemoteSchemaRel,
	"delete_remote_schema_remote_relationship": opDeleteRemoteSchemaRel,
}

// remoteRelArgs are the args of the three operations.
type remoteRelArgs struct {
	Name         string          `json:"name"`
	Source       string          `json:"source"`
	Table        QualifiedName   `json:"table"`
	Definition   json.RawMessage `json:"definition"`
	RemoteSchema string          `json:"remote_schema"`
	HasuraFields []string        `json:"hasura_fields"`
	RemoteField  json.RawMessage `json:"remote_field"`
}

// definition is the definition to store: as given, or the legacy keys.
func (a *remoteRelArgs) definition() (json.RawMessage, error) {
	if isSet(a.Definition) {
		return a.Definition, nil
	}
	return json.Marshal(map[string]any{"remote_schema": a.RemoteSchema, "hasura_fields": a.HasuraFields,
		"remote_field": a.RemoteField})
}

func (w *work) remoteRelItem(r *Request) (*remoteRelArgs, *TableMeta, []RemoteRelationshipMeta, error) {
	var a remoteRelArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, nil, nil, err
	}
	if a.Name == "" {
		return nil, nil, nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "name" not found`}
	}
	if a.Source == "" {
		a.Source = r.Source
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	if err != nil {
		return nil, nil, nil, err
	}
	list, err := tm.RemoteRelationshipList()
	if err != nil {
		return nil, nil, nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return &a, tm, list, nil
}

func storeRemoteRels(tm *TableMeta, list []RemoteRelationshipMeta) error {
	tm.RemoteRelationships = nil
	if len(list) == 0 {
		return nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("encode remote_relationships: %w", err)
	}
	tm.RemoteRelationships = b
	return nil
}

func findRemoteRel(list []RemoteRelationshipMeta, name string) int {
	for i := range list {
		if list[i].Name == name {
			return i
		}
	}
	return -1
}

func opCreateRemoteRel(w *work, r *Request) (any, error) { return putRemoteRel(w, r, false) }
func opUpdateRemoteRel(w *work, r *Request) (any, error) { return putRemoteRel(w, r, true) }

// putRemoteRel adds (or, for update, replaces) a remote relationship and
// checks it against the table and its target.
func putRemoteRel(w *work, r *Request, update bool) (any, error) {
	a, tm, list, err := w.remoteRelItem(r)
	if err != nil {
		return nil, err
	}
	def, err := a.definition()
	if err != nil {
		return nil, err
	}
	if _, err := parseRemoteRelationship(a.Name, def); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	i := findRemoteRel(list, a.Name)
	switch {
	case update && i < 0:
		return nil, notExists("remote relationship %q does not exist", a.Name)
	case !update && i >= 0:
		return nil, alreadyExists("already-exists", "remote relationship %q already exists", a.Name)
	case !update && (hasRelationship(tm, a.Name)):
		return nil, alreadyExists("already-exists", "relationship with name %q already exists", a.Name)
	}
	m := RemoteRelationshipMeta{Name: a.Name, Definition: def}
	if update {
		list[i] = m
	} else {
		list = append(list, m)
	}
	if err := storeRemoteRels(tm, list); err != nil {
		return nil, err
	}
	w.changed = true
	return success, w.checkConsistentFor(objRef{typ: "remote_relationship", table: tm.Table, item: a.Name}, "invalid-configuration")
}

func opDeleteRemoteRel(w *work, r *Request) (any, error) {
	a, tm, list, err := w.remoteRelItem(r)
	if err != nil {
		return nil, err
	}
	i := findRemoteRel(list, a.Name)
	if i < 0 {
		return nil, notExists("remote relationship %q does not exist", a.Name)
	}
	if err := storeRemoteRels(tm, append(list[:i], list[i+1:]...)); err != nil {
		return nil, err
	}
	w.changed = true
	return success, nil
}

// dropRemoteRel removes an inconsistent remote relationship
// (drop_inconsistent_metadata).
func dropRemoteRel(tm *TableMeta, name string) {
	list, err := tm.RemoteRelationshipList()
	if err != nil {
		tm.RemoteRelationships = nil
		return
	}
	if i := findRemoteRel(list, name); i >= 0 {
		_ = storeRemoteRels(tm, append(list[:i], list[i+1:]...))
	}
}

// remoteSchemaDependents refuses to remove a remote schema that remote
// relationships join to, as Hasura does (dependency-error).
func (w *work) remoteSchemaDependents(name string) error {
	var deps []string
	w.md.eachRemoteRelationship(func(src *Source, tm *TableMeta, rr *RemoteRelationship) {
		if rr.ToRemote != nil && rr.ToRemote.RemoteSchema == name {
			deps = append(deps, fmt.Sprintf("remote_relationship %s in table %s in source %s", rr.Name, tm.Table.String(), src.Name))
		}
	})
	if len(deps) == 0 {
		return nil
	}
	return &APIError{Status: 400, Code: "dependency-error", Path: "$.args",
		Message: "cannot drop due to the following dependent objects : " + strings.Join(deps, ", ")}
}
