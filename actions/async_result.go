package actions

// The read side of async calls: <action>(id) as a query and a live query.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/jackc/pgx/v5"
)

// ActionLog is the table async calls are logged in: a subscription to a
// call's result is a live query on it.
var ActionLog = metadata.QualifiedName{Schema: "hdb_catalog", Name: "hdb_action_log"}

// LiveTables makes <action>(id) of an async action a live query (Hasura's
// subscription_root has it), refetched when a worker of this process
// records a result: the worker invalidates ActionLog through SetOnRecord's
// hook, so the subscriber sees the result at once, with no polling; the
// hook publishes it on the Redis change channel, so a result recorded by
// another Graft process sharing that Redis reaches it too (without Redis,
// on the fallback refetch: the action log is not in the WAL publication).
func (s *Source) LiveTables(name string) ([]metadata.QualifiedName, bool) {
	a := s.meta.Snapshot().Action(name)
	if a == nil || !a.Async {
		return nil, false
	}
	return []metadata.QualifiedName{ActionLog}, true
}

// jsonValue encodes a decoded value with its object keys in order.
type jsonValue struct{ v any }

func (j jsonValue) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	encode(&buf, j.v)
	return buf.Bytes(), nil
}

// asyncResult answers <action>(id): {id, created_at, output, errors}, to
// the session that made the call (admin sees every call).
func (s *Source) asyncResult(ctx context.Context, a *metadata.Action, call *graphql.RootCall) (json.RawMessage, error) {
	var args struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(call.ArgsJSON(), &args)
	var session *string
	if call.Session.Role != "admin" {
		sj := call.Session.JSON()
		session = &sj
	}
	var id, created string
	var output, errs []byte
	err := s.pool.QueryRow(ctx, `SELECT id::text, to_json(created_at)#>>'{}', response_payload::text, errors::text
	  FROM hdb_catalog.hdb_action_log
	  WHERE id = $1::uuid AND action_name = $2 AND ($3::jsonb IS NULL OR session_variables = $3::jsonb)`,
		args.ID, a.Name, session).Scan(&id, &created, &output, &errs)
	if errors.Is(err, pgx.ErrNoRows) {
		return json.RawMessage("null"), nil
	}
	if err != nil {
		return nil, &graphql.SourceError{Message: "could not read the async action: " + err.Error(),
			Extensions: json.RawMessage(`{"path":"$","code":"unexpected"}`)}
	}
	ct := call.Snapshot().CustomTypes
	o := newOutputter(ct, call, &s.statements)
	out := jobj{}
	for _, f := range o.selected(call.Selection(), a.Name) {
		switch f.Name {
		case "__typename":
			out = append(out, jfield{f.Key, a.Name})
		case "id":
			out = append(out, jfield{f.Key, id})
		case "created_at":
			out = append(out, jfield{f.Key, created})
		case "errors":
			out = append(out, jfield{f.Key, storedErrors(errs, call.Session.Role)})
		case "output":
			var v any
			if output != nil {
				v, _ = decode(output)
			}
			out = append(out, jfield{f.Key, o.shape(v, a.Output, f)})
		}
	}
	return o.finish(ctx, out)
}

// storedErrors is a call's recorded error; internal details are admin's.
func storedErrors(raw []byte, role string) any {
	if raw == nil {
		return nil
	}
	v, err := decode(raw)
	obj, ok := v.(jobj)
	if err != nil || !ok || role == "admin" {
		return v
	}
	out := make(jobj, 0, len(obj))
	for _, f := range obj {
		if f.key != "internal" {
			out = append(out, f)
		}
	}
	return out
}
