package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/graftql/graft/remotejoin"
)

// Partial answers (issue 14): in a query, a root field served by a
// RootSource (an action, a remote schema) or a remote join whose remote
// fails is null, with one error naming its path; every other field keeps
// its value. Errors of the request itself (validation, a table field's
// statement) still fail the whole request, as Hasura's do.

// fieldFailure is a field that failed alone: null in the data, its error
// listed with path (response keys and list indices from the data's root).
type fieldFailure struct {
	path []any
	err  error
}

// applyJoinsPartial is applyJoins for a root field's value at key: a
// failing join nulls its field and is returned as a failure, the other
// joins' values stitched in.
func (e *Engine) applyJoinsPartial(ctx context.Context, key string, value []byte, joins []*remoteJoin) ([]byte, []fieldFailure, error) {
	if len(joins) == 0 || value == nil {
		return value, nil, nil
	}
	js := make([]remotejoin.Join, len(joins))
	for i, j := range joins {
		js[i] = remotejoin.Join{Path: j.path, Joiner: e.joinerFor(j)}
	}
	out, failed, err := remotejoin.ApplyPartial(ctx, value, js)
	if err != nil {
		return nil, nil, err
	}
	var fails []fieldFailure
	for _, f := range failed {
		fails = append(fails, fieldFailure{path: append([]any{key}, f.Path...), err: f.Err})
	}
	return out, fails, nil
}

// partialBody is dataBody followed by the failures' errors, in order.
func partialBody(fields []plannedField, results [][]byte, fails []fieldFailure) []byte {
	body := dataBody(fields, results)
	if len(fails) == 0 {
		return body
	}
	var buf bytes.Buffer
	buf.Write(body[:len(body)-1]) // drop the closing brace of {"data":...}
	buf.WriteString(`,"errors":[`)
	n := 0
	for _, f := range fails {
		for _, obj := range errorObjects(f.err, f.path) {
			if n > 0 {
				buf.WriteByte(',')
			}
			n++
			buf.Write(obj)
		}
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// errorObjects renders err as the error objects a whole-request failure
// would list (its own message, code and extensions), each given path
// unless it has one of its own (a remote's error keeps the remote's).
func errorObjects(err error, path []any) []json.RawMessage {
	p, _ := json.Marshal(path)
	var be BodyError
	if errors.As(err, &be) {
		var body struct {
			Errors []json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(be.ErrorBody(), &body) == nil && len(body.Errors) > 0 {
			for i, obj := range body.Errors {
				body.Errors[i] = withPath(obj, p)
			}
			return body.Errors
		}
	}
	var se *SourceError
	if errors.As(err, &se) {
		msg, _ := json.Marshal(se.Message)
		var buf bytes.Buffer
		buf.WriteString(`{"message":`)
		buf.Write(msg)
		if len(se.Extensions) > 0 {
			buf.WriteString(`,"extensions":`)
			buf.Write(se.Extensions)
		}
		buf.WriteString(`,"path":`)
		buf.Write(p)
		buf.WriteByte('}')
		return []json.RawMessage{buf.Bytes()}
	}
	var body struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(errorBody(err), &body) != nil || len(body.Errors) == 0 {
		return nil
	}
	return []json.RawMessage{withPath(body.Errors[0], p)}
}

// withPath adds "path" to the error object obj when it has none.
func withPath(obj json.RawMessage, path []byte) json.RawMessage {
	var keys map[string]json.RawMessage
	obj = bytes.TrimSpace(obj)
	if json.Unmarshal(obj, &keys) != nil || keys["path"] != nil || len(obj) < 2 {
		return obj
	}
	out := append([]byte{}, obj[:len(obj)-1]...)
	if len(keys) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"path":`...)
	out = append(out, path...)
	return append(out, '}')
}

// JoinsFailed records remote joins that failed inside a root field's
// value (a remote schema's types' relationships to tables): the source
// answered null where they were, and each error is listed at its path
// below the root field. Only a query's root call reports them as such
// (PartialJoins); elsewhere a source fails the field instead.
func (rc *RootCall) JoinsFailed(failed []*remotejoin.FieldError) {
	for _, f := range failed {
		rc.failures = append(rc.failures, fieldFailure{path: append([]any{rc.Key}, f.Path...), err: f.Err})
	}
}

// PartialJoins says whether JoinsFailed is heard: the call is a query's
// root field, whose failing joins null their own fields only.
func (rc *RootCall) PartialJoins() bool { return rc.partial }
