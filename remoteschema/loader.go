package remoteschema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/graftql/graft/metadata"
)

const codeRemoteSchemaError = "remote-schema-error"

// maxIntrospectionTimeout bounds an introspection whatever timeout_seconds says.
const maxIntrospectionTimeout = 20 * time.Second

// Loader introspects remote schemas for package metadata.
type Loader struct {
	Client *http.Client
}

// NewLoader returns a loader using client (a keep-alive client of its own when nil).
func NewLoader(client *http.Client) *Loader {
	if client == nil {
		client = newHTTPClient()
	}
	return &Loader{Client: client}
}

// Remote is a loaded remote schema: its introspection, checked, and its
// customization. It is immutable and shared by every role's schema.
type Remote struct {
	name  string
	def   metadata.RemoteSchemaDef
	doc   *schemaDoc
	cz    *customizer
	raw   json.RawMessage
	query []string // client root field names (or the namespace)
	mut   []string
	// views caches roleView by permission SDL: a view is built for every
	// role schema and every forwarded field.
	views sync.Map
}

// Load introspects rs and checks the result and the customization.
func (l *Loader) Load(ctx context.Context, rs *metadata.RemoteSchemaMeta) (metadata.RemoteSchemaInfo, error) {
	ep, err := resolveEndpoint(&rs.Definition)
	if err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	headers, err := outgoingHeaders(&rs.Definition, map[string]string{"x-hasura-role": "admin"}, nil)
	if err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	// Metadata loads remote schemas while it holds its lock (and, at start,
	// within the start's deadline): a hung remote must not hold it longer.
	ep.timeout = min(ep.timeout, maxIntrospectionTimeout)
	body, _ := json.Marshal(map[string]any{"query": introspectionQuery, "operationName": "IntrospectionQuery"})
	rep, err := post(ctx, l.Client, ep, headers, body)
	var he *httpError
	if errors.As(err, &he) {
		return nil, metadata.RemoteError(codeRemoteSchemaError, he.Error(), he.internal())
	}
	if err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	if rep.status != http.StatusOK {
		err := metadata.RemoteError(codeRemoteSchemaError,
			fmt.Sprintf("introspection query to %s has failed with status code %d", ep.display, rep.status), nil)
		rep.finish(err)
		return nil, err
	}
	r, err := newRemote(rs, rep.body)
	rep.finish(err)
	return r, err
}

// newRemote checks an introspection result and customization.
func newRemote(rs *metadata.RemoteSchemaMeta, raw []byte) (*Remote, error) {
	doc, err := parseIntrospection(raw)
	if err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	if err := doc.validate(); err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	cz := newCustomizer(doc, rs.Definition.Customization)
	if err := cz.validate(doc); err != nil {
		return nil, metadata.RemoteError(codeRemoteSchemaError, err.Error(), nil)
	}
	r := &Remote{name: rs.Name, def: rs.Definition, doc: doc, cz: cz, raw: raw}
	r.query = r.rootNames(doc.queryRoot)
	r.mut = r.rootNames(doc.mutationRoot)
	return r, nil
}

// rootNames are the client's names of root's fields, or the namespace.
func (r *Remote) rootNames(root string) []string {
	t := r.doc.typ(root)
	if t == nil {
		return nil
	}
	if r.cz.namespace != "" {
		return []string{r.cz.namespace}
	}
	out := make([]string, 0, len(t.Fields))
	for _, f := range t.Fields {
		out = append(out, r.cz.fieldName(root, f.Name))
	}
	return out
}

// RootFields are the root field names the remote adds to query_root and
// mutation_root.
func (r *Remote) RootFields() (query, mutation []string) { return r.query, r.mut }

// Introspection is the remote's introspection result as it answered it.
func (r *Remote) Introspection() json.RawMessage { return r.raw }
