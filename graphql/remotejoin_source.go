package graphql

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/graftql/graft/metadata"
	"github.com/jackc/pgx/v5"
)

// JoinSource is a source whose tables to_source remote relationships
// read: a way to run a statement there, and its tracked tables.
type JoinSource interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Table(name metadata.QualifiedName) *metadata.Table
}

// servedJoinSource is a served source: its pool (the engine's own for the
// default source) and its resolved tables.
type servedJoinSource struct {
	e    *Engine
	name string
	snap *metadata.Snapshot
}

func (d servedJoinSource) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	pool, err := d.e.poolFor(ctx, d.name)
	if err != nil {
		return errRow{err}
	}
	return pool.QueryRow(ctx, sql, args...)
}

func (d servedJoinSource) Table(name metadata.QualifiedName) *metadata.Table {
	return d.snap.Table(name)
}

// errRow is a row whose source could not be reached.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// joinSource finds the source named name, nil when it is not served.
func (e *Engine) joinSource(name string, snap *metadata.Snapshot) JoinSource {
	sub := snap.Source(name)
	if sub == nil {
		return nil
	}
	return servedJoinSource{e: e, name: name, snap: sub}
}

// sourceJoiner answers a to_source relationship for every row of a level
// with one statement: the join keys go in as one jsonb array, and each
// key's object (or list) of target rows comes out in key order. The
// role's select permission on the target applies, and the target's own
// remote relationships are joined in turn, once for the whole level.
type sourceJoiner struct {
	e *Engine
	j *remoteJoin
}

func (s *sourceJoiner) Fetch(ctx context.Context, keys []json.RawMessage) ([]json.RawMessage, error) {
	// A row with a null join column matches nothing: it gets its empty
	// value without being sent, and a level of such rows sends nothing.
	empty := json.RawMessage("null")
	if s.j.rel.ToSource.Kind == metadata.ArrayRel {
		empty = json.RawMessage("[]")
	}
	out := make([]json.RawMessage, len(keys))
	var send []json.RawMessage
	var at []int
	for i, k := range keys {
		row, err := decodeJoinKey(k)
		if err != nil {
			return nil, err
		}
		if row == nil {
			out[i] = empty
			continue
		}
		send, at = append(send, k), append(at, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	vals, err := s.fetch(ctx, send)
	if err != nil {
		return nil, err
	}
	if len(vals) != len(send) {
		return nil, &queryError{Code: "unexpected", Path: s.j.at, Message: "remote join: wrong number of joined rows"}
	}
	for n, i := range at {
		out[i] = vals[n]
	}
	return out, nil
}

// fetch runs the level's one statement on the target source for keys
// without nulls.
func (s *sourceJoiner) fetch(ctx context.Context, keys []json.RawMessage) ([]json.RawMessage, error) {
	sj := s.j.rel.ToSource
	parent := s.j.c
	src := s.e.joinSource(sj.Source, parent.rs.Snapshot)
	var target *metadata.Table
	if src != nil {
		target = src.Table(sj.Table)
	}
	if target == nil {
		return nil, &queryError{Code: "unexpected", Path: s.j.at,
			Message: "table " + sj.Table.String() + " of source " + sj.Source + " is not served"}
	}
	c := &compiler{rs: parent.rs, vars: parent.vars, frags: parent.frags, nulls: parent.nulls, session: parent.session, joinable: true}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	k := c.alias()
	conds := make([]string, 0, len(sj.Mapping))
	for _, m := range sj.Mapping {
		col := target.Column(m.To)
		if col == nil {
			return nil, &queryError{Code: "unexpected", Path: s.j.at, Message: "column " + m.To + " of " + sj.Table.String() + " does not exist"}
		}
		conds = append(conds, "{x}."+quoteIdent(m.To)+" = ("+k+".v->>"+quoteLiteral(m.From)+")::"+
			quoteIdent(col.Info.TypeSchema)+"."+quoteIdent(col.Info.TypeName))
	}
	corr := strings.Join(conds, " AND ")
	keysParam := c.param(string(list))
	var inner string
	if sj.Kind == metadata.ArrayRel {
		inner, err = c.listSQL(target, target.Name.SQL(), corr, s.j.g, s.j.at)
	} else {
		inner, err = c.objectSQL(target, target.Name.SQL(), corr, s.j.g, s.j.at)
	}
	if err != nil {
		return nil, err
	}
	l := c.alias()
	sql := "SELECT coalesce(json_agg(" + l + ".j ORDER BY " + k + ".n), '[]') FROM jsonb_array_elements(" + keysParam +
		"::jsonb) WITH ORDINALITY AS " + k + "(v, n) LEFT JOIN LATERAL (" + inner + ") AS " + l + " ON true"
	var out []byte
	if err := src.QueryRow(ctx, sql, c.args...).Scan(&out); err != nil {
		return nil, dbError(err)
	}
	if out, err = s.e.applyJoins(ctx, out, c.joins, len(s.j.path)); err != nil {
		return nil, err
	}
	var vals []json.RawMessage
	if err := json.Unmarshal(out, &vals); err != nil {
		return nil, err
	}
	return vals, nil
}
