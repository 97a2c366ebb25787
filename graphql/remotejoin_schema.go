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
			target := rr.ToSource.Target
			if b.rs.access[target] == nil {
				continue
			}
			if rr.ToSource.Kind == metadata.ArrayRel {
				fields[rr.Name] = b.listField(target, "An array relationship")
			} else {
				fields[rr.Name] = &graphql.Field{Type: b.object(target), Description: "An object relationship"}
			}
		}
	}
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
