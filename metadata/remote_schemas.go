package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// RemoteSchemaMeta is one entry of remote_schemas, as Hasura stores it.
type RemoteSchemaMeta struct {
	Name                string                   `json:"name"`
	Definition          RemoteSchemaDef          `json:"definition"`
	Comment             *string                  `json:"comment,omitempty"`
	Permissions         []RemoteSchemaPermission `json:"permissions,omitempty"`
	RemoteRelationships json.RawMessage          `json:"remote_relationships,omitempty"`
}

// RemoteSchemaDef says where a remote schema is and how to call it. URL may
// hold {{ENV}} templates: they stay unresolved here and in error messages,
// and are resolved when a request goes out.
type RemoteSchemaDef struct {
	URL                  string                     `json:"url,omitempty"`
	URLFromEnv           string                     `json:"url_from_env,omitempty"`
	Headers              []RemoteHeader             `json:"headers,omitempty"`
	ForwardClientHeaders bool                       `json:"forward_client_headers,omitempty"`
	TimeoutSeconds       *int                       `json:"timeout_seconds,omitempty"`
	Customization        *RemoteSchemaCustomization `json:"customization,omitempty"`
}

// RemoteHeader is a configured header: a value or an env variable's value.
type RemoteHeader struct {
	Name         string `json:"name"`
	Value        string `json:"value,omitempty"`
	ValueFromEnv string `json:"value_from_env,omitempty"`
}

// RemoteSchemaCustomization renames what a remote schema adds, so that two
// schemas (or a schema and the tables) can live side by side.
type RemoteSchemaCustomization struct {
	RootFieldsNamespace string                     `json:"root_fields_namespace,omitempty"`
	TypeNames           *RemoteTypeCustomization   `json:"type_names,omitempty"`
	FieldNames          []RemoteFieldCustomization `json:"field_names,omitempty"`
}

// RemoteTypeCustomization renames types: mapping first, else prefix+name+suffix.
type RemoteTypeCustomization struct {
	Prefix  string            `json:"prefix,omitempty"`
	Suffix  string            `json:"suffix,omitempty"`
	Mapping map[string]string `json:"mapping,omitempty"`
}

// RemoteFieldCustomization renames the fields of one object or interface type.
type RemoteFieldCustomization struct {
	ParentType string            `json:"parent_type"`
	Prefix     string            `json:"prefix,omitempty"`
	Suffix     string            `json:"suffix,omitempty"`
	Mapping    map[string]string `json:"mapping,omitempty"`
}

// RemoteSchemaPermission is a role's view of a remote schema: an SDL subset.
type RemoteSchemaPermission struct {
	Role       string `json:"role"`
	Definition struct {
		Schema string `json:"schema"`
	} `json:"definition"`
	Comment *string `json:"comment,omitempty"`
}

// RemoteSchemaList reads the stored remote schemas.
func (md *Metadata) RemoteSchemaList() ([]RemoteSchemaMeta, error) {
	if !isSet(md.RemoteSchemas) {
		return nil, nil
	}
	var list []RemoteSchemaMeta
	if err := json.Unmarshal(md.RemoteSchemas, &list); err != nil {
		return nil, fmt.Errorf("remote_schemas: %w", err)
	}
	return list, nil
}

// RemoteSchemaLoader fetches a remote schema (introspection over HTTP) and
// checks it. Package remoteschema implements it; the app injects it, so
// metadata itself never talks to the network. Errors are *APIError with
// Hasura's code (remote-schema-error) where the loader knows it.
type RemoteSchemaLoader interface {
	Load(ctx context.Context, rs *RemoteSchemaMeta) (RemoteSchemaInfo, error)
}

// RemoteSchemaInfo is a loaded remote schema as metadata needs it: the root
// fields it adds (after customization: the namespace field, when it has
// one) and its raw introspection result. The loader's own type behind it
// holds what serving needs.
type RemoteSchemaInfo interface {
	RootFields() (query, mutation []string)
	Introspection() json.RawMessage
}

// RemoteSchema is a remote schema that loaded and does not conflict.
type RemoteSchema struct {
	Meta *RemoteSchemaMeta
	Info RemoteSchemaInfo
	// Relationships are its types' consistent remote relationships
	// (remote_schema_rels.go).
	Relationships []*RemoteSchemaRelationship
}

// remoteCache keeps each remote schema's last load, keyed by name and
// definition: a load is an HTTP round trip, and metadata resolves several
// times per request. Reloads and definition changes load again.
type remoteCache struct {
	mu      sync.Mutex
	loader  RemoteSchemaLoader
	entries map[string]remoteEntry
	// permissions: add_remote_schema_permissions is allowed
	// (HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS).
	permissions bool
}

type remoteEntry struct {
	def  string // the definition the entry was loaded for
	info RemoteSchemaInfo
	err  error
}

// SetRemoteSchemaLoader makes the manager serve remote schemas; call it
// before Start. Without a loader remote schemas are stored, not served.
// permissions allows add_remote_schema_permissions, as Hasura allows it
// only with remote schema permissions enabled.
func (m *Manager) SetRemoteSchemaLoader(l RemoteSchemaLoader, permissions bool) {
	m.remotes.mu.Lock()
	defer m.remotes.mu.Unlock()
	m.remotes.loader = l
	m.remotes.entries = map[string]remoteEntry{}
	m.remotes.permissions = permissions
}

// forget drops the cached loads of names (all when names is nil).
func (c *remoteCache) forget(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if names == nil {
		c.entries = map[string]remoteEntry{}
		return
	}
	for _, n := range names {
		delete(c.entries, n)
	}
}

// load returns the cached load of rs, loading it when its definition changed.
func (c *remoteCache) load(ctx context.Context, rs *RemoteSchemaMeta) (RemoteSchemaInfo, error) {
	def, _ := json.Marshal(rs.Definition)
	c.mu.Lock()
	e, ok := c.entries[rs.Name]
	loader := c.loader
	c.mu.Unlock()
	if ok && e.def == string(def) {
		return e.info, e.err
	}
	info, err := loader.Load(ctx, rs)
	if ctx.Err() != nil {
		return nil, err // the request ended: not the remote's fault, do not keep it
	}
	c.mu.Lock()
	c.entries[rs.Name] = remoteEntry{def: string(def), info: info, err: err}
	c.mu.Unlock()
	return info, err
}

// resolveRemoteSchemas loads the remote schemas into s. One that fails to
// load, or whose root fields clash with the tables' or an earlier remote
// schema's, is inconsistent (type remote_schema) and left out.
func (m *Manager) resolveRemoteSchemas(ctx context.Context, md *Metadata, s *Snapshot) {
	m.remotes.mu.Lock()
	loader := m.remotes.loader
	m.remotes.mu.Unlock()
	if loader == nil || !isSet(md.RemoteSchemas) {
		return
	}
	list, err := md.RemoteSchemaList()
	if err != nil {
		s.addInconsistent("remote_schema", "remote_schemas", err.Error(), md.RemoteSchemas, QualifiedName{}, "")
		return
	}
	queryOwners, mutationOwners := tableRootFields(s)
	for i := range list {
		rs := &list[i]
		info, err := m.remotes.load(ctx, rs)
		if err != nil {
			ae := remoteErrorOf(err)
			s.addRemoteInconsistent(rs, inconsistentPrefix+ae.Message, ae.Code)
			continue
		}
		q, mu := info.RootFields()
		if reason, code := rootFieldClash(rs.Name, q, queryOwners, "query_root"); reason != "" {
			s.addRemoteInconsistent(rs, reason, code)
			continue
		}
		if reason, code := rootFieldClash(rs.Name, mu, mutationOwners, "mutation_root"); reason != "" {
			s.addRemoteInconsistent(rs, reason, code)
			continue
		}
		for _, f := range q {
			queryOwners[f] = "remote schema " + rs.Name
		}
		for _, f := range mu {
			mutationOwners[f] = "remote schema " + rs.Name
		}
		s.RemoteSchemas = append(s.RemoteSchemas, &RemoteSchema{Meta: rs, Info: info})
	}
}

// inconsistentPrefix starts the reason of an inconsistent object, as in Hasura.
const inconsistentPrefix = "Inconsistent object: "

// Codes of the remote schema errors Hasura reports.
const (
	codeRemoteSchemaError     = "remote-schema-error"
	codeRemoteSchemaConflicts = "remote-schema-conflicts"
)

func (s *Snapshot) addRemoteInconsistent(rs *RemoteSchemaMeta, reason, code string) {
	s.addInconsistent("remote_schema", rs.Name, reason, rs, QualifiedName{}, rs.Name)
	s.Inconsistent[len(s.Inconsistent)-1].code = code
}

// rootFieldClash names the first of fields another owner already has in
// root; a clash with a table is a remote-schema-conflicts (a table tracked
// over a remote's field reports that code).
func rootFieldClash(name string, fields []string, owners map[string]string, root string) (reason, code string) {
	for _, f := range fields {
		owner, taken := owners[f]
		if !taken {
			continue
		}
		code = "invalid-configuration"
		if owner == "tables" {
			code = codeRemoteSchemaConflicts
		}
		return fmt.Sprintf(inconsistentPrefix+"remote schema %q: field %q of %s already exists (%s)", name, f, root, owner), code
	}
	return "", ""
}

// tableRootFields are the root field names the tables and functions of
// every source take (a namespaced source takes its namespace field).
func tableRootFields(main *Snapshot) (query, mutation map[string]string) {
	query, mutation = map[string]string{}, map[string]string{}
	for _, s := range main.AllSources() {
		if ns := s.Customization.Namespaced(); ns != "" {
			query[ns], mutation[ns] = "tables", "tables"
			continue
		}
		for _, t := range s.Tables {
			q, m := t.RootFields.byRoot()
			for _, n := range q {
				query[n] = "tables"
			}
			for _, n := range m {
				mutation[n] = "tables"
			}
		}
		for _, f := range s.Functions {
			owner := query
			if f.ExposedAsMutation {
				owner = mutation
			}
			owner[f.RootFields.Function], owner[f.RootFields.Aggregate] = "tables", "tables"
		}
	}
	return query, mutation
}

// RemoteError is an error a remote schema loader reports with Hasura's
// code and, for HTTP failures, the internal details.
func RemoteError(code, message string, internal any) error {
	return &APIError{Status: 400, Code: code, Path: "$.args", Message: message, Internal: internal}
}

// remoteErrorOf extracts an APIError, defaulting the code.
func remoteErrorOf(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return &APIError{Status: 400, Code: codeRemoteSchemaError, Path: "$.args", Message: err.Error()}
}
