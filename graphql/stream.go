package graphql

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/graftql/graft/metadata"
)

// streamSub is one streaming subscription (<t>_stream). It keeps its own
// cursor: each fetch returns up to batch_size rows past the cursor, in
// cursor order, then moves the cursor to the last row sent, so every row is
// sent once. It is refetched when a table it reads is written.
type streamSub struct {
	live   *Live
	rs     *roleSchema
	prep   *preparedOp
	vars   map[string]any
	sess   Session
	g      *fieldGroup
	t      *metadata.Table
	col    *metadata.Column
	desc   bool
	batch  int64
	push   func([]byte)
	tables map[metadata.QualifiedName]bool // set before the stream is registered, then only read

	mu     sync.Mutex // one fetch at a time
	cursor any
	dirty  bool        // guarded by Live.mu
	done   atomic.Bool // unsubscribed
}

// newStream reads a <t>_stream field's arguments.
func newStream(l *Live, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session, g *fieldGroup, t *metadata.Table, push func([]byte)) (*streamSub, error) {
	s := &streamSub{live: l, rs: rs, prep: prep, vars: vars, sess: sess, g: g, t: t, push: push}
	c := s.compiler()
	bv, _ := c.arg(g, "batch_size")
	n, _ := bv.(json.Number).Int64()
	if n <= 0 {
		return nil, validationErr("$.selectionSet."+g.Key+".args.batch_size", "batch_size must be a positive integer")
	}
	s.batch = n
	cv, _ := c.arg(g, "cursor")
	cursors := asList(cv)
	if len(cursors) != 1 {
		return nil, validationErr("$.selectionSet."+g.Key+".args.cursor", "one streaming cursor is expected")
	}
	cur := asObject(cursors[0])
	iv, _ := cur.get("initial_value")
	init := asObject(iv)
	if len(init) != 1 {
		return nil, validationErr("$.selectionSet."+g.Key+".args.cursor", "exactly one column is expected in initial_value")
	}
	s.col = t.ColumnByGQL(init[0].Name)
	s.cursor = init[0].Value
	if ov, ok := cur.get("ordering"); ok {
		s.desc = ov == "DESC"
	}
	return s, nil
}

func (s *streamSub) compiler() *compiler {
	return &compiler{rs: s.rs, vars: s.vars, frags: s.prep.frags, nulls: s.prep.nulls, session: s.sess}
}

// sql compiles the next batch's statement (rows past the cursor, and the
// cursor value of the last one) and names the tables it reads.
func (s *streamSub) sql() (string, []any, map[metadata.QualifiedName]bool, error) {
	c := s.compiler()
	path := "$.selectionSet." + s.g.Key
	la, err := c.readListArgs(s.g)
	if err != nil {
		return "", nil, nil, err
	}
	dir, rev, op := "asc", "DESC", ">"
	if s.desc {
		dir, rev, op = "desc", "ASC", "<"
	}
	la.limit, la.offset, la.distinct = &s.batch, nil, nil
	la.orderBy = []any{object{{Name: s.col.GQLName, Value: dir}}}
	x := c.alias()
	bound, err := c.typed(s.cursor, columnType(s.col))
	if err != nil {
		return "", nil, nil, err
	}
	rows, keys, err := c.rows(s.t, s.t.Name.SQL(), x, x+"."+quoteIdent(s.col.Name)+" "+op+" "+bound, la, path)
	if err != nil {
		return "", nil, nil, err
	}
	obj, lats, err := c.objectJSON(s.t, x, c.subFields(s.g, s.t.TypeName("")), path)
	if err != nil {
		return "", nil, nil, err
	}
	return "SELECT coalesce(json_agg(" + obj + outerOrder(x, keys) + "), '[]') AS j, (array_agg(" + x + ".__o1 ORDER BY " +
		x + ".__o1 " + rev + "))[1]::text AS cursor, count(*) AS n FROM " + rows + lats, c.args, c.tables, nil
}

// fetch sends every batch past the cursor (first is true for the initial
// fetch, which is sent even when empty).
func (s *streamSub) fetch(ctx context.Context, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetchLocked(ctx, first)
}

// fetchLocked is fetch with s.mu held.
func (s *streamSub) fetchLocked(ctx context.Context, first bool) {
	for !s.done.Load() {
		sql, args, _, err := s.sql()
		if err != nil {
			s.push(errorBody(err))
			return
		}
		var body []byte
		var cursor *string
		var n int64
		s.live.statements.Add(1)
		pool, err := s.live.e.poolFor(ctx, s.t.Source)
		if err != nil {
			s.push(errorBody(err))
			return
		}
		if err := pool.QueryRow(ctx, sql, args...).Scan(&body, &cursor, &n); err != nil {
			s.push(errorBody(dbError(err)))
			return
		}
		if cursor == nil {
			if first {
				s.push(wrapData(s.g.Key, body))
			}
			return
		}
		s.cursor = *cursor
		s.push(wrapData(s.g.Key, body))
		first = false
		if n < s.batch {
			return // a short batch: nothing more is waiting
		}
	}
}
