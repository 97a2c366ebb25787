package remoteschema

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	engine "github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	gql "github.com/graphql-go/graphql"
)

// Source serves the remote schemas of the metadata as a graphql.RootSource.
type Source struct {
	Client *http.Client
	// Permissions: HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS. A role
	// then sees only the remote schemas it has a permission on, and only
	// the part its permission's SDL names; without it every role sees all.
	Permissions bool
}

// NewSource returns a source calling remotes through client (a keep-alive client of its own when nil).
func NewSource(client *http.Client, permissions bool) *Source {
	if client == nil {
		client = newHTTPClient()
	}
	return &Source{Client: client, Permissions: permissions}
}

// served is a loaded remote schema with the view a role has of it.
type served struct {
	r   *Remote
	doc *schemaDoc // the role's view
	// presets fill arguments the role may not give (permissions).
	presets *presets
}

// remotesFor lists the remote schemas role sees in snap.
func (s *Source) remotesFor(snap *metadata.Snapshot, role string) []served {
	var out []served
	for _, rs := range snap.RemoteSchemas {
		r, ok := rs.Info.(*Remote)
		if !ok {
			continue
		}
		if role == "admin" || !s.Permissions {
			out = append(out, served{r: r, doc: r.doc})
			continue
		}
		i := slices.IndexFunc(rs.Meta.Permissions, func(p metadata.RemoteSchemaPermission) bool { return p.Role == role })
		if i < 0 {
			continue
		}
		view, err := r.roleView(rs.Meta.Permissions[i].Definition.Schema)
		if err != nil {
			continue // refused when it was added; a remote change can break it
		}
		out = append(out, served{r: r, doc: view.doc, presets: view.presets})
	}
	return out
}

// RootFields adds every remote schema the role sees to its schema.
func (s *Source) RootFields(types *engine.SchemaTypes) (query, mutation gql.Fields) {
	query, mutation = gql.Fields{}, gql.Fields{}
	tb := sharedTypes(types)
	for _, sv := range s.remotesFor(types.Snapshot(), types.Role()) {
		rt := &remoteTypes{typeBuilder: tb, r: sv.r, doc: sv.doc}
		rt.rootFields(sv.doc.queryRoot, query)
		if sv.doc.mutationRoot != "" {
			rt.rootFields(sv.doc.mutationRoot, mutation)
		}
		if sv.doc.subscrRoot != "" {
			subs := gql.Fields{}
			rt.rootFields(sv.doc.subscrRoot, subs)
			for name, f := range subs {
				types.AddRefusedSubscription(name, f, "subscription to remote server is not supported")
			}
		}
		rt.addImplementations()
	}
	return query, mutation
}

// ExecuteRoot forwards one remote root field (or namespace) to its server.
func (s *Source) ExecuteRoot(ctx context.Context, call *engine.RootCall) (json.RawMessage, error) {
	for _, sv := range s.remotesFor(call.Snapshot(), call.Session.Role) {
		names := sv.r.query
		root := sv.doc.queryRoot
		if call.Mutation {
			names, root = sv.r.mut, sv.doc.mutationRoot
		}
		if slices.Contains(names, call.Name) {
			f := &forward{s: s, sv: sv, call: call, raw: call.Raw(), root: root}
			return f.run(ctx)
		}
	}
	return nil, &engine.SourceError{Message: "remote field " + call.Name + " is no longer served",
		Extensions: json.RawMessage(`{"path":"$","code":"unexpected"}`)}
}
