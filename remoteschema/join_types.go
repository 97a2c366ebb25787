package remoteschema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/remotejoin"
	gql "github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Relationships of remote types to tables (create_remote_schema_remote_
// relationship): the field on the remote's object type, the join fields
// asked from the remote under aliases of Graft's own (never shown), and
// the rows read with one statement per relationship and level once the
// remote's answer is rebuilt.

// joinKeyAlias is the response key a join field is asked under.
func joinKeyAlias(field string) string { return "graft_join_key_" + field }

// pendingJoin is a relationship met while rebuilding an answer.
type pendingJoin struct {
	path   []string
	rel    *metadata.RemoteSchemaRelationship
	fields []*ast.Field
}

// CheckJoinFields checks that typeName is an object type of the remote
// with the fields a relationship joins on, and no field named newField.
func (r *Remote) CheckJoinFields(typeName string, fields []string, newField string) error {
	t := r.doc.typ(typeName)
	if t == nil || t.Kind != "OBJECT" {
		return fmt.Errorf("object type %q not found in remote schema %q", typeName, r.name)
	}
	for _, name := range fields {
		d := t.field(name)
		if d == nil {
			return fmt.Errorf("field %q not found in type %q of remote schema %q", name, typeName, r.name)
		}
		if k := r.doc.typ(d.Type.named()); k == nil || (k.Kind != "SCALAR" && k.Kind != "ENUM") || d.Type.Kind == "LIST" {
			return fmt.Errorf("field %q of type %q is not a scalar: it cannot be joined on", name, typeName)
		}
	}
	if t.field(newField) != nil {
		return fmt.Errorf("field %q already exists in type %q of remote schema %q", newField, typeName, r.name)
	}
	return nil
}

// relsOf are the relationships of the remote's type named typeName.
func relsOf(snap *metadata.Snapshot, remote, typeName string) []*metadata.RemoteSchemaRelationship {
	var out []*metadata.RemoteSchemaRelationship
	for _, rs := range snap.RemoteSchemas {
		if rs.Meta.Name != remote {
			continue
		}
		for _, rel := range rs.Relationships {
			if rel.TypeName == typeName {
				out = append(out, rel)
			}
		}
	}
	return out
}

// relFields adds def's relationships to its fields, for the roles that
// may read the target table.
func (rt *remoteTypes) relFields(def *typeDef, into gql.Fields) {
	for _, rel := range relsOf(rt.types.Snapshot(), rt.r.name, def.Name) {
		target := rel.ToSource.Target
		if target == nil {
			continue // another source's table: served once sources are
		}
		if rel.ToSource.Kind == metadata.ArrayRel {
			if f := rt.types.TableList(target, "An array relationship"); f != nil {
				into[rel.Name] = f
			}
		} else if o := rt.types.TableObject(target); o != nil {
			into[rel.Name] = &gql.Field{Type: o, Description: "An object relationship"}
		}
	}
}

func (f *forward) relNamed(typeName, field string) *metadata.RemoteSchemaRelationship {
	for _, rel := range relsOf(f.call.Snapshot(), f.sv.r.name, typeName) {
		if rel.Name == field {
			return rel
		}
	}
	return nil
}

// printJoinKeys asks for the fields the selected relationships of t join on.
func (f *forward) printJoinKeys(groups []*group, t *typeDef) int {
	n := 0
	done := map[string]bool{}
	for _, g := range groups {
		rel := f.relNamed(t.Name, g.name)
		if rel == nil {
			continue
		}
		for _, p := range rel.ToSource.Mapping {
			if !done[p.From] {
				done[p.From] = true
				f.text.WriteString(" " + joinKeyAlias(p.From) + ": " + p.From)
				n++
			}
		}
	}
	return n
}

// joinKey writes the relationship's join key object in the rebuilt answer
// and records the join at this place.
func (f *forward) joinKey(obj map[string]json.RawMessage, key string, rel *metadata.RemoteSchemaRelationship, fields []*ast.Field) []byte {
	out := []byte{'{'}
	for i, p := range rel.ToSource.Mapping {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, strconv.Quote(p.From)...)
		out = append(out, ':')
		v := bytes.TrimSpace(obj[joinKeyAlias(p.From)])
		if len(v) == 0 {
			v = []byte("null")
		}
		out = append(out, v...)
	}
	out = append(out, '}')
	path := append(append([]string{}, f.path...), key)
	id := strings.Join(path, "\x00")
	for _, j := range f.joins {
		if strings.Join(j.path, "\x00") == id {
			return out
		}
	}
	f.joins = append(f.joins, pendingJoin{path: path, rel: rel, fields: fields})
	return out
}

// stitchRoot is stitch for a root field's value: in a query, a failing
// join nulls its own field only and is reported to the call.
func (f *forward) stitchRoot(ctx context.Context, value []byte) ([]byte, error) {
	if len(f.joins) == 0 || !f.call.PartialJoins() {
		return f.stitch(ctx, value)
	}
	out, failed, err := remotejoin.ApplyPartial(ctx, value, f.pendingJoins())
	if err != nil {
		return nil, err
	}
	f.call.JoinsFailed(failed)
	return out, nil
}

// pendingJoins turns the joins recorded while rebuilding into Joins, and
// forgets them.
func (f *forward) pendingJoins() []remotejoin.Join {
	js := make([]remotejoin.Join, len(f.joins))
	for i, j := range f.joins {
		js[i] = remotejoin.Join{Path: j.path, Joiner: f.call.SourceJoiner(j.rel.Name, j.rel.ToSource, j.path, j.fields)}
	}
	f.joins = nil
	return js
}

// stitch runs the joins recorded while rebuilding value.
func (f *forward) stitch(ctx context.Context, value []byte) ([]byte, error) {
	if len(f.joins) == 0 {
		return value, nil
	}
	return remotejoin.Apply(ctx, value, f.pendingJoins())
}
