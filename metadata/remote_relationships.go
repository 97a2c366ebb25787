package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Remote relationships of tables (Hasura.RQL.Types.Relationships.Remote):
// a field of a table's row type that is answered by another server, a
// remote schema (to_remote_schema) or a table of a source (to_source),
// joined on the row's columns. Metadata keeps the definition as it came
// (Hasura's new or legacy format); resolution reads it into a
// RemoteRelationship on the table.

// RemoteRelationshipMeta is one entry of a table's remote_relationships.
type RemoteRelationshipMeta struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
}

// RemoteRelationship is a resolved remote relationship of a table.
type RemoteRelationship struct {
	Name     string
	Table    *Table
	ToRemote *RemoteSchemaJoin // set for a relationship to a remote schema
	ToSource *SourceJoin       // set for a relationship to a table of a source
}

// RemoteSchemaJoin joins a row to a field of a remote schema.
type RemoteSchemaJoin struct {
	RemoteSchema string
	// LHSFields are the row's columns the join reads (Postgres names).
	LHSFields []string
	// Path is remote_field: the fields from the remote's query root down
	// to the joined field, each with its arguments ("$col" stands for a
	// column's value).
	Path []RemoteFieldStep
}

// RemoteFieldStep is one field of remote_field's path.
type RemoteFieldStep struct {
	Name string
	// Arguments is the step's arguments as plain JSON values (objects as
	// map[string]any, numbers as json.Number).
	Arguments map[string]any
}

// SourceJoin joins a row to rows of a table of a source.
type SourceJoin struct {
	Source string
	Table  QualifiedName
	Kind   RelKind
	// Mapping is this table's column -> the target's column.
	Mapping []ColumnPair
	// Target is the resolved target table when Source is the default
	// source; the engine serving other sources resolves it itself.
	Target *Table
}

// RemoteRelationshipList reads a table's stored remote relationships.
func (tm *TableMeta) RemoteRelationshipList() ([]RemoteRelationshipMeta, error) {
	if !isSet(tm.RemoteRelationships) {
		return nil, nil
	}
	var list []RemoteRelationshipMeta
	if err := json.Unmarshal(tm.RemoteRelationships, &list); err != nil {
		return nil, fmt.Errorf("remote_relationships of table %s: %w", tm.Table.String(), err)
	}
	return list, nil
}

// remoteRelDefinition is every key of both of Hasura's formats.
type remoteRelDefinition struct {
	ToRemoteSchema *struct {
		RemoteSchema string          `json:"remote_schema"`
		LHSFields    []string        `json:"lhs_fields"`
		RemoteField  json.RawMessage `json:"remote_field"`
	} `json:"to_remote_schema"`
	ToSource *struct {
		Source           string            `json:"source"`
		Table            QualifiedName     `json:"table"`
		RelationshipType string            `json:"relationship_type"`
		FieldMapping     map[string]string `json:"field_mapping"`
	} `json:"to_source"`
	// The legacy format: {remote_schema, hasura_fields, remote_field}.
	RemoteSchema string          `json:"remote_schema"`
	HasuraFields []string        `json:"hasura_fields"`
	RemoteField  json.RawMessage `json:"remote_field"`
}

// parseRemoteRelationship reads a definition in either format; errors are
// Hasura's parse errors of the definition.
func parseRemoteRelationship(name string, raw json.RawMessage) (*RemoteRelationship, error) {
	var d remoteRelDefinition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("invalid remote relationship definition: %w", err)
	}
	rr := &RemoteRelationship{Name: name}
	switch {
	case d.ToRemoteSchema != nil && d.ToSource != nil:
		return nil, fmt.Errorf("only one of to_remote_schema and to_source may be given")
	case d.ToSource != nil:
		ts := d.ToSource
		sj := &SourceJoin{Source: ts.Source, Table: ts.Table}
		if sj.Source == "" {
			return nil, fmt.Errorf(`key "source" not found in to_source`)
		}
		if sj.Table.Name == "" {
			return nil, fmt.Errorf(`key "table" not found in to_source`)
		}
		switch ts.RelationshipType {
		case "object":
			sj.Kind = ObjectRel
		case "array":
			sj.Kind = ArrayRel
		default:
			return nil, fmt.Errorf("relationship_type must be \"object\" or \"array\", not %q", ts.RelationshipType)
		}
		if len(ts.FieldMapping) == 0 {
			return nil, fmt.Errorf("field_mapping of a to_source relationship cannot be empty")
		}
		for _, from := range sortedKeys(ts.FieldMapping) {
			sj.Mapping = append(sj.Mapping, ColumnPair{From: from, To: ts.FieldMapping[from]})
		}
		rr.ToSource = sj
		return rr, nil
	case d.ToRemoteSchema != nil:
		rr.ToRemote = &RemoteSchemaJoin{RemoteSchema: d.ToRemoteSchema.RemoteSchema, LHSFields: d.ToRemoteSchema.LHSFields}
		d.RemoteField = d.ToRemoteSchema.RemoteField
	default:
		rr.ToRemote = &RemoteSchemaJoin{RemoteSchema: d.RemoteSchema, LHSFields: d.HasuraFields}
	}
	if rr.ToRemote.RemoteSchema == "" {
		return nil, fmt.Errorf(`key "remote_schema" not found`)
	}
	path, err := parseRemoteField(d.RemoteField)
	if err != nil {
		return nil, err
	}
	rr.ToRemote.Path = path
	return rr, nil
}

// parseRemoteField reads {"f": {"arguments": {...}, "field": {...}}}.
func parseRemoteField(raw json.RawMessage) ([]RemoteFieldStep, error) {
	var path []RemoteFieldStep
	for isSet(raw) {
		var level map[string]struct {
			Arguments json.RawMessage `json:"arguments"`
			Field     json.RawMessage `json:"field"`
		}
		if err := json.Unmarshal(raw, &level); err != nil {
			return nil, fmt.Errorf("invalid remote_field: %w", err)
		}
		if len(level) != 1 {
			return nil, fmt.Errorf("remote_field must name exactly one field at each level")
		}
		for name, v := range level {
			step := RemoteFieldStep{Name: name, Arguments: map[string]any{}}
			if isSet(v.Arguments) {
				dec := json.NewDecoder(bytes.NewReader(v.Arguments))
				dec.UseNumber()
				if err := dec.Decode(&step.Arguments); err != nil {
					return nil, fmt.Errorf("invalid arguments of remote field %q: %w", name, err)
				}
			}
			path = append(path, step)
			raw = v.Field
		}
	}
	if len(path) == 0 {
		return nil, fmt.Errorf(`key "remote_field" not found`)
	}
	return path, nil
}

// JoinVariables lists the "$column" names the arguments of a path use,
// sorted, each once.
func JoinVariables(path []RemoteFieldStep) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if strings.HasPrefix(v, "$") {
				seen[v[1:]] = true
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, s := range path {
		walk(s.Arguments)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RemoteJoinChecker is implemented by a loaded remote schema that can check
// a remote relationship against its types: the path's fields and
// arguments exist, and the columns fit the arguments they fill. Errors
// are Hasura's validation messages.
type RemoteJoinChecker interface {
	CheckRemoteJoin(path []RemoteFieldStep, columns map[string]*CatalogColumn) error
}
