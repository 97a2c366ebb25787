package graphql

import (
	"fmt"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// roleSchema is one role's GraphQL schema plus the lookups the planner needs
// to map GraphQL names back to metadata.
type roleSchema struct {
	Role string
	// backendOnly: the request may use backend_only insert permissions.
	backendOnly bool
	Schema      graphql.Schema
	Snapshot    *metadata.Snapshot
	roots       map[string]rootField // query_root field name -> what it reads
	access      map[*metadata.Table]*tableAccess
	byType      map[string]*metadata.Table // table object type name -> table
	mroots      map[string]mutationField   // mutation_root field name -> what it writes
	streams     map[string]*metadata.Table // subscription_root <t>_stream fields
	inserts     map[*metadata.Table]*writeAccess
	updates     map[*metadata.Table]*writeAccess
	deletes     map[*metadata.Table]*writeAccess
	// relay: this is the Relay API schema (relay_schema.go): rows have a
	// global id, and array relationships a connection field too.
	relay bool
	// stringifyNumeric: numeric and float8 output is text (Engine.StringifyNumeric).
	stringifyNumeric bool
	// qsources and msources own the query_root and mutation_root fields
	// a RootSource serves (rootsource.go).
	qsources, msources map[string]RootSource
	// refusedSubs are sources' subscription_root fields, refused with
	// these messages when run (rootsource_forwarding.go).
	refusedSubs map[string]string
	// sourcesDropped says why this schema has no RootSource fields.
	sourcesDropped error
	// remoteJoins serves remote relationships to remote schemas.
	remoteJoins RemoteJoinSource
	// namespaces are the namespace root fields of customized sources, by
	// field name (schema_sources.go).
	namespaces map[string]*namespace
	// naming translates requests over graphql-default sources (naming.go);
	// nil when there are none.
	naming *namingMaps
}

type rootKind int

const (
	rootSelect rootKind = iota
	rootByPk
	rootAggregate
	rootFunction
	rootFunctionAggregate
)

type rootField struct {
	Kind     rootKind
	Table    *metadata.Table
	Function *metadata.Function
}

// schemaBuilder builds one role's schema; types are created once per name.
type schemaBuilder struct {
	rs             *roleSchema
	scalars        map[string]graphql.Type
	objects        map[*metadata.Table]*graphql.Object
	aggregates     map[*metadata.Table]*graphql.Object
	inputs         map[string]*graphql.InputObject
	enums          map[string]*graphql.Enum
	orderByEnum    *graphql.Enum
	cursorOrdering *graphql.Enum
	// objectsByName holds output objects that are not a table's row type.
	objectsByName map[string]*graphql.Object
	// node is the Relay schema's Node interface; nil in the GraphQL schema.
	node *graphql.Interface
	// extraTypes and refusedSubs are what RootSources add besides root
	// fields (rootsource_forwarding.go).
	extraTypes  []graphql.Type
	refusedSubs graphql.Fields
	// shared is what RootSources keep per schema (SchemaTypes.Shared).
	shared map[any]any
}

// buildRoleSchema builds the schema a role sees: only tables, columns and
// root fields it may read exist in it, from every source
// (schema_sources.go).
func buildRoleSchema(snap *metadata.Snapshot, role string, backendOnly bool, sources ...RootSource) (*roleSchema, error) {
	b := newSchemaBuilder(snap, role, backendOnly)
	rs := b.rs
	query, mutation, subscription := graphql.Fields{}, graphql.Fields{}, graphql.Fields{}
	sourceQuery, sourceMutation := b.sourceFields(sources)
	for _, src := range snap.AllSources() {
		b.addSource(src, query, mutation, subscription)
	}
	mergeFields(query, sourceQuery)
	if len(query) == 0 {
		query["no_queries_available"] = &graphql.Field{Type: graphql.NewNonNull(graphql.String)}
	}
	cfg := graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "query_root", Fields: query})}
	mergeFields(mutation, sourceMutation)
	if len(mutation) > 0 {
		cfg.Mutation = graphql.NewObject(graphql.ObjectConfig{Name: "mutation_root", Fields: mutation})
	}
	// Every read root field is also a live query, as in Hasura.
	for name, f := range sourceQuery {
		if rs.subscribable(name) {
			subscription[name] = f
		}
	}
	mergeFields(subscription, b.refusedSubs)
	if len(subscription) == 0 {
		subscription["no_subscriptions_available"] = &graphql.Field{Type: graphql.NewNonNull(graphql.String)}
	}
	cfg.Subscription = graphql.NewObject(graphql.ObjectConfig{Name: "subscription_root", Fields: subscription})
	cfg.Directives = append(append([]*graphql.Directive{}, graphql.SpecifiedDirectives...), multipleTopLevelFields)
	cfg.Types = b.extraTypes
	s, err := graphql.NewSchema(cfg)
	if err != nil && len(sources) > 0 {
		// A source's type took a name the tables' types use (a remote
		// schema's order_by, say): serve the tables rather than nothing.
		rs, err2 := buildRoleSchema(snap, role, backendOnly)
		if err2 == nil {
			rs.sourcesDropped = fmt.Errorf("build schema for role %q: %w", role, err)
		}
		return rs, err2
	}
	if err != nil {
		return nil, fmt.Errorf("build schema for role %q: %w", role, err)
	}
	rs.Schema = s
	warmEnums(&rs.Schema)
	return rs, nil
}

// newSchemaBuilder starts a role's schema: its read access to every table
// and the types every schema shares. The Relay schema starts the same way.
func newSchemaBuilder(snap *metadata.Snapshot, role string, backendOnly bool) *schemaBuilder {
	rs := &roleSchema{Role: role, backendOnly: backendOnly, Snapshot: snap, roots: map[string]rootField{},
		access: map[*metadata.Table]*tableAccess{}, byType: map[string]*metadata.Table{},
		mroots: map[string]mutationField{}, streams: map[string]*metadata.Table{}, inserts: map[*metadata.Table]*writeAccess{},
		updates: map[*metadata.Table]*writeAccess{}, deletes: map[*metadata.Table]*writeAccess{}}
	inherited := map[string][]string{}
	for _, ir := range snap.Metadata.InheritedRoleList() {
		inherited[ir.RoleName] = ir.RoleSet
	}
	for _, src := range snap.AllSources() {
		for _, t := range src.Tables {
			if a := roleAccess(t, role, inherited); a != nil {
				rs.access[t] = a
			}
		}
	}
	b := &schemaBuilder{rs: rs, scalars: map[string]graphql.Type{
		"Int": graphql.Int, "Float": graphql.Float, "String": graphql.String, "Boolean": graphql.Boolean,
	}, objects: map[*metadata.Table]*graphql.Object{}, aggregates: map[*metadata.Table]*graphql.Object{},
		inputs: map[string]*graphql.InputObject{}, enums: map[string]*graphql.Enum{}, objectsByName: map[string]*graphql.Object{}}
	b.orderByEnum = graphql.NewEnum(graphql.EnumConfig{Name: "order_by", Description: "column ordering options",
		Values: graphql.EnumValueConfigMap{
			"asc":              {Value: "asc", Description: "in ascending order, nulls last"},
			"asc_nulls_first":  {Value: "asc_nulls_first", Description: "in ascending order, nulls first"},
			"asc_nulls_last":   {Value: "asc_nulls_last", Description: "in ascending order, nulls last"},
			"desc":             {Value: "desc", Description: "in descending order, nulls first"},
			"desc_nulls_first": {Value: "desc_nulls_first", Description: "in descending order, nulls first"},
			"desc_nulls_last":  {Value: "desc_nulls_last", Description: "in descending order, nulls last"},
		}})
	return b
}

// warmEnums fills graphql-go's lazily built enum lookups now: the schema is
// shared by concurrent requests, and that lazy fill is not synchronized.
func warmEnums(s *graphql.Schema) {
	for _, t := range s.TypeMap() {
		if e, ok := t.(*graphql.Enum); ok {
			e.ParseValue("")
			e.ParseLiteral(&ast.EnumValue{Kind: "EnumValue", Value: ""})
			e.Serialize(nil)
		}
	}
}

func (b *schemaBuilder) scalar(typname string) graphql.Type {
	name := scalarName(typname)
	if t, ok := b.scalars[name]; ok {
		return t
	}
	// A table's row type used as a function argument would clash with the
	// table's object type.
	if b.isTableTypeName(name) {
		name += "_scalar"
		if t, ok := b.scalars[name]; ok {
			return t
		}
	}
	s := newCustomScalar(name)
	b.scalars[name] = s
	return s
}

// columnType is a column's GraphQL output type (an enum for enum-table references).
func (b *schemaBuilder) columnType(c *metadata.Column) graphql.Type {
	if c.EnumRef != nil {
		return b.tableEnum(c.EnumRef)
	}
	return b.scalar(c.Info.TypeName)
}

func (b *schemaBuilder) tableEnum(t *metadata.Table) *graphql.Enum {
	name := t.GQLName + "_enum"
	if e, ok := b.enums[name]; ok {
		return e
	}
	vals := graphql.EnumValueConfigMap{}
	for _, v := range t.EnumValues {
		d := ""
		if v.Comment != nil {
			d = *v.Comment
		}
		vals[v.Value] = &graphql.EnumValueConfig{Value: v.Value, Description: d}
	}
	e := graphql.NewEnum(graphql.EnumConfig{Name: name, Values: vals})
	b.enums[name] = e
	return e
}

func nonNullIf(t graphql.Type, nonNull bool) graphql.Type {
	if nonNull {
		return graphql.NewNonNull(t)
	}
	return t
}

func (b *schemaBuilder) selectArgs(t *metadata.Table) graphql.FieldConfigArgument {
	return graphql.FieldConfigArgument{
		"distinct_on": {Type: graphql.NewList(graphql.NewNonNull(b.selectColumnEnum(t))), Description: "distinct select on columns"},
		"limit":       {Type: graphql.Int, Description: "limit the number of rows returned"},
		"offset":      {Type: graphql.Int, Description: "skip the first n rows. Use only with order_by"},
		"order_by":    {Type: graphql.NewList(graphql.NewNonNull(b.orderBy(t))), Description: "sort the rows by one or more columns"},
		"where":       {Type: b.boolExp(t), Description: "filter the rows returned"},
	}
}

func (b *schemaBuilder) listField(t *metadata.Table, desc string) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.object(t)))),
		Args: b.selectArgs(t), Description: desc}
}

func (b *schemaBuilder) aggregateField(t *metadata.Table, desc string) *graphql.Field {
	return &graphql.Field{Type: graphql.NewNonNull(b.aggregate(t)), Args: b.selectArgs(t), Description: desc}
}

func (b *schemaBuilder) byPkField(t *metadata.Table) *graphql.Field {
	if len(t.PrimaryKey) == 0 {
		return nil
	}
	a := b.accessOf(t)
	args := graphql.FieldConfigArgument{}
	for _, c := range t.PrimaryKey {
		if !a.Columns[c.Name] {
			return nil // Hasura hides _by_pk when a key column is not readable
		}
		args[c.GQLName] = &graphql.ArgumentConfig{Type: graphql.NewNonNull(b.columnType(c))}
	}
	return &graphql.Field{Type: b.object(t), Args: args,
		Description: "fetch data from the table: \"" + t.Name.Name + "\" using primary key columns"}
}

func (b *schemaBuilder) functionField(f *metadata.Function, aggregate bool) *graphql.Field {
	args := b.selectArgs(f.ReturnsTable)
	if in := b.functionArgs(f.GQLName+"_args", f.Info, f.SessionArgIndex, -1); in != nil {
		args["args"] = &graphql.ArgumentConfig{Type: in.typ, Description: "input parameters for function \"" + f.GQLName + "\""}
		if in.required {
			args["args"].Type = graphql.NewNonNull(in.typ)
		}
	}
	if aggregate {
		return &graphql.Field{Type: graphql.NewNonNull(b.aggregate(f.ReturnsTable)), Args: args,
			Description: "execute function \"" + f.GQLName + "\" and query aggregates on result of table type \"" + f.ReturnsTable.GQLName + "\""}
	}
	if !f.Info.ReturnsSet {
		// A function returning one row is a nullable object, as in Hasura.
		return &graphql.Field{Type: b.object(f.ReturnsTable), Args: args, Description: functionDescription(f)}
	}
	return &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.object(f.ReturnsTable)))), Args: args,
		Description: functionDescription(f)}
}

type functionInput struct {
	typ      *graphql.InputObject
	required bool
}

// functionArgs builds the `args` input of a function, skipping the row and
// session arguments that Graft fills in itself. nil when nothing is left.
func (b *schemaBuilder) functionArgs(name string, fn *metadata.CatalogFunction, sessionIdx, rowIdx int) *functionInput {
	fields := graphql.InputObjectConfigFieldMap{}
	required := false
	firstDefault := len(fn.ArgTypes) - fn.NumDefaults
	for i, at := range fn.ArgTypes {
		if i == sessionIdx || i == rowIdx {
			continue
		}
		argName := fmt.Sprintf("arg_%d", i+1)
		if i < len(fn.ArgNames) && fn.ArgNames[i] != "" {
			argName = fn.ArgNames[i]
		}
		// Arguments stay nullable, as in Hasura: SQL functions take NULL.
		if i < firstDefault {
			required = true
		}
		fields[argName] = &graphql.InputObjectFieldConfig{Type: b.scalar(at.Name)}
	}
	if len(fields) == 0 {
		return nil
	}
	if in, ok := b.inputs[name]; ok {
		return &functionInput{typ: in, required: required}
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields})
	b.inputs[name] = in
	return &functionInput{typ: in, required: required}
}

// hasUserArgs reports whether a function takes arguments besides the row and session.
func hasUserArgs(fn *metadata.CatalogFunction, sessionIdx, rowIdx int) bool {
	for i := range fn.ArgTypes {
		if i != sessionIdx && i != rowIdx {
			return true
		}
	}
	return false
}

// accessOf is the role's read access to a table, empty when it has none:
// update and delete filters still need the table's bool_exp type.
func (b *schemaBuilder) accessOf(t *metadata.Table) *tableAccess {
	if a := b.rs.access[t]; a != nil {
		return a
	}
	return &tableAccess{Columns: map[string]bool{}, Computed: map[string]bool{}}
}

// multipleTopLevelFields is Hasura's @_multiple_top_level_fields, which
// clients put on a subscription selecting several root fields.
var multipleTopLevelFields = graphql.NewDirective(graphql.DirectiveConfig{
	Name:      "_multiple_top_level_fields",
	Locations: []string{graphql.DirectiveLocationSubscription},
})

// subscribable applies a select permission's subscription_root_fields.
func (rs *roleSchema) subscribable(root string) bool {
	if rs.qsources[root] != nil {
		return rs.sourceLive(root) // most of a source's query fields are not live queries
	}
	rf, ok := rs.roots[root]
	if !ok {
		return true
	}
	a := rs.access[rf.Table]
	if a == nil || a.SubRoots == nil {
		return true
	}
	switch rf.Kind {
	case rootSelect, rootFunction:
		return a.SubRoots["select"]
	case rootByPk:
		return a.SubRoots["select_by_pk"]
	default:
		return a.SubRoots["select_aggregate"]
	}
}
