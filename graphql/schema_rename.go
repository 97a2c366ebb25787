package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// renameTypes applies a source's type name prefix and suffix to every named
// type its root fields reach. The types were built apart for this source
// (schemaBuilder.apart), so renaming them changes no other source's;
// GraphQL's own scalars are shared and keep their names. Object fields are
// built on first use: walking them here builds them all, before the schema
// is, and while the names are still the builder's.
func renameTypes(cust *metadata.SourceCustomization, roots ...graphql.Fields) {
	renameTypesSkipping(cust, nil, roots...)
}

// renameTypesSkipping is renameTypes leaving out the fields whose type is
// in skip: relationships to another source's tables, whose types are
// that source's.
func renameTypesSkipping(cust *metadata.SourceCustomization, skip map[graphql.Type]bool, roots ...graphql.Fields) {
	r := &renamer{cust: cust, seen: map[graphql.Type]bool{}, skip: skip}
	for _, fields := range roots {
		for _, f := range fields {
			r.field(f.Type, f.Args)
		}
	}
}

type renamer struct {
	cust *metadata.SourceCustomization
	seen map[graphql.Type]bool
	skip map[graphql.Type]bool
}

func (r *renamer) field(t graphql.Output, args graphql.FieldConfigArgument) {
	r.typ(t)
	for _, a := range args {
		r.typ(a.Type)
	}
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
			if r.skip[f.Type] {
				continue
			}
			r.typ(f.Type)
			for _, a := range f.Args {
				r.typ(a.Type)
			}
		}
	case *graphql.InputObject:
		fields := tt.Fields()
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
		for _, f := range fields {
			r.typ(f.Type)
		}
	case *graphql.Enum:
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
	case *graphql.Scalar:
		tt.PrivateName = r.cust.TypeName(tt.PrivateName)
	}
}
