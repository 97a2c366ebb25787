package graphql

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// RootSource serves root fields that do not run as one SQL statement of
// their own (actions; remote schemas could too): it adds them to each
// role's schema and executes them. A request mixing them with table
// fields runs each where it belongs, its response in request order.
type RootSource interface {
	// RootFields returns the query_root and mutation_root fields the role
	// of types sees; types are the role's shared types (tables, scalars).
	RootFields(types *SchemaTypes) (query, mutation graphql.Fields)
	// ExecuteRoot runs one root field and returns its JSON value. An
	// error (a *SourceError keeps its own extensions) nulls the field in
	// a query that has other fields, with the error at its path
	// (partial.go); otherwise it is the request's error.
	ExecuteRoot(ctx context.Context, call *RootCall) (json.RawMessage, error)
}

// AddRootSource adds a source to every role schema built from now on.
// Call it before serving.
func (e *Engine) AddRootSource(s RootSource) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sources = append(e.sources, s)
	e.schemas = map[string]*roleSchema{}
	e.plans = map[planKey]*preparedOp{}
}

// buildWithSources builds a role's schema with the sources' fields. When
// their types cannot join the schema (a name the tables' types already
// use), the tables are still served: the schema is built without them,
// and the error logged.
func (e *Engine) buildWithSources(snap *metadata.Snapshot, role string, backendOnly bool) (*roleSchema, error) {
	rs, err := buildRoleSchema(snap, role, backendOnly, e.sources...)
	if err == nil || len(e.sources) == 0 {
		return rs, err
	}
	if e.log != nil {
		e.log.Error("root fields of actions or remote schemas left out of the schema", "role", role, "error", err)
	}
	return buildRoleSchema(snap, role, backendOnly)
}

// SourceError is an error with extensions of its source's choosing,
// rendered as {"message": ..., "extensions": ...}.
type SourceError struct {
	Message    string
	Extensions json.RawMessage // an object, or nil for none
}

func (e *SourceError) Error() string { return e.Message }

// SchemaTypes are a role schema's shared types, for a RootSource to build
// its fields from: a type name may exist once per schema.
type SchemaTypes struct{ b *schemaBuilder }

// Role is the role the schema is built for.
func (t *SchemaTypes) Role() string { return t.b.rs.Role }

// Snapshot is the metadata the schema is built from.
func (t *SchemaTypes) Snapshot() *metadata.Snapshot { return t.b.rs.Snapshot }

// Scalar returns the scalar named name (a GraphQL name: Int, ID, uuid,
// jsonb, a custom scalar), the same instance the tables' fields use.
func (t *SchemaTypes) Scalar(name string) graphql.Type {
	if name == "ID" {
		return graphql.ID
	}
	return t.b.scalar(name) // a name a table's type has gets a _scalar suffix
}

// TableObject is the row type of t, nil when the role cannot select from t.
func (t *SchemaTypes) TableObject(tbl *metadata.Table) *graphql.Object {
	if t.b.rs.access[tbl] == nil {
		return nil
	}
	return t.b.object(tbl)
}

// TableList is an array relationship field to t (with the select
// arguments), nil when the role cannot select from t.
func (t *SchemaTypes) TableList(tbl *metadata.Table, description string) *graphql.Field {
	if t.b.rs.access[tbl] == nil {
		return nil
	}
	return t.b.listField(tbl, description)
}

// TableAggregate is the _aggregate field of an array relationship to t,
// nil when the role may not aggregate t.
func (t *SchemaTypes) TableAggregate(tbl *metadata.Table, description string) *graphql.Field {
	if a := t.b.rs.access[tbl]; a == nil || !a.AllowAgg {
		return nil
	}
	return t.b.aggregateField(tbl, description)
}

// sourceFields asks every source for the role's fields and records which
// source owns each.
func (b *schemaBuilder) sourceFields(sources []RootSource) (query, mutation graphql.Fields) {
	query, mutation = graphql.Fields{}, graphql.Fields{}
	if len(sources) == 0 {
		return query, mutation
	}
	b.rs.qsources, b.rs.msources = map[string]RootSource{}, map[string]RootSource{}
	types := &SchemaTypes{b: b}
	for _, s := range sources {
		if js, ok := s.(RemoteJoinSource); ok {
			b.rs.remoteJoins = js
		}
		q, m := s.RootFields(types)
		for name, f := range q {
			query[name], b.rs.qsources[name] = f, s
		}
		for name, f := range m {
			mutation[name], b.rs.msources[name] = f, s
		}
	}
	return query, mutation
}

func mergeFields(into, from graphql.Fields) {
	for name, f := range from {
		into[name] = f
	}
}

// HTTPExchange carries HTTP headers between the transport and a root
// source: the client's request headers in, headers for the response out
// (Set-Cookie from an action handler).
type HTTPExchange struct {
	Request http.Header

	mu       sync.Mutex
	response http.Header
}

type httpExchangeKey struct{}

// WithHTTPExchange attaches x to ctx.
func WithHTTPExchange(ctx context.Context, x *HTTPExchange) context.Context {
	return context.WithValue(ctx, httpExchangeKey{}, x)
}

// HTTPExchangeFrom returns the exchange attached to ctx, or nil (WebSocket).
func HTTPExchangeFrom(ctx context.Context) *HTTPExchange {
	x, _ := ctx.Value(httpExchangeKey{}).(*HTTPExchange)
	return x
}

// AddResponseHeader adds a header to the client's response.
func (x *HTTPExchange) AddResponseHeader(name, value string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.response == nil {
		x.response = http.Header{}
	}
	x.response.Add(name, value)
}

// ResponseHeaders are the headers added so far.
func (x *HTTPExchange) ResponseHeaders() http.Header {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.response.Clone()
}
