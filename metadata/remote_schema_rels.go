package metadata

import (
	"encoding/json"
	"fmt"
)

// Remote relationships of remote schemas (Hasura's
// create_remote_schema_remote_relationship): a field added to an object
// type of a remote schema that reads rows of a table (to_source), joined
// on fields of the remote's object. Stored in the remote schema's
// remote_relationships, grouped by type:
//
//	[{"type_name": "User", "relationships": [{"name": ..., "definition": ...}]}]

// RemoteTypeRelationships are one remote type's relationships.
type RemoteTypeRelationships struct {
	TypeName      string                   `json:"type_name"`
	Relationships []RemoteRelationshipMeta `json:"relationships"`
}

// RemoteSchemaRelationship is a resolved relationship of a remote type:
// ToSource's Mapping goes from the type's fields (the remote's names) to
// the target's columns.
type RemoteSchemaRelationship struct {
	TypeName string
	Name     string
	ToSource *SourceJoin
}

// RemoteTypeChecker is implemented by a loaded remote schema that can
// check the fields a relationship of one of its types joins on.
type RemoteTypeChecker interface {
	// CheckJoinFields checks that typeName is an object type with the
	// scalar fields fields, and without a field named newField.
	CheckJoinFields(typeName string, fields []string, newField string) error
}

func (rs *RemoteSchemaMeta) typeRelationships() ([]RemoteTypeRelationships, error) {
	if !isSet(rs.RemoteRelationships) {
		return nil, nil
	}
	var list []RemoteTypeRelationships
	if err := json.Unmarshal(rs.RemoteRelationships, &list); err != nil {
		return nil, fmt.Errorf("remote_relationships of remote schema %s: %w", rs.Name, err)
	}
	return list, nil
}

func (rs *RemoteSchemaMeta) storeTypeRelationships(list []RemoteTypeRelationships) error {
	rs.RemoteRelationships = nil
	var kept []RemoteTypeRelationships
	for _, tr := range list {
		if len(tr.Relationships) > 0 {
			kept = append(kept, tr)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return fmt.Errorf("encode remote_relationships: %w", err)
	}
	rs.RemoteRelationships = b
	return nil
}

// remoteSchemaRelItem is how inconsistencies and operations name one.
func remoteSchemaRelItem(remote, typeName, name string) string {
	return remote + "." + typeName + "." + name
}

// resolveRemoteSchemaRelationships resolves the relationships of every
// loaded remote schema's types; one that does not fit is inconsistent.
func (s *Snapshot) resolveRemoteSchemaRelationships() {
	for _, r := range s.RemoteSchemas {
		list, err := r.Meta.typeRelationships()
		if err != nil {
			s.addInconsistent("remote_schema_remote_relationship", r.Meta.Name, err.Error(), r.Meta.RemoteRelationships, QualifiedName{}, r.Meta.Name)
			continue
		}
		r.Relationships = nil
		for _, tr := range list {
			for _, m := range tr.Relationships {
				rel, code, err := s.resolveRemoteSchemaRel(r, tr.TypeName, m)
				if err != nil {
					s.addInconsistent("remote_schema_remote_relationship",
						fmt.Sprintf("%s on type %s in remote schema %s", m.Name, tr.TypeName, r.Meta.Name),
						fmt.Sprintf("%sin remote schema %q: in type %q: in remote relationship %q: %v", inconsistentPrefix, r.Meta.Name, tr.TypeName, m.Name, err),
						map[string]any{"remote_schema": r.Meta.Name, "type_name": tr.TypeName, "name": m.Name, "definition": m.Definition},
						QualifiedName{}, remoteSchemaRelItem(r.Meta.Name, tr.TypeName, m.Name))
					s.Inconsistent[len(s.Inconsistent)-1].code = code
					continue
				}
				r.Relationships = append(r.Relationships, rel)
			}
		}
	}
}

func (s *Snapshot) resolveRemoteSchemaRel(r *RemoteSchema, typeName string, m RemoteRelationshipMeta) (*RemoteSchemaRelationship, string, error) {
	rr, err := parseRemoteRelationship(m.Name, m.Definition)
	if err != nil {
		return nil, "parse-failed", err
	}
	if rr.ToSource == nil {
		return nil, "not-supported", fmt.Errorf("Graft joins remote schema types to tables only (to_source), not to remote schemas")
	}
	for _, other := range r.Relationships {
		if other.TypeName == typeName && other.Name == m.Name {
			return nil, "already-exists", fmt.Errorf("remote relationship %q already exists on type %q", m.Name, typeName)
		}
	}
	fields := make([]string, len(rr.ToSource.Mapping))
	for i, p := range rr.ToSource.Mapping {
		fields[i] = p.From
	}
	if ch, ok := r.Info.(RemoteTypeChecker); ok {
		if err := ch.CheckJoinFields(typeName, fields, m.Name); err != nil {
			return nil, codeRemoteRelationship, err
		}
	}
	if err := s.resolveSourceTarget(rr.ToSource); err != nil {
		return nil, "invalid-configuration", err
	}
	return &RemoteSchemaRelationship{TypeName: typeName, Name: m.Name, ToSource: rr.ToSource}, "", nil
}
