package graphql

import (
	"context"
	"errors"
	"strings"

	"github.com/graftql/graft/metadata"
)

// The legacy data API (/v1/query select, insert, update, delete, count) is
// parsed and validated by package dataapi; it compiles through the entry
// points in dataapi*.go so that both APIs filter, check, preset and render
// rows with the same code and the same permissions.

// DataScope compiles legacy data commands for one session over one snapshot.
type DataScope struct {
	rs   *roleSchema
	sess Session
}

// DataScope returns a scope over the engine's current snapshot, sharing the
// role schema GraphQL requests use.
func (e *Engine) DataScope(sess Session) (*DataScope, error) {
	rs, err := e.roleSchema(sess)
	if err != nil {
		return nil, err
	}
	return &DataScope{rs: rs, sess: sess}, nil
}

// NewDataScope returns a scope over snap, one resolved inside a metadata
// transaction that is not published yet. It computes only the role's
// access, not its GraphQL schema.
func NewDataScope(snap *metadata.Snapshot, sess Session) *DataScope {
	rs := &roleSchema{Role: sess.Role, backendOnly: sess.BackendOnly, Snapshot: snap,
		access: map[*metadata.Table]*tableAccess{}, inserts: map[*metadata.Table]*writeAccess{},
		updates: map[*metadata.Table]*writeAccess{}, deletes: map[*metadata.Table]*writeAccess{}}
	inherited := map[string][]string{}
	for _, ir := range snap.Metadata.InheritedRoleList() {
		inherited[ir.RoleName] = ir.RoleSet
	}
	for _, t := range snap.Tables {
		if a := roleAccess(t, sess.Role, inherited); a != nil {
			rs.access[t] = a
		}
		for kind, m := range map[string]map[*metadata.Table]*writeAccess{"insert": rs.inserts, "update": rs.updates, "delete": rs.deletes} {
			if a := rs.writeAccess(t, kind); a != nil {
				m[t] = a
			}
		}
	}
	return &DataScope{rs: rs, sess: sess}
}

// Snapshot is the metadata the scope compiles against.
func (s *DataScope) Snapshot() *metadata.Snapshot { return s.rs.Snapshot }

// SelectColumns are the columns the role may read from t; ok is false when
// it may not select from t at all.
func (s *DataScope) SelectColumns(t *metadata.Table) (cols map[string]bool, ok bool) {
	a := s.rs.access[t]
	if a == nil {
		return nil, false
	}
	return a.Columns, true
}

// WriteColumns are the columns the role may give for kind ("insert" or
// "update") on t, and the columns its presets fill; ok is false when the
// role has no such permission ("delete" only reports ok).
func (s *DataScope) WriteColumns(t *metadata.Table, kind string) (cols map[string]bool, presets map[string]bool, ok bool) {
	var a *writeAccess
	switch kind {
	case "insert":
		a = s.rs.inserts[t]
	case "update":
		a = s.rs.updates[t]
	default:
		a = s.rs.deletes[t]
	}
	if a == nil {
		return nil, nil, false
	}
	presets = map[string]bool{}
	for c := range a.Set {
		presets[c] = true
	}
	return a.Columns, presets, true
}

// DataError is a compile error in Hasura's shape.
type DataError struct {
	Code, Path, Message string
}

func (e *DataError) Error() string { return e.Message }

// dataErr converts the compiler's errors; anything else passes unchanged.
func dataErr(err error) error {
	var qe *queryError
	if errors.As(err, &qe) {
		return &DataError{Code: qe.Code, Path: qe.Path, Message: qe.Message}
	}
	return err
}

func (s *DataScope) compiler() *compiler {
	return &compiler{rs: s.rs, session: s.sess}
}

// DataSession is the statement, and its arguments, a write transaction runs
// before its first change: it sets hasura.user and emits the session WAL
// message, exactly as GraphQL mutations do, so event triggers see the caller.
func DataSession(ctx context.Context, sess Session) (string, []any) {
	return sessionSQL, sessionSQLArgs(ctx, sess)
}

// legacyBoolExp converts a legacy boolean expression (Postgres column names,
// $-operators) into the compiler's input form on t. A role may only filter
// on columns it may select, as in Hasura.
func (s *DataScope) legacyBoolExp(t *metadata.Table, v map[string]any) (object, error) {
	out := make(object, 0, len(v))
	for _, k := range sortedKeys(v) {
		val := v[k]
		name := underscored(k)
		switch name {
		case "_and", "_or":
			var list []any
			for _, item := range asAnyList(val) {
				m, _ := item.(map[string]any)
				sub, err := s.legacyBoolExp(t, m)
				if err != nil {
					return nil, err
				}
				list = append(list, sub)
			}
			out = append(out, objField{Name: name, Value: list})
			continue
		case "_not":
			m, _ := val.(map[string]any)
			sub, err := s.legacyBoolExp(t, m)
			if err != nil {
				return nil, err
			}
			out = append(out, objField{Name: name, Value: sub})
			continue
		case "_exists":
			out = append(out, objField{Name: name, Value: legacyValue(val, true)})
			continue
		}
		if col := t.Column(k); col != nil {
			if cols, ok := s.SelectColumns(t); !ok || !cols[col.Name] {
				return nil, &DataError{Code: "permission-denied", Path: "$.args.where",
					Message: "role \"" + s.sess.Role + "\" does not have permission to select column \"" + col.Name + "\""}
			}
			if m, isMap := val.(map[string]any); isMap {
				out = append(out, objField{Name: col.GQLName, Value: legacyOps(m)})
			} else {
				out = append(out, objField{Name: col.GQLName, Value: object{{Name: "_eq", Value: legacyValue(val, false)}}})
			}
			continue
		}
		if r := t.Relationship(k); r != nil {
			if _, ok := s.SelectColumns(r.Target); !ok {
				return nil, &DataError{Code: "permission-denied", Path: "$.args.where",
					Message: "select on \"" + r.Target.Name.String() + "\" for role \"" + s.sess.Role + "\" is not allowed"}
			}
			m, _ := val.(map[string]any)
			sub, err := s.legacyBoolExp(r.Target, m)
			if err != nil {
				return nil, err
			}
			out = append(out, objField{Name: r.Name, Value: sub})
			continue
		}
		return nil, &DataError{Code: "not-exists", Path: "$.args.where",
			Message: "no such column exists : \"" + k + "\""}
	}
	return out, nil
}

// underscored spells a legacy operator as the GraphQL one: $eq -> _eq, $ne -> _neq.
func underscored(k string) string {
	if strings.HasPrefix(k, "$") {
		k = "_" + k[1:]
	}
	if k == "_ne" {
		return "_neq"
	}
	return k
}

// legacyOps converts a column's operators; $cast names Postgres types
// ({"text": {...}}), the GraphQL _cast their scalars ({"String": {...}}).
func legacyOps(m map[string]any) object {
	ops := legacyValue(m, true).(object)
	for i, op := range ops {
		if op.Name != "_cast" {
			continue
		}
		casts, _ := m["$cast"].(map[string]any)
		if casts == nil {
			casts, _ = m["_cast"].(map[string]any)
		}
		conv := make(object, 0, len(casts))
		for _, typ := range sortedKeys(casts) {
			inner, _ := casts[typ].(map[string]any)
			name := typ
			if typ == "text" {
				name = "String"
			}
			conv = append(conv, objField{Name: name, Value: legacyOps(inner)})
		}
		ops[i].Value = conv
	}
	return ops
}

// legacyValue converts a decoded JSON value into an input value; ops
// renames the keys of its top level as operators.
func legacyValue(v any, ops bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(object, 0, len(v))
		for _, k := range sortedKeys(v) {
			name := k
			if ops {
				name = underscored(k)
			}
			out = append(out, objField{Name: name, Value: legacyValue(v[k], false)})
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = legacyValue(x, false)
		}
		return out
	}
	return v
}

func asAnyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}
