package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// Every source's tables and functions join each role's schema, with the
// source's customization as Hasura applies it (Hasura.GraphQL.Schema,
// Hasura.RQL.Types.SourceCustomization):
//
//   - root_fields.prefix/suffix wrap each root field name (resolved in
//     metadata: Table.RootFields, Function.RootFields);
//   - root_fields.namespace puts the source's root fields in one field of
//     query_root (type <namespace>_query), mutation_root
//     (<namespace>_mutation_frontend, or _mutation_backend for backend-only
//     requests) and subscription_root (<namespace>_subscription, without
//     the _stream fields);
//   - type_names.prefix/suffix wrap the name of every type the source's
//     fields reach: its tables' types, and also the shared ones (order_by,
//     <scalar>_comparison_exp, Postgres scalars such as timestamptz), as in
//     Hasura, where the customized MkTypename builds all of them. GraphQL's
//     own scalars (Int, Float, String, Boolean, ID) keep their names, and
//     so do the namespace types' own fields.
//
// Sources without type name customization share one set of types: the same
// order_by, comparison expressions and scalars. A source with it is built
// apart and its types renamed (renameTypes), so nothing it reaches is shared.
// Tables of one source only reach tables of the same source.
//
// Every source's read fields are live queries. The WAL Graft reads is the
// default database's: a live query on an added source is refetched at once
// after Graft's own writes to it, and on the fallback tick
// (HASURA_GRAPHQL_LIVE_QUERIES_FALLBACK_REFETCH_INTERVAL) for any other
// write, as Hasura polls.

// namespace is a source's namespace root field and the root fields inside it.
type namespace struct {
	source                                    string
	queryType, mutationType, subscriptionType string
	roots                                     map[string]rootField
	mroots                                    map[string]mutationField
}

// addSource adds one source's root fields to the role's root types.
func (b *schemaBuilder) addSource(src *metadata.Snapshot, query, mutation, subscription graphql.Fields) {
	rs := b.rs
	sb := b
	cust := src.Customization
	if cust.HasTypeNames() {
		sb = b.apart()
	}
	ns := cust.Namespaced()
	outerRoots, outerMroots := rs.roots, rs.mroots
	if ns != "" {
		// The source's fields are looked up inside the namespace only.
		rs.roots, rs.mroots = map[string]rootField{}, map[string]mutationField{}
	}
	q, m, s := graphql.Fields{}, graphql.Fields{}, graphql.Fields{}
	sb.sourceQueryFields(src, q)
	for _, t := range src.Tables {
		sb.addMutations(t, m)
	}
	applyRootFieldComments(src.Tables, m)
	if ns == "" {
		sb.addSubscriptions(src, q, s)
	} else {
		q, m, s = b.namespaceFields(src, ns, q, m)
		rs.roots, rs.mroots = outerRoots, outerMroots
	}
	if sb != b {
		renameTypes(cust, rs, q, m, s)
	}
	mergeFields(query, q)
	mergeFields(mutation, m)
	mergeFields(subscription, s)
}

// namespaceFields wraps a source's query and mutation fields in its
// namespace field, on subscription_root too with the query fields that are
// live queries, recording the root fields inside it (rs.roots and
// rs.mroots hold the source's own while this runs).
func (b *schemaBuilder) namespaceFields(src *metadata.Snapshot, ns string, query, mutation graphql.Fields) (q, m, s graphql.Fields) {
	rs := b.rs
	mutationName := ns + "_mutation_frontend"
	if rs.backendOnly {
		mutationName = ns + "_mutation_backend"
	}
	if rs.namespaces == nil {
		rs.namespaces = map[string]*namespace{}
	}
	cust := src.Customization
	rs.namespaces[ns] = &namespace{source: src.SourceName, roots: rs.roots, mroots: rs.mroots,
		queryType: cust.TypeName(ns + "_query"), mutationType: cust.TypeName(mutationName),
		subscriptionType: cust.TypeName(ns + "_subscription")}
	q, m, s = graphql.Fields{}, graphql.Fields{}, graphql.Fields{}
	if len(query) > 0 {
		q[ns] = &graphql.Field{Type: graphql.NewNonNull(graphql.NewObject(graphql.ObjectConfig{Name: ns + "_query", Fields: query}))}
	}
	if len(mutation) > 0 {
		m[ns] = &graphql.Field{Type: graphql.NewNonNull(graphql.NewObject(graphql.ObjectConfig{Name: mutationName, Fields: mutation}))}
	}
	live := graphql.Fields{}
	for name, f := range query {
		if rs.subscribable(name) {
			live[name] = f
		}
	}
	if len(live) > 0 {
		s[ns] = &graphql.Field{Type: graphql.NewNonNull(graphql.NewObject(graphql.ObjectConfig{Name: ns + "_subscription", Fields: live}))}
	}
	return q, m, s
}

// sourceQueryFields adds the query_root fields of a source's tables and
// functions.
func (b *schemaBuilder) sourceQueryFields(src *metadata.Snapshot, query graphql.Fields) {
	rs := b.rs
	for _, t := range src.Tables {
		a := rs.access[t]
		if a == nil {
			continue
		}
		if a.RootSel {
			query[t.RootFields.Select] = b.listField(t, "fetch data from the table: \""+t.Name.Name+"\"")
			rs.roots[t.RootFields.Select] = rootField{Kind: rootSelect, Table: t}
		}
		if a.RootAgg && a.AllowAgg {
			query[t.RootFields.SelectAggregate] = b.aggregateField(t, "fetch aggregated fields from the table: \""+t.Name.Name+"\"")
			rs.roots[t.RootFields.SelectAggregate] = rootField{Kind: rootAggregate, Table: t}
		}
		if f := b.byPkField(t); f != nil && a.RootByPk {
			query[t.RootFields.SelectByPk] = f
			rs.roots[t.RootFields.SelectByPk] = rootField{Kind: rootByPk, Table: t}
		}
	}
	for _, f := range src.Functions {
		a := rs.access[f.ReturnsTable]
		if a == nil || f.ExposedAsMutation {
			continue
		}
		query[f.RootFields.Function] = b.functionField(f, false)
		rs.roots[f.RootFields.Function] = rootField{Kind: rootFunction, Table: f.ReturnsTable, Function: f}
		if a.AllowAgg {
			query[f.RootFields.Aggregate] = b.functionField(f, true)
			rs.roots[f.RootFields.Aggregate] = rootField{Kind: rootFunctionAggregate, Table: f.ReturnsTable, Function: f}
		}
	}
	applyRootFieldComments(src.Tables, query)
}

// addSubscriptions makes the source's read root fields live queries, and
// adds its tables' streaming fields.
func (b *schemaBuilder) addSubscriptions(src *metadata.Snapshot, query, subscription graphql.Fields) {
	rs := b.rs
	for name, f := range query {
		if rs.subscribable(name) {
			subscription[name] = f
		}
	}
	for _, t := range src.Tables {
		if a := rs.access[t]; a != nil && a.RootSel && rs.subscribable(t.RootFields.Select) {
			if f := b.streamField(t); f != nil {
				subscription[t.RootFields.SelectStream] = f
				rs.streams[t.RootFields.SelectStream] = t
			}
		}
	}
}

// apart is a builder for a source whose types are renamed: it shares the
// role's lookups but none of the types.
func (b *schemaBuilder) apart() *schemaBuilder {
	fresh := newSchemaBuilder(b.rs.Snapshot, b.rs.Role, b.rs.backendOnly)
	fresh.rs = b.rs
	return fresh
}

// isTableTypeName reports whether a table of any source has name as its
// row type's name.
func (b *schemaBuilder) isTableTypeName(name string) bool {
	for _, src := range b.rs.Snapshot.AllSources() {
		for _, t := range src.Tables {
			if t.GQLName == name {
				return true
			}
		}
	}
	return false
}

// buildDefaultSourceOnly builds the role's schema without the added
// sources, when with them it cannot be built (two sources generating one
// type name that metadata's conflict check does not foresee, such as a
// table named like another source's derived type): the default source is
// still served rather than nothing, and the cause logged.
func (e *Engine) buildDefaultSourceOnly(snap *metadata.Snapshot, role string, backendOnly bool,
	build func(*metadata.Snapshot, string, bool) (*roleSchema, error), cause error) (*roleSchema, error) {
	only := *snap
	only.Sources = nil
	rs, err := build(&only, role, backendOnly)
	if err != nil {
		return nil, err
	}
	rs.Snapshot = snap // the caches belong to the published snapshot
	if e.log != nil {
		e.log.Error("sources other than default left out of the schema", "role", role, "error", cause)
	}
	return rs, nil
}
