package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Metadata is Hasura v2's exported metadata document (version 3). Parts that
// Graft does not interpret yet are kept as raw JSON so that export, replace
// and export again round-trip byte for byte.
type Metadata struct {
	Version          int             `json:"version"`
	Sources          []Source        `json:"sources"`
	RemoteSchemas    json.RawMessage `json:"remote_schemas,omitempty"`
	QueryCollections json.RawMessage `json:"query_collections,omitempty"`
	Allowlist        json.RawMessage `json:"allowlist,omitempty"`
	Actions          json.RawMessage `json:"actions,omitempty"`
	CustomTypes      json.RawMessage `json:"custom_types,omitempty"`
	CronTriggers     json.RawMessage `json:"cron_triggers,omitempty"`
	RestEndpoints    json.RawMessage `json:"rest_endpoints,omitempty"`
	InheritedRoles   json.RawMessage `json:"inherited_roles,omitempty"`
	APILimits        json.RawMessage `json:"api_limits,omitempty"`
	MetricsConfig    json.RawMessage `json:"metrics_config,omitempty"`
	Network          json.RawMessage `json:"network,omitempty"`
	BackendConfigs   json.RawMessage `json:"backend_configs,omitempty"`
	// Until these were declared, replace_metadata dropped them without a
	// word; now they round-trip and NotServed names them.
	GraphQLSchemaIntrospection json.RawMessage `json:"graphql_schema_introspection,omitempty"`
	OpenTelemetry              json.RawMessage `json:"opentelemetry,omitempty"`
}

// Source is one database: "default" (HASURA_GRAPHQL_DATABASE_URL) or one
// added with pg_add_source. Each is resolved against its own catalog
// (snapshot_sources.go) and served over GraphQL.
type Source struct {
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Tables        []TableMeta     `json:"tables"`
	Functions     []FunctionMeta  `json:"functions,omitempty"`
	Configuration json.RawMessage `json:"configuration"`
	Customization json.RawMessage `json:"customization,omitempty"`
}

// QualifiedName names a table or function: {"schema": ..., "name": ...}.
// Hasura also accepts a bare string (schema public); UnmarshalJSON does too.
type QualifiedName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

func (q *QualifiedName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = QualifiedName{Schema: "public", Name: s}
		return nil
	}
	type plain QualifiedName
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("expected a table name or {schema, name}: %w", err)
	}
	if p.Schema == "" {
		p.Schema = "public"
	}
	*q = QualifiedName(p)
	return nil
}

func (q QualifiedName) String() string {
	if q.Schema == "public" {
		return q.Name
	}
	return q.Schema + "." + q.Name
}

// SQL returns the quoted "schema"."name" form.
func (q QualifiedName) SQL() string { return QuoteIdent(q.Schema) + "." + QuoteIdent(q.Name) }

// QuoteIdent quotes a Postgres identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TableMeta is one tracked table.
type TableMeta struct {
	Table               QualifiedName       `json:"table"`
	IsEnum              bool                `json:"is_enum,omitempty"`
	Configuration       *TableConfig        `json:"configuration,omitempty"`
	ObjectRelationships []RelationshipMeta  `json:"object_relationships,omitempty"`
	ArrayRelationships  []RelationshipMeta  `json:"array_relationships,omitempty"`
	ComputedFields      []ComputedFieldMeta `json:"computed_fields,omitempty"`
	RemoteRelationships json.RawMessage     `json:"remote_relationships,omitempty"`
	InsertPermissions   []Permission        `json:"insert_permissions,omitempty"`
	SelectPermissions   []Permission        `json:"select_permissions,omitempty"`
	UpdatePermissions   []Permission        `json:"update_permissions,omitempty"`
	DeletePermissions   []Permission        `json:"delete_permissions,omitempty"`
	EventTriggers       json.RawMessage     `json:"event_triggers,omitempty"`
}

// TableConfig is a table's GraphQL customization.
type TableConfig struct {
	CustomName        string                  `json:"custom_name,omitempty"`
	CustomRootFields  map[string]any          `json:"custom_root_fields,omitempty"`
	ColumnConfig      map[string]ColumnConfig `json:"column_config,omitempty"`
	CustomColumnNames map[string]string       `json:"custom_column_names,omitempty"`
	Comment           *string                 `json:"comment,omitempty"`
}

// ColumnConfig customizes one column.
type ColumnConfig struct {
	CustomName string  `json:"custom_name,omitempty"`
	Comment    *string `json:"comment,omitempty"`
}

// IsEmpty reports whether the configuration changes nothing, so export omits it.
func (c *TableConfig) IsEmpty() bool {
	return c == nil || (c.CustomName == "" && len(c.CustomRootFields) == 0 &&
		len(c.ColumnConfig) == 0 && len(c.CustomColumnNames) == 0 && c.Comment == nil)
}

// RelationshipMeta is an object or array relationship definition.
type RelationshipMeta struct {
	Name    string   `json:"name"`
	Using   RelUsing `json:"using"`
	Comment *string  `json:"comment,omitempty"`
}

// RelUsing is how a relationship joins: a foreign key or a manual mapping.
type RelUsing struct {
	ForeignKeyConstraintOn json.RawMessage  `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualRelConfig `json:"manual_configuration,omitempty"`
}

// ManualRelConfig joins by an explicit column mapping.
type ManualRelConfig struct {
	RemoteTable    QualifiedName     `json:"remote_table"`
	ColumnMapping  map[string]string `json:"column_mapping"`
	InsertionOrder *string           `json:"insertion_order,omitempty"`
}

// ComputedFieldMeta is a computed field backed by a SQL function.
type ComputedFieldMeta struct {
	Name       string                  `json:"name"`
	Definition ComputedFieldDefinition `json:"definition"`
	Comment    *string                 `json:"comment,omitempty"`
}

// ComputedFieldDefinition names the function and which argument gets the row.
type ComputedFieldDefinition struct {
	Function        QualifiedName `json:"function"`
	TableArgument   *string       `json:"table_argument,omitempty"`
	SessionArgument *string       `json:"session_argument,omitempty"`
}

// Permission is one role's permission on a table. The rule body is typed by
// the authz package; metadata stores it as given.
type Permission struct {
	Role       string          `json:"role"`
	Permission json.RawMessage `json:"permission"`
	Comment    *string         `json:"comment,omitempty"`
}

// FunctionMeta is a tracked SQL function.
type FunctionMeta struct {
	Function      QualifiedName   `json:"function"`
	Configuration *FunctionConfig `json:"configuration,omitempty"`
	Permissions   json.RawMessage `json:"permissions,omitempty"`
	Comment       *string         `json:"comment,omitempty"`
}

// FunctionConfig customizes a tracked function.
type FunctionConfig struct {
	SessionArgument  *string        `json:"session_argument,omitempty"`
	CustomName       string         `json:"custom_name,omitempty"`
	CustomRootFields map[string]any `json:"custom_root_fields,omitempty"`
	ExposedAs        string         `json:"exposed_as,omitempty"`
}

// Empty returns the metadata of a fresh install: one default source, nothing tracked.
func Empty() *Metadata {
	return &Metadata{Version: 3, Sources: []Source{DefaultSource()}}
}

// DefaultSource is the source Graft creates for HASURA_GRAPHQL_DATABASE_URL.
func DefaultSource() Source {
	return Source{
		Name:   "default",
		Kind:   "postgres",
		Tables: []TableMeta{},
		Configuration: json.RawMessage(`{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"},` +
			`"isolation_level":"read-committed","pool_settings":{"connection_lifetime":600,"idle_timeout":180,"max_connections":50,"retries":1},"use_prepared_statements":true}}`),
	}
}

// Clone deep-copies metadata through JSON, so an operation edits its own copy
// and the published snapshot never changes under a reader.
func (m *Metadata) Clone() *Metadata {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("metadata: marshal of own model failed: %v", err))
	}
	var c Metadata
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("metadata: unmarshal of own model failed: %v", err))
	}
	return &c
}

// Source returns the named source, or nil.
func (m *Metadata) Source(name string) *Source {
	for i := range m.Sources {
		if m.Sources[i].Name == name {
			return &m.Sources[i]
		}
	}
	return nil
}

// Table returns a tracked table of the source, or nil.
func (s *Source) Table(q QualifiedName) *TableMeta {
	for i := range s.Tables {
		if s.Tables[i].Table == q {
			return &s.Tables[i]
		}
	}
	return nil
}

// Function returns a tracked function of the source, or nil.
func (s *Source) Function(q QualifiedName) *FunctionMeta {
	for i := range s.Functions {
		if s.Functions[i].Function == q {
			return &s.Functions[i]
		}
	}
	return nil
}
