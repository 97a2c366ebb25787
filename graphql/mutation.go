package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/tracing"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// WALMessagePrefix prefixes the transactional logical decoding message every
// mutation transaction emits first. Its content is JSON:
//
//	{"session_variables": {"x-hasura-role": "user", ...}, "trace_context": null}
//
// The WAL consumer (package replication) attaches session_variables to every
// change of the same transaction, as Hasura's event payloads carry them.
const WALMessagePrefix = "graft"

// mutator executes one mutation operation inside one transaction.
type mutator struct {
	ctx  context.Context
	tx   pgx.Tx
	rs   *roleSchema
	prep *preparedOp
	vars map[string]any
	sess Session
	// written are the tables the transaction wrote, for live queries.
	written map[metadata.QualifiedName]bool
	// sessionArgs, until sent, are the session statement's arguments: it
	// travels in one round trip with the transaction's first statement.
	sessionArgs []any
	// sessionSQL is that statement; "" for sessionSQL.
	sessionSQL string
	// compilers made for the current root field, whose remote joins run
	// after the commit (remotejoin_mutation.go).
	compilers []*compiler
}

// sessionSQL sets hasura.user (user triggers and functions that read the
// session keep working) and writes the session into the WAL as a
// transactional logical message, before any change of the transaction.
const sessionSQL = `SELECT set_config('hasura.user', $1, true), pg_logical_emit_message(true, $2, $3)`

// sessionSQLArgs are sessionSQL's arguments for a write made by sess:
// its session and, when traced, the trace context an event's webhook call
// then joins.
func sessionSQLArgs(ctx context.Context, sess Session) []any {
	sessJSON := sess.JSON()
	msg, _ := json.Marshal(map[string]any{"session_variables": json.RawMessage(sessJSON), "trace_context": tracing.WALContext(ctx)})
	return []any{sessJSON, WALMessagePrefix, string(msg)}
}

func (m *mutator) compiler() *compiler {
	c := &compiler{rs: m.rs, vars: m.vars, frags: m.prep.frags, nulls: m.prep.nulls, session: m.sess, joinable: true}
	m.compilers = append(m.compilers, c)
	return c
}

// runMutation runs the mutation root fields in request order: in one
// transaction when they all write one source (all of them commit, or
// none), else each in a transaction of its own on its source, as Hasura
// runs mutations across sources.
func (e *Engine) runMutation(ctx context.Context, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session) Result {
	groups := collectFields([]*ast.SelectionSet{prep.op.SelectionSet}, "mutation_root", prep.frags, vars)
	sources := map[string]bool{}
	source := "default"
	for _, g := range groups {
		if g.Name == "__typename" {
			continue
		}
		if _, ok := rs.mroots[g.Name]; !ok && rs.namespaces[g.Name] == nil {
			return Result{Body: errorBody(validationErr("$.selectionSet."+g.Key, "field %q not found in type: 'mutation_root'", g.Name)), RequestError: true}
		}
		source = rs.mutationSource(g.Name)
		sources[source] = true
	}
	out := make([][]byte, len(groups))
	var fails []fieldFailure // remote joins of committed rows that failed alone
	if len(sources) <= 1 {
		if err := e.mutateInTx(ctx, rs, prep, vars, sess, source, groups, out, &fails); err != nil {
			return Result{Body: errorBody(err), RequestError: true}
		}
	} else {
		for i, g := range groups {
			if err := e.mutateInTx(ctx, rs, prep, vars, sess, rs.mutationSource(g.Name), groups[i:i+1], out[i:i+1], &fails); err != nil {
				return Result{Body: errorBody(err), RequestError: true}
			}
		}
	}
	fields := make([]plannedField, len(groups))
	for i, g := range groups {
		fields[i] = plannedField{key: g.Key}
	}
	return Result{Body: partialBody(fields, out, fails)}
}

// mutateInTx runs root fields in one transaction on a source's pool,
// writing each one's result to out. The live queries over what it wrote
// refetch.
func (e *Engine) mutateInTx(ctx context.Context, rs *roleSchema, prep *preparedOp, vars map[string]any, sess Session,
	source string, groups []*fieldGroup, out [][]byte, fails *[]fieldFailure) error {
	pool, err := e.poolFor(ctx, source)
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	m := &mutator{ctx: ctx, tx: tx, rs: rs, prep: prep, vars: vars, sess: sess, written: map[metadata.QualifiedName]bool{},
		sessionArgs: sessionSQLArgs(ctx, sess)}
	if !e.sourceWALRead(source) {
		// Nobody reads this source's WAL: the session goes to hasura.user
		// alone (live_sources.go).
		m.sessionSQL, m.sessionArgs = addedSourceSessionSQL, m.sessionArgs[:1]
	}
	joins := make([][]*remoteJoin, len(groups))
	for i, g := range groups {
		if g.Name == "__typename" {
			out[i] = []byte(`"mutation_root"`)
			continue
		}
		if out[i], err = m.runRoot(g); err != nil {
			return err
		}
		joins[i] = m.takeJoins()
	}
	if err := tx.Commit(ctx); err != nil {
		return dbError(err)
	}
	// Live queries on any source refetch: those of an added source learn
	// of Graft's own writes here, of others' from the source's WAL where it
	// is read (Engine.LiveSources), else on the fallback tick.
	if e.Live != nil && len(m.written) > 0 {
		tables := make([]metadata.QualifiedName, 0, len(m.written))
		for t := range m.written {
			tables = append(tables, t)
		}
		e.Live.Invalidate(tables)
	}
	// Remote joins run once the rows are committed, as a query's do.
	// With fails, a failing join nulls its field and is listed there (the
	// rows are written: the answer must still say so); without, it fails
	// the call.
	for i := range out {
		if fails == nil {
			if out[i], err = e.applyJoins(ctx, out[i], joins[i], 0); err != nil {
				return err
			}
			continue
		}
		var failed []fieldFailure
		if out[i], failed, err = e.applyJoinsPartial(ctx, groups[i].Key, out[i], joins[i]); err != nil {
			return err
		}
		*fails = append(*fails, failed...)
	}
	return nil
}

// addedSourceSessionSQL is sessionSQL for an added source whose WAL nobody reads.
const addedSourceSessionSQL = `SELECT set_config('hasura.user', $1, true)`

// runRoot runs one mutation_root field: a table or function mutation, or
// a namespace holding some, answered as one object.
func (m *mutator) runRoot(g *fieldGroup) ([]byte, error) {
	ns := m.rs.namespaces[g.Name]
	if ns == nil {
		mf, ok := m.rs.mroots[g.Name]
		if !ok {
			return nil, validationErr("$.selectionSet."+g.Key, "field %q not found in type: 'mutation_root'", g.Name)
		}
		return m.run(mf, g)
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, sg := range m.compiler().subFields(g, ns.mutationType) {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(strconv.Quote(sg.Key))
		buf.WriteByte(':')
		if sg.Name == "__typename" {
			buf.WriteString(strconv.Quote(ns.mutationType))
			continue
		}
		mf, ok := ns.mroots[sg.Name]
		if !ok {
			return nil, validationErr("$.selectionSet."+g.Key+".selectionSet."+sg.Key, "field %q not found in type: '%s'", sg.Name, ns.mutationType)
		}
		first := len(m.compilers)
		res, err := m.run(mf, sg)
		if err != nil {
			return nil, err
		}
		for _, c := range m.compilers[first:] {
			for _, j := range c.joins {
				j.path = append([]string{sg.Key}, j.path...)
			}
		}
		if res == nil {
			res = []byte("null")
		}
		buf.Write(res)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (m *mutator) run(mf mutationField, g *fieldGroup) ([]byte, error) {
	path := "$.selectionSet." + g.Key
	m.written[mf.Table.Name] = true
	switch mf.Kind {
	case mutFunction:
		return m.callFunction(mf.Function, g, path)
	case mutInsert, mutInsertOne:
		return m.insert(mf.Table, g, mf.Kind == mutInsertOne, path)
	case mutUpdate, mutUpdateByPk:
		c := m.compiler()
		return m.update(c, mf.Table, g, object(nil), mf.Kind == mutUpdateByPk, path)
	case mutUpdateMany:
		c := m.compiler()
		v, _ := c.arg(g, "updates")
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, u := range asList(v) {
			if i > 0 {
				buf.WriteByte(',')
			}
			res, err := m.update(m.compiler(), mf.Table, g, asObject(u), false, path+".args.updates["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			buf.Write(res)
		}
		buf.WriteByte(']')
		return buf.Bytes(), nil
	default:
		return m.delete(mf.Table, g, mf.Kind == mutDeleteByPk, path)
	}
}

// queryOne runs a statement returning (json, check_ok) and enforces the
// permission check: a failed check rolls the whole request back.
func (m *mutator) queryOne(sql string, args []any, checked bool) ([]byte, error) {
	var out []byte
	var ok *bool
	dest := []any{&out}
	if checked {
		dest = append(dest, &ok)
	}
	var err error
	if m.sessionArgs != nil {
		b := &pgx.Batch{}
		stmt := sessionSQL
		if m.sessionSQL != "" {
			stmt = m.sessionSQL
		}
		b.Queue(stmt, m.sessionArgs...)
		b.Queue(sql, args...)
		m.sessionArgs = nil
		br := m.tx.SendBatch(m.ctx, b)
		if _, err = br.Exec(); err == nil {
			err = br.QueryRow().Scan(dest...)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	} else {
		err = m.tx.QueryRow(m.ctx, sql, args...).Scan(dest...)
	}
	if err != nil {
		return nil, mutationError(err)
	}
	if checked && ok != nil && !*ok {
		return nil, &queryError{Code: "permission-error", Path: "$", Message: "check constraint of an insert/update permission has failed"}
	}
	return out, nil
}

// mutationError maps a Postgres error with Hasura's constraint wording.
func mutationError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return dbError(err)
	}
	prefix := map[string]string{
		"23505": "Uniqueness violation. ", "23503": "Foreign key violation. ",
		"23502": "Not-NULL violation. ", "23514": "Check constraint violation. ", "23P01": "Exclusion violation. ",
	}[pe.Code]
	if prefix == "" {
		return dbError(err)
	}
	return &queryError{Code: "constraint-violation", Path: "$", Message: prefix + pe.Message}
}
