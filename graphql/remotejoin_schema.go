package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// Shared returns what a RootSource keeps for one role schema under key,
// made by mk on first use: the types it adds to root fields and to remote
// relationship fields must be the same instances.
func (t *SchemaTypes) Shared(key any, mk func() any) any {
	if t.b.shared == nil {
		t.b.shared = map[any]any{}
	}
	v, ok := t.b.shared[key]
	if !ok {
		v = mk()
		t.b.shared[key] = v
	}
	return v
}

// remoteRelFields adds t's remote relationships to its row type. As in
// Hasura, a role sees one when it may select every column the join reads,
// and its target: the remote field in its view of the remote schema, or
// the target table.
func (b *schemaBuilder) remoteRelFields(t *metadata.Table, fields graphql.Fields) {
	a := b.accessOf(t)
	for _, rr := range t.RemoteRels {
		if !joinColumnsReadable(a, rr) {
			continue
		}
		switch {
		case rr.ToRemote != nil:
			if b.rs.remoteJoins == nil {
				continue
			}
			if f := b.rs.remoteJoins.RemoteRelField(&SchemaTypes{b: b}, rr); f != nil {
				fields[rr.Name] = f
			}
		case rr.ToSource.Target != nil:
			if f := b.sourceJoinField(rr); f != nil {
				fields[rr.Name] = f
			}
		}
	}
}

// crossSourceTypes lets a to_source relationship reach its target's row
// type as the target source builds it: a source with type name
// customization is built apart and its types renamed, so the target's
// types must come from that source's builder, and its renaming must not
// reach into the relationship's types (nor another source's into it).
type crossSourceTypes struct {
	root     *schemaBuilder
	builders map[string]*schemaBuilder // sources built apart, by name
	// foreign holds, per builder, the types of its fields that lead to
	// another source's tables: its renaming skips them.
	foreign map[*schemaBuilder]map[graphql.Type]bool
}

// crossSource is the role's shared crossSourceTypes; b is the root
// builder when it is first asked.
func (b *schemaBuilder) crossSource() *crossSourceTypes {
	if b.joinTypes == nil {
		b.joinTypes = &crossSourceTypes{root: b, builders: map[string]*schemaBuilder{},
			foreign: map[*schemaBuilder]map[graphql.Type]bool{}}
	}
	return b.joinTypes
}

// sourceBuilder is the builder of src's types: the root one, or for a
// source with type name customization its own, made on first use (by the
// source itself or by a relationship to it, whichever comes first).
func (b *schemaBuilder) sourceBuilder(src *metadata.Snapshot) *schemaBuilder {
	x := b.crossSource()
	if src == nil || !src.Customization.HasTypeNames() {
		return x.root
	}
	if sb := x.builders[src.SourceName]; sb != nil {
		return sb
	}
	sb := x.root.apart()
	x.builders[src.SourceName] = sb
	// Made now: the renaming reads it before the relationships are built.
	x.foreign[sb] = map[graphql.Type]bool{}
	return sb
}

// sourceJoinField is a to_source relationship's field: an object or a
// list of the target's row type, from the target source's builder.
func (b *schemaBuilder) sourceJoinField(rr *metadata.RemoteRelationship) *graphql.Field {
	target := rr.ToSource.Target
	if b.rs.access[target] == nil {
		return nil
	}
	tb := b.sourceBuilder(b.rs.Snapshot.Source(target.Source))
	var f *graphql.Field
	if rr.ToSource.Kind == metadata.ArrayRel {
		f = tb.listField(target, "An array relationship")
	} else {
		f = &graphql.Field{Type: tb.object(target), Description: "An object relationship"}
	}
	if tb != b {
		x := b.crossSource()
		if x.foreign[b] == nil {
			x.foreign[b] = map[graphql.Type]bool{}
		}
		x.foreign[b][f.Type] = true
	}
	return f
}

func joinColumnsReadable(a *tableAccess, rr *metadata.RemoteRelationship) bool {
	if a == nil {
		return false
	}
	if rr.ToRemote != nil {
		for _, c := range rr.ToRemote.LHSFields {
			if !a.Columns[c] {
				return false
			}
		}
		return true
	}
	for _, p := range rr.ToSource.Mapping {
		if !a.Columns[p.From] {
			return false
		}
	}
	return true
}
