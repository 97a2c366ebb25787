package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// renameTypes applies a source's type name customization to every named
// type its root fields reach. The types were built apart for this source
// (schemaBuilder.apart), so renaming them changes no other source's;
// GraphQL's own scalars are shared and keep their names. Object fields are
// built on first use: walking them here builds them all, before the schema
// is, and while the names are still the builder's.
//
// Under graphql-default the walk also camelCases the fields and arguments
// and upper-cases the enum values of those types, and the arguments of the
// root fields, recording each new name's original in rs.naming: requests
// are translated back (naming.go), so that planning and SQL keep Hasura's
// default names.
func renameTypes(cust *metadata.SourceCustomization, rs *roleSchema, query, mutation, subscription graphql.Fields) {
	r := &renamer{cust: cust, seen: map[graphql.Type]bool{}, renamedArgs: map[*graphql.Field]map[string]string{}}
	if cust.GraphQLDefault() {
		if rs.naming == nil {
			rs.naming = newNamingMaps()
		}
		r.naming = rs.naming
	}
	for root, fields := range map[string]graphql.Fields{"query_root": query, "mutation_root": mutation, "subscription_root": subscription} {
		for name, f := range fields {
			r.rootArgs(root, name, f)
			r.typ(f.Type)
			for _, a := range f.Args {
				r.typ(a.Type)
			}
		}
	}
}

type renamer struct {
	cust        *metadata.SourceCustomization
	seen        map[graphql.Type]bool
	naming      *namingMaps // nil unless graphql-default
	renamedArgs map[*graphql.Field]map[string]string
}

// rootArgs camelCases a root field's arguments under graphql-default. A
// field in two roots (a query that is also a live query) is one config,
// renamed once and recorded for both.
func (r *renamer) rootArgs(root, name string, f *graphql.Field) {
	if r.naming == nil || len(f.Args) == 0 {
		return
	}
	if orig, done := r.renamedArgs[f]; done {
		r.naming.args[root+"."+name] = orig
		return
	}
	args := graphql.FieldConfigArgument{}
	orig := map[string]string{}
	for an, ac := range f.Args {
		nn := metadata.CamelName(an)
		args[nn] = ac
		orig[nn] = an
	}
	f.Args = args
	r.renamedArgs[f] = orig
	r.naming.args[root+"."+name] = orig
}

func (r *renamer) typ(t graphql.Type) {
	switch tt := t.(type) {
	case *graphql.NonNull:
		r.typ(tt.OfType)
		return
	case *graphql.List:
		r.typ(tt.OfType)
		return
	}
	if t == nil || r.seen[t] {
		return
	}
	r.seen[t] = true
	switch tt := t.(type) {
	case *graphql.Object:
		fields := tt.Fields() // builds the fields under the old names first
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
		for _, f := range fields {
			r.typ(f.Type)
			for _, a := range f.Args {
				r.typ(a.Type)
			}
		}
		if r.naming != nil {
			r.naming.objectFields(tt.PrivateName, fields)
		}
	case *graphql.InputObject:
		fields := tt.Fields()
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
		for _, f := range fields {
			r.typ(f.Type)
		}
		if r.naming != nil {
			r.naming.inputFields(tt.PrivateName, fields)
		}
	case *graphql.Enum:
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
		if r.naming != nil {
			r.naming.enumValues(tt.PrivateName, tt.Values())
		}
	case *graphql.Scalar:
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
	}
}
