package remoteschema

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	engine "github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	gql "github.com/graphql-go/graphql"
)

// Remote relationships from tables to a remote schema: the field on the
// table's row type (RemoteRelField), its check when it is defined
// (CheckRemoteJoin), and the join (JoinRemote): one request per
// relationship and level, one aliased copy of remote_field per distinct
// set of join values, as Hasura batches them.

type sharedKey struct{}

// sharedTypes is the role schema's one type registry for remote types:
// root fields and relationship fields must share the instances.
func sharedTypes(types *engine.SchemaTypes) *typeBuilder {
	return types.Shared(sharedKey{}, func() any {
		return &typeBuilder{types: types, reg: map[string]gql.Type{}}
	}).(*typeBuilder)
}

// servedNamed is the role's view of the remote schema named name, nil
// when the role does not see it.
func (s *Source) servedNamed(snap *metadata.Snapshot, role, name string) *served {
	for _, sv := range s.remotesFor(snap, role) {
		if sv.r.name == name {
			return &sv
		}
	}
	return nil
}

// pathDefs are the field definitions along remote_field in doc, nil when
// a step is not there (or not reachable in a role's view).
func pathDefs(doc *schemaDoc, path []metadata.RemoteFieldStep) []*fieldDef {
	t := doc.typ(doc.queryRoot)
	defs := make([]*fieldDef, 0, len(path))
	for i, step := range path {
		if t == nil {
			return nil
		}
		d := t.field(step.Name)
		if d == nil {
			return nil
		}
		defs = append(defs, d)
		if i < len(path)-1 {
			if t = doc.typ(d.Type.named()); t != nil && t.Kind != "OBJECT" {
				return nil
			}
		}
	}
	return defs
}

// CheckRemoteJoin checks remote_field against the remote's schema: each
// step is a field of the previous one's object type (the query root's
// first) and takes the arguments it is given.
func (r *Remote) CheckRemoteJoin(path []metadata.RemoteFieldStep, _ map[string]*metadata.CatalogColumn) error {
	t := r.doc.typ(r.doc.queryRoot)
	for i, step := range path {
		d := t.field(step.Name)
		if d == nil {
			return fmt.Errorf("field with name %q not found in type %q of remote schema %q", step.Name, t.Name, r.name)
		}
		for name := range step.Arguments {
			if d.arg(name) == nil {
				return fmt.Errorf("argument with name %q not found for field %q of remote schema %q", name, step.Name, r.name)
			}
		}
		if i < len(path)-1 {
			if t = r.doc.typ(d.Type.named()); t == nil || t.Kind != "OBJECT" {
				return fmt.Errorf("field %q of remote schema %q is not of an object type: remote_field cannot go below it", step.Name, r.name)
			}
		}
	}
	return nil
}

// RemoteRelField is the relationship's field: the remote field's type (in
// the client's names), nullable as a row without a match gets null, with
// the remote field's arguments the join does not fill.
func (s *Source) RemoteRelField(types *engine.SchemaTypes, rel *metadata.RemoteRelationship) *gql.Field {
	sv := s.servedNamed(types.Snapshot(), types.Role(), rel.ToRemote.RemoteSchema)
	if sv == nil {
		return nil
	}
	defs := pathDefs(sv.doc, rel.ToRemote.Path)
	if defs == nil {
		return nil
	}
	leaf := defs[len(defs)-1]
	given := rel.ToRemote.Path[len(defs)-1].Arguments
	rt := &remoteTypes{typeBuilder: sharedTypes(types), r: sv.r, doc: sv.doc}
	args := gql.FieldConfigArgument{}
	for i := range leaf.Args {
		a := &leaf.Args[i]
		if _, joined := given[a.Name]; joined || sv.doc.hidden(a) {
			continue
		}
		args[a.Name] = &gql.ArgumentConfig{Type: rt.input(optionalWithDefault(a)), Description: str(a.Description),
			DefaultValue: defaultValue(a.DefaultValue)}
	}
	typ := rt.output(leaf.Type)
	if nn, ok := typ.(*gql.NonNull); ok {
		typ = nn.OfType
	}
	return &gql.Field{Type: typ, Args: args, Description: "Remote relationship field"}
}

// JoinRemote fetches the relationship for every row in one request.
func (s *Source) JoinRemote(ctx context.Context, call *engine.RootCall, rel *metadata.RemoteRelationship, rows []map[string]any) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(rows))
	for i := range out {
		out[i] = json.RawMessage("null")
	}
	sv := s.servedNamed(call.Snapshot(), call.Session.Role, rel.ToRemote.RemoteSchema)
	var defs []*fieldDef
	if sv != nil {
		defs = pathDefs(sv.doc, rel.ToRemote.Path)
	}
	if defs == nil {
		return nil, joinError(sourceError("remote relationship "+rel.Name+" is no longer served", "unexpected", nil), call.Path())
	}
	// One alias per distinct set of argument values.
	var batches [][]map[string]any
	index := map[string]int{}
	rowBatch := make([]int, len(rows))
	for i, row := range rows {
		rowBatch[i] = -1
		if row == nil {
			continue
		}
		args := substitutePath(rel.ToRemote.Path, row)
		key, _ := json.Marshal(args)
		b, ok := index[string(key)]
		if !ok {
			b = len(batches)
			index[string(key)] = b
			batches = append(batches, args)
		}
		rowBatch[i] = b
	}
	if len(batches) == 0 {
		return out, nil
	}
	raw := call.Raw()
	f := &forward{s: s, sv: *sv, call: call, raw: raw, root: sv.doc.queryRoot}
	user := call.Arguments(raw.Fields[0])
	f.text.WriteString("query {")
	for b, args := range batches {
		f.text.WriteString(" " + joinAlias(b) + ": ")
		f.printJoinPath(defs, args, user, raw)
	}
	f.text.WriteString(" }")
	data, err := f.post(ctx, "")
	if err != nil {
		return nil, joinError(err, call.Path())
	}
	leaf := defs[len(defs)-1]
	values := make([]json.RawMessage, len(batches))
	for b := range batches {
		v := data[joinAlias(b)]
		for _, step := range rel.ToRemote.Path[1:] {
			var obj map[string]json.RawMessage
			if json.Unmarshal(v, &obj) != nil {
				v = nil
				break
			}
			v = obj[step.Name]
		}
		values[b] = f.rebuild(v, leaf.Type, raw.Fields)
	}
	if len(f.joins) > 0 { // the remote's types have relationships to tables
		list, _ := json.Marshal(values)
		stitched, err := f.stitch(ctx, list)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(stitched, &values); err != nil {
			return nil, err
		}
	}
	for i, b := range rowBatch {
		if b >= 0 {
			out[i] = values[b]
		}
	}
	return out, nil
}

func joinAlias(b int) string { return "graft_join_" + strconv.Itoa(b) }

// printJoinPath writes remote_field's path with one row set's arguments;
// the last field also takes the client's own arguments and selection.
func (f *forward) printJoinPath(defs []*fieldDef, args []map[string]any, user map[string]any, raw engine.RawSelection) {
	for i, d := range defs {
		f.text.WriteString(d.Name)
		if i < len(defs)-1 {
			f.printArgValues(d, args[i])
			f.text.WriteString(" { ")
			continue
		}
		merged := make(map[string]any, len(user)+len(args[i]))
		for k, v := range user {
			merged[k] = v
		}
		for k, v := range args[i] {
			merged[k] = v
		}
		f.printArgValues(d, merged)
		f.printSelection(d, raw.Fields)
	}
	for range defs[1:] {
		f.text.WriteString(" }")
	}
}

// substitutePath is each step's arguments with "$column" replaced by the
// row's value.
func substitutePath(path []metadata.RemoteFieldStep, row map[string]any) []map[string]any {
	out := make([]map[string]any, len(path))
	for i, step := range path {
		out[i] = substitute(step.Arguments, row).(map[string]any)
	}
	return out
}

func substitute(v any, row map[string]any) any {
	switch v := v.(type) {
	case string:
		if len(v) > 1 && v[0] == '$' {
			if x, ok := row[v[1:]]; ok {
				return x
			}
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = substitute(x, row)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = substitute(x, row)
		}
		return out
	}
	return v
}

// joinError reports a join's failure at the relationship field's path:
// the remote's first error message, or why the call failed.
func joinError(err error, path string) error {
	ext := map[string]any{"path": path, "code": "unexpected"}
	if se, ok := err.(*engine.SourceError); ok && len(se.Extensions) > 0 {
		_ = json.Unmarshal(se.Extensions, &ext)
		ext["path"] = path
	}
	b, _ := json.Marshal(ext)
	return &engine.SourceError{Message: err.Error(), Extensions: b}
}
