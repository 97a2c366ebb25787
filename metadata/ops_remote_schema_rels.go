package metadata

// create_remote_schema_remote_relationship,
// update_remote_schema_remote_relationship and
// delete_remote_schema_remote_relationship, with Hasura's args:
// {remote_schema, type_name, name, definition}.

import "encoding/json"

func opCreateRemoteSchemaRel(w *work, r *Request) (any, error) {
	return putRemoteSchemaRel(w, r, false)
}
func opUpdateRemoteSchemaRel(w *work, r *Request) (any, error) { return putRemoteSchemaRel(w, r, true) }

type remoteSchemaRelArgs struct {
	RemoteSchema string          `json:"remote_schema"`
	TypeName     string          `json:"type_name"`
	Name         string          `json:"name"`
	Definition   json.RawMessage `json:"definition"`
}

// remoteSchemaRelTarget reads the args and finds the remote schema and
// its types' relationships.
func (w *work) remoteSchemaRelTarget(r *Request) (a *remoteSchemaRelArgs, list []RemoteSchemaMeta, i int, rels []RemoteTypeRelationships, err error) {
	a = &remoteSchemaRelArgs{}
	if err = decodeArgs(r, a); err != nil {
		return
	}
	for key, v := range map[string]string{"remote_schema": a.RemoteSchema, "type_name": a.TypeName, "name": a.Name} {
		if v == "" {
			err = &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "` + key + `" not found`}
			return
		}
	}
	if list, err = w.remoteSchemasOf(); err != nil {
		return
	}
	if i = findRemoteSchema(list, a.RemoteSchema); i < 0 {
		err = remoteSchemaMissing(a.RemoteSchema)
		return
	}
	rels, err = list[i].typeRelationships()
	if err != nil {
		err = &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return
}

func putRemoteSchemaRel(w *work, r *Request, update bool) (any, error) {
	a, list, i, rels, err := w.remoteSchemaRelTarget(r)
	if err != nil {
		return nil, err
	}
	if _, err := parseRemoteRelationship(a.Name, a.Definition); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	t := -1
	for k := range rels {
		if rels[k].TypeName == a.TypeName {
			t = k
		}
	}
	if t < 0 {
		rels = append(rels, RemoteTypeRelationships{TypeName: a.TypeName})
		t = len(rels) - 1
	}
	j := findRemoteRel(rels[t].Relationships, a.Name)
	switch {
	case update && j < 0:
		return nil, notExists("remote relationship %q on type %q of remote schema %q does not exist", a.Name, a.TypeName, a.RemoteSchema)
	case !update && j >= 0:
		return nil, alreadyExists("already-exists", "remote relationship %q on type %q of remote schema %q already exists", a.Name, a.TypeName, a.RemoteSchema)
	case update:
		rels[t].Relationships[j] = RemoteRelationshipMeta{Name: a.Name, Definition: a.Definition}
	default:
		rels[t].Relationships = append(rels[t].Relationships, RemoteRelationshipMeta{Name: a.Name, Definition: a.Definition})
	}
	if err := list[i].storeTypeRelationships(rels); err != nil {
		return nil, err
	}
	if err := w.storeRemoteSchemas(list); err != nil {
		return nil, err
	}
	return success, w.checkConsistentFor(objRef{typ: "remote_schema_remote_relationship",
		item: remoteSchemaRelItem(a.RemoteSchema, a.TypeName, a.Name)}, "invalid-configuration")
}

func opDeleteRemoteSchemaRel(w *work, r *Request) (any, error) {
	a, list, i, rels, err := w.remoteSchemaRelTarget(r)
	if err != nil {
		return nil, err
	}
	for k := range rels {
		if rels[k].TypeName != a.TypeName {
			continue
		}
		if j := findRemoteRel(rels[k].Relationships, a.Name); j >= 0 {
			rels[k].Relationships = append(rels[k].Relationships[:j], rels[k].Relationships[j+1:]...)
			if err := list[i].storeTypeRelationships(rels); err != nil {
				return nil, err
			}
			return success, w.storeRemoteSchemas(list)
		}
	}
	return nil, notExists("remote relationship %q on type %q of remote schema %q does not exist", a.Name, a.TypeName, a.RemoteSchema)
}
