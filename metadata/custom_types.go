package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// CustomTypes are the GraphQL types actions use (set_custom_types), as
// Hasura.RQL.Types.CustomTypes defines them.
type CustomTypes struct {
	InputObjects []*InputObjectType `json:"input_objects,omitempty"`
	Objects      []*ObjectType      `json:"objects,omitempty"`
	Scalars      []*ScalarType      `json:"scalars,omitempty"`
	Enums        []*EnumType        `json:"enums,omitempty"`
}

// InputObjectType is an input object of custom types.
type InputObjectType struct {
	Name        string         `json:"name"`
	Description *string        `json:"description,omitempty"`
	Fields      []*CustomField `json:"fields"`
}

// CustomField is a field of a custom input or output object.
type CustomField struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description *string  `json:"description,omitempty"`
	Ref         *TypeRef `json:"-"`
}

// ObjectType is an output object of custom types, with relationships to
// tracked tables.
type ObjectType struct {
	Name          string              `json:"name"`
	Description   *string             `json:"description,omitempty"`
	Fields        []*CustomField      `json:"fields"`
	Relationships []*TypeRelationship `json:"relationships,omitempty"`
}

// TypeRelationship joins an output object to a table by field_mapping
// (object field -> column).
type TypeRelationship struct {
	Name         string            `json:"name"`
	Type         string            `json:"type"` // object or array
	RemoteTable  json.RawMessage   `json:"remote_table"`
	FieldMapping map[string]string `json:"field_mapping"`
	Source       string            `json:"source,omitempty"`
	// Resolved against the snapshot (ResolveCustomTypes): the table and
	// the mapping in field order.
	Table   *Table       `json:"-"`
	Mapping []ColumnPair `json:"-"`
}

// ScalarType is a custom scalar.
type ScalarType struct {
	Name        string  `json:"name"`
	Description *string `json:"description,omitempty"`
}

// EnumType is a custom enum.
type EnumType struct {
	Name        string           `json:"name"`
	Description *string          `json:"description,omitempty"`
	Values      []*EnumTypeValue `json:"values"`
}

// EnumTypeValue is one value of a custom enum.
type EnumTypeValue struct {
	Value        string  `json:"value"`
	Description  *string `json:"description,omitempty"`
	IsDeprecated bool    `json:"is_deprecated,omitempty"`
}

// Object returns a custom output object by name, or nil.
func (ct *CustomTypes) Object(name string) *ObjectType {
	for _, o := range ct.Objects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// InputObject returns a custom input object by name, or nil.
func (ct *CustomTypes) InputObject(name string) *InputObjectType {
	for _, o := range ct.InputObjects {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Scalar returns a custom scalar by name, or nil.
func (ct *CustomTypes) Scalar(name string) *ScalarType {
	for _, s := range ct.Scalars {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Enum returns a custom enum by name, or nil.
func (ct *CustomTypes) Enum(name string) *EnumType {
	for _, e := range ct.Enums {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// parseCustomTypes reads the stored custom_types (absent: none).
func parseCustomTypes(raw json.RawMessage) (*CustomTypes, error) {
	ct := &CustomTypes{}
	if !isSet(raw) {
		return ct, nil
	}
	if err := json.Unmarshal(raw, ct); err != nil {
		return nil, fmt.Errorf("custom_types: %w", err)
	}
	for _, o := range ct.InputObjects {
		if err := parseFieldTypes(o.Fields); err != nil {
			return nil, err
		}
	}
	for _, o := range ct.Objects {
		if err := parseFieldTypes(o.Fields); err != nil {
			return nil, err
		}
	}
	return ct, nil
}

func parseFieldTypes(fields []*CustomField) error {
	for _, f := range fields {
		ref, err := ParseTypeRef(f.Type)
		if err != nil {
			return err
		}
		f.Ref = ref
	}
	return nil
}

// customTypesError is Hasura's set_custom_types validation failure.
func customTypesError(format string, a ...any) error {
	return &APIError{Status: 400, Code: "constraint-violation", Path: "$.args",
		Message: "validation for the given custom types failed because " + fmt.Sprintf(format, a...)}
}

// validate checks the definitions as Hasura's validateCustomTypeDefinitions
// does; pgType says whether a name is a Postgres type (usable as a scalar),
// tableTypes are the GraphQL names tables already use.
func (ct *CustomTypes) validate(pgType func(string) bool, tableTypes map[string]bool) error {
	seen, dups := map[string]bool{}, []string{}
	var names []string
	for _, o := range ct.InputObjects {
		names = append(names, o.Name)
	}
	for _, o := range ct.Objects {
		names = append(names, o.Name)
	}
	for _, s := range ct.Scalars {
		names = append(names, s.Name)
	}
	for _, e := range ct.Enums {
		names = append(names, e.Name)
	}
	for _, n := range names {
		if seen[n] {
			dups = append(dups, n)
		}
		seen[n] = true
		if tableTypes[n] {
			return customTypesError("the type %q conflicts with the type of a tracked table", n)
		}
	}
	if len(dups) > 0 {
		return customTypesError("duplicate type names: %s", strings.Join(dups, ", "))
	}
	for _, e := range ct.Enums {
		vals := map[string]bool{}
		for _, v := range e.Values {
			if vals[v.Value] {
				return customTypesError("the enum type %q has duplicate values: %s", e.Name, v.Value)
			}
			vals[v.Value] = true
		}
	}
	scalarOrEnum := func(n string) bool {
		return builtinScalars[n] || ct.Scalar(n) != nil || ct.Enum(n) != nil || pgType(n)
	}
	for _, o := range ct.InputObjects {
		if d := duplicateFields(o.Fields); d != "" {
			return customTypesError("the input object %q has duplicate fields: %s", o.Name, d)
		}
		for _, f := range o.Fields {
			if b := f.Ref.Base(); !scalarOrEnum(b) && ct.InputObject(b) == nil {
				return customTypesError("the type %q for field %q in  input object type %q does not exist", b, f.Name, o.Name)
			}
		}
	}
	for _, o := range ct.Objects {
		if d := duplicateFields(o.Fields); d != "" {
			return customTypesError("the object %q has duplicate fields: %s", o.Name, d)
		}
		for _, f := range o.Fields {
			if b := f.Ref.Base(); !scalarOrEnum(b) && ct.Object(b) == nil {
				return customTypesError("the type %q for field %q in  object type %q does not exist", b, f.Name, o.Name)
			}
		}
	}
	return nil
}

func duplicateFields(fields []*CustomField) string {
	seen, dups := map[string]bool{}, []string{}
	for _, f := range fields {
		if seen[f.Name] {
			dups = append(dups, f.Name)
		}
		seen[f.Name] = true
	}
	return strings.Join(dups, ", ")
}

// resolveRelationships finds each relationship's table and columns in s.
// A relationship that does not resolve is left without a table (not
// served) and the first such error, Hasura's inconsistency reason, is
// returned.
func (ct *CustomTypes) resolveRelationships(s *Snapshot) error {
	var first error
	for _, o := range ct.Objects {
		fields := map[string]*CustomField{}
		for _, f := range o.Fields {
			fields[f.Name] = f
		}
		for _, r := range o.Relationships {
			r.Table, r.Mapping = nil, nil
			if err := r.resolve(o, fields, s); err != nil && first == nil {
				first = fmt.Errorf("validation for the given custom types failed because %w", err)
			}
		}
	}
	return first
}

func (r *TypeRelationship) resolve(o *ObjectType, fields map[string]*CustomField, s *Snapshot) error {
	if fields[r.Name] != nil {
		return fmt.Errorf("the relationship %q in object type %q conflicts with a field of the same name", r.Name, o.Name)
	}
	q, err := parseTableName(r.RemoteTable)
	if err != nil {
		return fmt.Errorf("the remote table of relationship %q in object type %q is not valid: %w", r.Name, o.Name, err)
	}
	t := s.Table(q)
	if t == nil {
		return fmt.Errorf("the remote table %q for relationship %q of object type %q does not exist", q.String(), r.Name, o.Name)
	}
	var mapping []ColumnPair
	for _, field := range sortedKeys(r.FieldMapping) {
		column := r.FieldMapping[field]
		f := fields[field]
		switch {
		case f == nil:
			return fmt.Errorf("the field %q for relationship %q in object type %q does not exist", field, r.Name, o.Name)
		case f.Ref.IsList():
			return fmt.Errorf("the type of the field %q for relationship %q in object type %q is a list type", field, r.Name, o.Name)
		case t.Column(column) == nil:
			return fmt.Errorf("the column %q of remote table %q for relationship %q of object type %q does not exist", column, q.String(), r.Name, o.Name)
		}
		mapping = append(mapping, ColumnPair{From: field, To: column})
	}
	r.Table, r.Mapping = t, mapping
	return nil
}

// parseTableName reads a table name: "name" or {"schema","name"}.
func parseTableName(raw json.RawMessage) (QualifiedName, error) {
	var q QualifiedName
	if err := json.Unmarshal(raw, &q); err != nil || q.Name == "" {
		return QualifiedName{}, fmt.Errorf("expected a table name or {schema, name}")
	}
	return q, nil
}
