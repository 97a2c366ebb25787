package graphql

import (
	"fmt"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// The Relay API (/v1beta1/relay) is a second schema per role, as in Hasura:
// its query root has a <table>_connection field for every readable table
// with a primary key (and <function>_connection for functions returning
// one) plus node(id:), which resolves a global id. Row types implement the
// Node interface through an id field holding that global id, and array
// relationships gain a <rel>_connection field. Mutations are those of the
// GraphQL schema, over the Relay row types. The SQL is in relay_sql.go.

// Root field kinds only the Relay schema has; they follow schema.go's.
const (
	rootConnection rootKind = 100 + iota
	rootFunctionConnection
	rootNode
)

// buildRelaySchema builds the Relay schema a role sees.
func buildRelaySchema(snap *metadata.Snapshot, role string, backendOnly bool) (*roleSchema, error) {
	b := newSchemaBuilder(snap, role, backendOnly)
	rs := b.rs
	rs.relay = true
	b.node = graphql.NewInterface(graphql.InterfaceConfig{Name: "Node", Description: "An object with globally unique ID",
		Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID), Description: "A globally unique identifier"}},
		// Rows are never resolved by graphql-go: the SQL builds the response.
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return nil }})
	query := graphql.Fields{}
	var nodeTypes []graphql.Type
	for _, t := range snap.Tables {
		a := rs.access[t]
		if a == nil || len(t.PrimaryKey) == 0 {
			continue
		}
		nodeTypes = append(nodeTypes, b.object(t))
		if a.RootSel {
			name := t.GQLName + "_connection"
			query[name] = b.connectionField(t, "fetch data from the table: \""+t.Name.Name+"\"")
			rs.roots[name] = rootField{Kind: rootConnection, Table: t}
		}
	}
	for _, f := range snap.Functions {
		a := rs.access[f.ReturnsTable]
		if a == nil || f.ExposedAsMutation || len(f.ReturnsTable.PrimaryKey) == 0 {
			continue
		}
		field := b.connectionField(f.ReturnsTable, "execute function \""+f.GQLName+"\" which returns \""+f.ReturnsTable.GQLName+"\"")
		if in := b.functionArgs(f.GQLName+"_args", f.Info, f.SessionArgIndex, -1); in != nil {
			var typ graphql.Input = in.typ
			if in.required {
				typ = graphql.NewNonNull(in.typ)
			}
			field.Args["args"] = &graphql.ArgumentConfig{Type: typ, Description: "input parameters for function \"" + f.GQLName + "\""}
		}
		name := f.GQLName + "_connection"
		query[name] = field
		rs.roots[name] = rootField{Kind: rootFunctionConnection, Table: f.ReturnsTable, Function: f}
	}
	query["node"] = &graphql.Field{Type: b.node, Description: "fetch a row by its global id",
		Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID), Description: "A globally unique id"}}}
	rs.roots["node"] = rootField{Kind: rootNode}
	cfg := graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "query_root", Fields: query}), Types: nodeTypes}
	mutation := graphql.Fields{}
	for _, t := range snap.Tables {
		b.addMutations(t, mutation)
	}
	if len(mutation) > 0 {
		cfg.Mutation = graphql.NewObject(graphql.ObjectConfig{Name: "mutation_root", Fields: mutation})
	}
	// Its read root fields are live queries too.
	subscription := graphql.Fields{}
	for name, f := range query {
		if rf := rs.roots[name]; rf.Table == nil || relaySubscribable(rs.access[rf.Table]) {
			subscription[name] = f
		}
	}
	cfg.Subscription = graphql.NewObject(graphql.ObjectConfig{Name: "subscription_root", Fields: subscription})
	cfg.Directives = append(append([]*graphql.Directive{}, graphql.SpecifiedDirectives...), multipleTopLevelFields)
	s, err := graphql.NewSchema(cfg)
	if err != nil {
		return nil, fmt.Errorf("build relay schema for role %q: %w", role, err)
	}
	rs.Schema = s
	warmEnums(&rs.Schema)
	return rs, nil
}

// nodeInterfaces is what a table's row type implements: Node in the Relay
// schema when the table has a primary key to build the global id from.
func (b *schemaBuilder) nodeInterfaces(t *metadata.Table) []*graphql.Interface {
	if b.node == nil || len(t.PrimaryKey) == 0 {
		return nil
	}
	return []*graphql.Interface{b.node}
}

// relayFields adds the Relay fields to a row type: id (the global id) and
// a connection per array relationship to a readable table with a primary
// key. A column named id is left out, as in Hasura, even where the table
// has no primary key and so no global id.
func (b *schemaBuilder) relayFields(t *metadata.Table, fields graphql.Fields) {
	if t.ColumnByGQL("id") != nil {
		delete(fields, "id")
	}
	if len(t.PrimaryKey) > 0 {
		fields["id"] = &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Description: "A globally unique identifier"}
	}
	for _, r := range t.ArrayRels {
		if b.rs.access[r.Target] == nil || len(r.Target.PrimaryKey) == 0 {
			continue
		}
		fields[r.Name+"_connection"] = b.connectionField(r.Target, commentOr(r.Comment, "An array relationship connection"))
	}
}

// connectionField is <t>_connection: the list arguments with Relay's
// paging (first/last, after/before cursors) in place of limit and offset.
func (b *schemaBuilder) connectionField(t *metadata.Table, desc string) *graphql.Field {
	args := b.selectArgs(t)
	delete(args, "limit")
	delete(args, "offset")
	args["first"] = &graphql.ArgumentConfig{Type: graphql.Int}
	args["last"] = &graphql.ArgumentConfig{Type: graphql.Int}
	args["after"] = &graphql.ArgumentConfig{Type: graphql.String}
	args["before"] = &graphql.ArgumentConfig{Type: graphql.String}
	return &graphql.Field{Type: graphql.NewNonNull(b.connection(t)), Args: args, Description: desc}
}

// connection builds <t>Connection { edges: [<t>Edge!]!, pageInfo: PageInfo! }.
func (b *schemaBuilder) connection(t *metadata.Table) *graphql.Object {
	name := t.GQLName + "Connection"
	if o, ok := b.objectsByName[name]; ok {
		return o
	}
	edge := graphql.NewObject(graphql.ObjectConfig{Name: t.GQLName + "Edge", Description: "An edge in a connection",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"cursor": {Type: graphql.NewNonNull(graphql.String)},
				"node":   {Type: graphql.NewNonNull(b.object(t))},
			}
		})})
	o := graphql.NewObject(graphql.ObjectConfig{Name: name, Description: "A Relay connection object on \"" + t.Name.Name + "\"",
		Fields: graphql.Fields{
			"edges":    {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(edge)))},
			"pageInfo": {Type: graphql.NewNonNull(b.pageInfo())},
		}})
	b.objectsByName[name] = o
	return o
}

func (b *schemaBuilder) pageInfo() *graphql.Object {
	if o, ok := b.objectsByName["PageInfo"]; ok {
		return o
	}
	o := graphql.NewObject(graphql.ObjectConfig{Name: "PageInfo", Fields: graphql.Fields{
		"endCursor":       {Type: graphql.NewNonNull(graphql.String)},
		"hasNextPage":     {Type: graphql.NewNonNull(graphql.Boolean)},
		"hasPreviousPage": {Type: graphql.NewNonNull(graphql.Boolean)},
		"startCursor":     {Type: graphql.NewNonNull(graphql.String)},
	}})
	b.objectsByName["PageInfo"] = o
	return o
}

// relaySubscribable applies a select permission's subscription_root_fields
// to a connection, which is a select.
func relaySubscribable(a *tableAccess) bool {
	return a == nil || a.SubRoots == nil || a.SubRoots["select"]
}
