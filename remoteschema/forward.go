package remoteschema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	engine "github.com/graftql/graft/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// typenameAlias is the response key under which the forwarded query asks
// for the concrete type of an abstract field, so the answer can be rebuilt
// in the client's type names; it never reaches the client.
const typenameAlias = "graft__typename"

// forward is one remote root field (or namespace) on its way to the remote
// and back: the selection printed as GraphQL text in the remote's names,
// and the answer rebuilt in the client's names, in selection order.
type forward struct {
	s    *Source
	sv   served
	call *engine.RootCall
	raw  engine.RawSelection
	root string // the remote's root type of the operation
	text strings.Builder
	err  error // the first error met while printing (a preset)
	// path is the response keys from the root value down to the value
	// being rebuilt; joins are the table relationships of remote types
	// met on the way, stitched in once the answer is rebuilt (join_types.go).
	path  []string
	joins []pendingJoin
}

// item is a remote root field the forwarded query selects.
type item struct {
	key    string
	def    *fieldDef
	fields []*ast.Field
}

func (f *forward) run(ctx context.Context) (json.RawMessage, error) {
	cz, rootDef := f.sv.r.cz, f.sv.doc.typ(f.root)
	if rootDef == nil {
		return nil, sourceError("remote schema "+strconv.Quote(f.sv.r.name)+" has no "+f.root+" root here", "unexpected", nil)
	}
	var nsGroups []*group
	var items []item
	if cz.namespace != "" {
		nsGroups = f.collect(selectionSets(f.raw.Fields), rootDef)
		for _, g := range nsGroups {
			if g.name == "__typename" {
				continue
			}
			if d := rootDef.field(cz.origField(rootDef.Name, g.name)); d != nil {
				items = append(items, item{key: g.key, def: d, fields: g.fields})
			}
		}
	} else if d := rootDef.field(cz.origField(rootDef.Name, f.call.Name)); d != nil {
		items = append(items, item{key: f.call.Key, def: d, fields: f.raw.Fields})
	}
	data := map[string]json.RawMessage{}
	if len(items) > 0 {
		var err error
		if data, err = f.send(ctx, items); err != nil {
			return nil, err
		}
	}
	if cz.namespace == "" {
		if len(items) == 0 {
			return json.RawMessage("null"), nil
		}
		return f.stitchRoot(ctx, f.rebuild(data[items[0].key], items[0].def.Type, items[0].fields))
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for i, g := range nsGroups {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(strconv.Quote(g.key) + ":")
		if g.name == "__typename" {
			out.WriteString(strconv.Quote(cz.typeName(rootDef.Name)))
			continue
		}
		d := rootDef.field(cz.origField(rootDef.Name, g.name))
		if d == nil {
			out.WriteString("null")
			continue
		}
		f.path = append(f.path[:0], g.key)
		out.Write(f.rebuild(data[g.key], d.Type, g.fields))
		f.path = f.path[:0]
	}
	out.WriteByte('}')
	return f.stitchRoot(ctx, out.Bytes())
}

// send prints the items as one operation, posts it and returns the
// answer's data by response key. Remote errors come back as the request's.
func (f *forward) send(ctx context.Context, items []item) (map[string]json.RawMessage, error) {
	op := "query"
	if f.call.Mutation {
		op = "mutation"
	}
	name := operationName(f.call.Query, f.raw.Fields[0])
	f.text.WriteString(op)
	if name != "" {
		f.text.WriteString(" " + name)
	}
	f.text.WriteString(" {")
	for _, it := range items {
		f.text.WriteByte(' ')
		f.printField(it.key, it.def, it.fields)
	}
	f.text.WriteString(" }")
	return f.post(ctx, name)
}

// post sends the printed operation named name and returns the answer's
// data by response key.
func (f *forward) post(ctx context.Context, name string) (map[string]json.RawMessage, error) {
	if f.err != nil {
		return nil, f.err
	}
	body := map[string]any{"query": f.text.String()}
	if name != "" {
		body["operationName"] = name
	}
	b, _ := json.Marshal(body)

	def := &f.sv.r.def
	ep, err := resolveEndpoint(def)
	if err != nil {
		return nil, sourceError(err.Error(), "unexpected", nil)
	}
	var client http.Header
	x := engine.HTTPExchangeFrom(ctx)
	if x != nil {
		client = x.Request
	}
	headers, err := outgoingHeaders(def, sessionHeaders(f.call.Session), client)
	if err != nil {
		return nil, sourceError(err.Error(), "unexpected", nil)
	}
	rep, err := post(ctx, f.s.Client, ep, headers, b)
	var he *httpError
	if errors.As(err, &he) {
		var internal map[string]any
		if f.call.Session.IsAdmin() {
			internal = he.internal()
		}
		return nil, sourceError(he.Error(), "unexpected", internal)
	}
	if err != nil {
		return nil, sourceError(err.Error(), "unexpected", nil)
	}
	data, err := f.answer(rep, x)
	rep.finish(err)
	return data, err
}

// answer reads a remote's reply: its data, or its errors as they came.
func (f *forward) answer(rep *reply, x *engine.HTTPExchange) (map[string]json.RawMessage, error) {
	if x != nil {
		for _, c := range rep.cookies {
			x.AddResponseHeader("Set-Cookie", c)
		}
	}
	var res gqlResponse
	if err := json.Unmarshal(rep.body, &res); err != nil {
		return nil, sourceError(fmt.Sprintf("invalid response from remote schema %q (HTTP %d): %v", f.sv.r.name, rep.status, err), "unexpected", nil)
	}
	if len(res.Errors) > 0 {
		return nil, remoteErrors(res.Errors)
	}
	data := map[string]json.RawMessage{}
	if len(res.Data) > 0 && string(res.Data) != "null" {
		if err := json.Unmarshal(res.Data, &data); err != nil {
			return nil, sourceError("invalid data from remote schema "+strconv.Quote(f.sv.r.name)+": "+err.Error(), "unexpected", nil)
		}
	}
	return data, nil
}

// sessionHeaders are the session variables Hasura sends as headers.
func sessionHeaders(s engine.Session) map[string]string {
	out := make(map[string]string, len(s.Vars)+1)
	for k, v := range s.Vars {
		out[k] = v
	}
	out["x-hasura-role"] = s.Role
	return out
}

func sourceError(msg, code string, internal map[string]any) error {
	ext := map[string]any{"path": "$", "code": code}
	if internal != nil {
		ext["internal"] = internal
	}
	b, _ := json.Marshal(ext)
	return &engine.SourceError{Message: msg, Extensions: b}
}

// remoteErrors is a remote's errors, passed on as they came: Hasura
// answers {"data": null, "errors": [...]} with the remote's own errors.
type remoteErrors []json.RawMessage

func (e remoteErrors) Error() string {
	var first struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(e[0], &first)
	return first.Message
}

func (e remoteErrors) ErrorBody() []byte {
	b, _ := json.Marshal(map[string]any{"data": nil, "errors": []json.RawMessage(e)})
	return b
}

// operationName is the name of the operation of query holding f, or "".
func operationName(query string, f *ast.Field) string {
	if f == nil || f.Loc == nil || !strings.Contains(query, "query") && !strings.Contains(query, "mutation") {
		return "" // an anonymous shorthand query: no need to parse it again
	}
	doc, err := parseDocument(query)
	if err != nil {
		return ""
	}
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if ok && op.Loc != nil && op.Loc.Start <= f.Loc.Start && f.Loc.Start < op.Loc.End && op.Name != nil {
			return op.Name.Value
		}
	}
	return ""
}

// sortedKeys orders an input object's fields as its type declares them.
func sortedKeys(m map[string]any, def *typeDef) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	pos := func(k string) int {
		if def != nil {
			for i, f := range def.InputFields {
				if f.Name == k {
					return i
				}
			}
		}
		return len(keys)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if pi, pj := pos(keys[i]), pos(keys[j]); pi != pj {
			return pi < pj
		}
		return keys[i] < keys[j]
	})
	return keys
}
