package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

// outputter checks a handler's output against the action's output type
// and renders the request's selection of it.
type outputter struct {
	ct     *metadata.CustomTypes
	call   *graphql.RootCall
	fields map[*graphql.Selection][]*graphql.Selection
	groups []*relGroup
	byKey  map[*graphql.Selection]*relGroup
	// statements counts the statements join runs.
	statements *atomic.Int64
}

// validate checks v against ref, the whole type whatever is selected, as
// Hasura does.
func validate(ct *metadata.CustomTypes, v any, ref *metadata.TypeRef) error {
	o := &outputter{ct: ct}
	return o.check(v, ref, "", true)
}

// check is validate below the top; field names the field v is the value
// of ("" at the top).

func (o *outputter) check(v any, ref *metadata.TypeRef, field string, top bool) error {
	if v == nil {
		if !ref.NonNull {
			return nil
		}
		if top && ref.Elem == nil && o.ct.Object(ref.Name) != nil {
			return fmt.Errorf("expecting object for action webhook response but got null")
		}
		if field == "" {
			return fmt.Errorf("expecting not null value for the action webhook response")
		}
		return fmt.Errorf("expecting not null value for field %q", field)
	}
	if ref.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expecting array for the action webhook response")
		}
		for _, x := range list {
			if err := o.check(x, ref.Elem, field, false); err != nil {
				return err
			}
		}
		return nil
	}
	if obj := o.ct.Object(ref.Name); obj != nil {
		switch v := v.(type) {
		case jobj:
			for _, f := range obj.Fields {
				fv, _ := v.get(f.Name)
				if err := o.check(fv, f.Ref, f.Name, false); err != nil {
					return err
				}
			}
			return nil
		case []any:
			return fmt.Errorf("expecting object for action webhook response but got array")
		default:
			return fmt.Errorf("got scalar %s for the action webhook response, expecting %s", jsonKind(v), ref.Name)
		}
	}
	if e := o.ct.Enum(ref.Name); e != nil {
		s, ok := v.(string)
		for _, ev := range e.Values {
			if ok && ev.Value == s {
				return nil
			}
		}
		return fmt.Errorf("expecting a value of enum %s for the action webhook response", ref.Name)
	}
	want := map[string]string{"Int": "Number", "Float": "Number", "String": "String", "Boolean": "Boolean"}[ref.Name]
	switch {
	case ref.Name == "ID":
		want = jsonKind(v)
		if want != "String" && want != "Number" {
			want = "String"
		}
	case want == "":
		return nil // a custom or Postgres scalar takes any JSON
	}
	got := jsonKind(v)
	if got == "object" || got == "array" {
		return fmt.Errorf("expecting a scalar %s for the action webhook response but got an %s", ref.Name, got)
	}
	if got != want || (ref.Name == "Int" && strings.ContainsAny(v.(json.Number).String(), ".eE")) {
		return fmt.Errorf("got scalar %s for the action webhook response, expecting %s", got, ref.Name)
	}
	return nil
}

// jsonKind names a JSON value's kind as Hasura's messages do.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		return "Boolean"
	case jobj:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// relGroup is one relationship field of the selection: every object of
// the output it appears on, joined to its table in one subquery.
type relGroup struct {
	rel     *metadata.TypeRelationship
	kind    graphql.RelationKind
	sel     *graphql.Selection
	keys    []jobj // per object: the mapped fields' values
	results []json.RawMessage
}

// hole is where a relationship's value goes once the statement ran.
type hole struct {
	g   *relGroup
	idx int
}

func (h *hole) value() json.RawMessage {
	if h.idx < len(h.g.results) {
		return h.g.results[h.idx]
	}
	return nil
}

func newOutputter(ct *metadata.CustomTypes, call *graphql.RootCall, statements *atomic.Int64) *outputter {
	return &outputter{ct: ct, call: call, statements: statements,
		fields: map[*graphql.Selection][]*graphql.Selection{}, byKey: map[*graphql.Selection]*relGroup{}}
}

// finish fills every relationship of a shaped value from one SQL
// statement and encodes it.
func (o *outputter) finish(ctx context.Context, shaped any) (json.RawMessage, error) {
	if len(o.groups) > 0 {
		if err := o.join(ctx); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	encode(&buf, shaped)
	return buf.Bytes(), nil
}

func (o *outputter) selected(sel *graphql.Selection, typeName string) []*graphql.Selection {
	if fs, ok := o.fields[sel]; ok {
		return fs
	}
	fs := sel.Fields(typeName)
	o.fields[sel] = fs
	return fs
}

func (o *outputter) shape(v any, ref *metadata.TypeRef, sel *graphql.Selection) any {
	if v == nil {
		return nil
	}
	if ref.Elem != nil {
		list, _ := v.([]any)
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = o.shape(x, ref.Elem, sel)
		}
		return out
	}
	obj := o.ct.Object(ref.Name)
	if obj == nil {
		return v // scalars and enums pass through
	}
	in, _ := v.(jobj)
	out := make(jobj, 0, len(in))
	for _, f := range o.selected(sel, obj.Name) {
		if f.Name == "__typename" {
			out = append(out, jfield{f.Key, obj.Name})
			continue
		}
		if cf := fieldOf(obj, f.Name); cf != nil {
			// A field the handler left out stays out, as in Hasura.
			if fv, ok := in.get(cf.Name); ok {
				out = append(out, jfield{f.Key, o.shape(fv, cf.Ref, f)})
			}
			continue
		}
		if r, kind := relationshipOf(obj, f.Name); r != nil {
			out = append(out, jfield{f.Key, o.hole(r, kind, f, in)})
			continue
		}
		out = append(out, jfield{f.Key, nil})
	}
	return out
}

func fieldOf(obj *metadata.ObjectType, name string) *metadata.CustomField {
	for _, f := range obj.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func relationshipOf(obj *metadata.ObjectType, name string) (*metadata.TypeRelationship, graphql.RelationKind) {
	for _, r := range obj.Relationships {
		switch {
		case r.Table == nil:
		case r.Name == name && r.Type == "array":
			return r, graphql.RelArray
		case r.Name == name:
			return r, graphql.RelObject
		case r.Type == "array" && r.Name+"_aggregate" == name:
			return r, graphql.RelAggregate
		}
	}
	return nil, 0
}

// hole records one object's relationship: its mapped field values, by
// field name (what the selection calls them does not matter).
func (o *outputter) hole(r *metadata.TypeRelationship, kind graphql.RelationKind, sel *graphql.Selection, in jobj) *hole {
	g := o.byKey[sel]
	if g == nil {
		g = &relGroup{rel: r, kind: kind, sel: sel}
		o.byKey[sel] = g
		o.groups = append(o.groups, g)
	}
	key := make(jobj, 0, len(r.Mapping))
	for _, m := range r.Mapping {
		fv, _ := in.get(m.From)
		key = append(key, jfield{m.From, fv})
	}
	g.keys = append(g.keys, key)
	return &hole{g: g, idx: len(g.keys) - 1}
}

// join runs every relationship group in one statement: each group joins
// its objects' keys (a jsonb parameter) to its table laterally, with the
// role's permissions, and returns one JSON array in object order.
func (o *outputter) join(ctx context.Context) error {
	parts := make([]string, 0, len(o.groups))
	for _, g := range o.groups {
		var keys bytes.Buffer
		encode(&keys, toAny(g.keys))
		p := o.call.Param(keys.String())
		conds := make([]string, 0, len(g.rel.Mapping))
		for _, m := range g.rel.Mapping {
			col := g.rel.Table.Column(m.To)
			conds = append(conds, "{x}."+metadata.QuoteIdent(col.Name)+" = (_src.v->>"+sqlString(m.From)+")::"+
				metadata.QuoteIdent(col.Info.TypeSchema)+"."+metadata.QuoteIdent(col.Info.TypeName))
		}
		sql, err := o.call.RelationshipSQL(g.rel.Table, g.kind, g.sel, strings.Join(conds, " AND "))
		if err != nil {
			return err
		}
		parts = append(parts, "(SELECT coalesce(json_agg(_rel.j ORDER BY _src.ord), '[]') FROM jsonb_array_elements("+p+
			"::jsonb) WITH ORDINALITY AS _src(v, ord) LEFT JOIN LATERAL ("+sql+") AS _rel ON true)")
	}
	o.statements.Add(1)
	out, err := o.call.QueryJSON(ctx, "SELECT json_build_array("+strings.Join(parts, ", ")+") AS j")
	if err != nil {
		return err
	}
	var results [][]json.RawMessage
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(o.groups) {
		return fmt.Errorf("read relationship results: %v", err)
	}
	for i, g := range o.groups {
		g.results = results[i]
	}
	return nil
}

func toAny(keys []jobj) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// sqlString quotes s as an SQL string literal. Field names come from
// metadata; they still go through quoting, never bare.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
