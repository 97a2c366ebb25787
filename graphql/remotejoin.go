package graphql

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/remotejoin"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Remote relationships (metadata.RemoteRelationship): a table's field
// answered outside its SQL statement. The statement writes the row's join
// columns as a JSON object where the field's value goes (so no extra key
// reaches the response); after it ran, package remotejoin collects those
// objects and asks the relationship once for all of them: the remote
// schema's source (RemoteJoinSource) or a table of a source
// (remotejoin_source.go). A request without remote relationships never
// takes this path.

// RemoteJoinSource is implemented by a RootSource that serves the remote
// schemas table relationships point to.
type RemoteJoinSource interface {
	// RemoteRelField is rel's field on its table's row type in the schema
	// of types, nil when the role does not see rel's remote field.
	RemoteRelField(types *SchemaTypes, rel *metadata.RemoteRelationship) *graphql.Field
	// JoinRemote fetches rel's remote field for each of rows (the join
	// columns' values by column name; nil for a row with a null one, whose
	// value is null) in one request to the remote, and returns each row's
	// value in the client's names, in order.
	JoinRemote(ctx context.Context, call *RootCall, rel *metadata.RemoteRelationship, rows []map[string]any) ([]json.RawMessage, error)
}

// remoteJoin is one remote relationship field a compiled statement left
// join keys for.
type remoteJoin struct {
	path []string // response keys from the root field's value down to the field
	rel  *metadata.RemoteRelationship
	g    *fieldGroup
	at   string // Hasura's error path of the field
	c    *compiler
}

// remoteRelField compiles a remote relationship field of a row: its value
// in the statement is the object of the row's join columns.
func (c *compiler) remoteRelField(t *metadata.Table, alias string, rr *metadata.RemoteRelationship, g *fieldGroup, path string) (string, error) {
	if !c.joinable { // subscriptions (live and streaming), as in Hasura
		return "", errRemoteRelSubscription
	}
	var cols []string
	if rr.ToRemote != nil {
		cols = rr.ToRemote.LHSFields
	} else {
		for _, p := range rr.ToSource.Mapping {
			cols = append(cols, p.From)
		}
	}
	var sb strings.Builder
	sb.WriteString("json_build_object(")
	for i, name := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteLiteral(name) + ", " + alias + "." + quoteIdent(name))
	}
	sb.WriteString(")")
	c.notReusable = true // the join keeps this request's selection and variables
	c.joins = append(c.joins, &remoteJoin{path: responsePath(path), rel: rr, g: g, at: path, c: c})
	return sb.String(), nil
}

// errRemoteRelSubscription is Hasura's refusal of remote relationships
// in subscriptions.
var errRemoteRelSubscription = &queryError{Code: "not-supported", Path: "$", Message: "Remote relationships are not allowed in subscriptions"}

// responsePath turns $.selectionSet.root.selectionSet.a.selectionSet.b
// into [a b]: the keys below the root field's value.
func responsePath(path string) []string {
	return strings.Split(strings.TrimPrefix(path, "$.selectionSet."), ".selectionSet.")[1:]
}

// hasJoins reports whether a planned field needs remote joins.
func hasJoins(fields []plannedField) bool {
	for _, f := range fields {
		if len(f.joins) > 0 {
			return true
		}
	}
	return false
}

// applyJoins stitches a root field's remote relationships into its value.
// Paths of joins are relative to the root field; drop trims the keys above
// value (a nested level's value starts below its relationship's field).
func (e *Engine) applyJoins(ctx context.Context, value []byte, joins []*remoteJoin, drop int) ([]byte, error) {
	if len(joins) == 0 || value == nil {
		return value, nil
	}
	js := make([]remotejoin.Join, len(joins))
	for i, j := range joins {
		js[i] = remotejoin.Join{Path: j.path[drop:], Joiner: e.joinerFor(j)}
	}
	return remotejoin.Apply(ctx, value, js)
}

// joinerFor is the Joiner of one remote relationship field.
func (e *Engine) joinerFor(j *remoteJoin) remotejoin.Joiner {
	if j.rel.ToSource != nil {
		return &sourceJoiner{e: e, j: j}
	}
	return &schemaJoiner{e: e, j: j}
}

// schemaJoiner joins through the remote schema source.
type schemaJoiner struct {
	e *Engine
	j *remoteJoin
}

func (sj *schemaJoiner) Fetch(ctx context.Context, keys []json.RawMessage) ([]json.RawMessage, error) {
	src := sj.j.c.rs.remoteJoins
	if src == nil {
		return nil, &queryError{Code: "unexpected", Path: sj.j.at, Message: "remote schemas are not served"}
	}
	rows := make([]map[string]any, len(keys))
	for i, k := range keys {
		row, err := decodeJoinKey(k)
		if err != nil {
			return nil, err
		}
		rows[i] = row
	}
	c := sj.j.c
	call := &RootCall{Name: sj.j.g.Name, Key: sj.j.g.Key, Session: c.session, e: sj.e, c: c,
		sel: &Selection{Key: sj.j.g.Key, Name: sj.j.g.Name, Path: sj.j.at, g: sj.j.g, c: c}}
	return src.JoinRemote(ctx, call, sj.j.rel, rows)
}

// decodeJoinKey reads a join key object; nil when a column is null.
func decodeJoinKey(k json.RawMessage) (map[string]any, error) {
	var row map[string]any
	dec := json.NewDecoder(strings.NewReader(string(k)))
	dec.UseNumber()
	if err := dec.Decode(&row); err != nil {
		return nil, &queryError{Code: "unexpected", Path: "$", Message: "remote join: bad join key: " + err.Error()}
	}
	for _, v := range row {
		if v == nil {
			return nil, nil
		}
	}
	return row, nil
}

// Path is the remote relationship field's error path, for the errors of
// a join.
func (rc *RootCall) Path() string { return rc.sel.Path }

// SourceJoiner is the Joiner of a to_source relationship of a remote
// schema's object type, selected as fields at response keys path below
// the root field (package remoteschema stitches it into the remote's
// answer). The role's select permission on the target applies.
func (rc *RootCall) SourceJoiner(name string, sj *metadata.SourceJoin, path []string, fields []*ast.Field) remotejoin.Joiner {
	at := rc.sel.Path
	for _, k := range path {
		at += ".selectionSet." + k
	}
	j := &remoteJoin{path: responsePath(at), rel: &metadata.RemoteRelationship{Name: name, ToSource: sj},
		g: &fieldGroup{Key: path[len(path)-1], Name: name, Fields: fields}, at: at, c: rc.c}
	return &sourceJoiner{e: rc.e, j: j}
}
