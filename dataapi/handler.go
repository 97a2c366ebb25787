// Package dataapi serves Hasura's legacy data API (select, insert, update,
// delete, count on /v1/query and /v2/query) by translating each command into
// the GraphQL compiler's plan, with the caller's role and permissions.
package dataapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Handler runs data commands for any role.
type Handler struct {
	Engine *graphql.Engine
	Pool   *pgxpool.Pool
}

var commands = map[string]bool{"select": true, "insert": true, "update": true, "delete": true, "count": true}

// IsDataRequest reports whether an admin API body is a data command, or a
// bulk of nothing else: those run here, for any role. Everything else
// (metadata commands, run_sql, mixed bulks) belongs to package metadata.
func IsDataRequest(body []byte) bool {
	var r struct {
		Type string          `json:"type"`
		Args json.RawMessage `json:"args"`
	}
	if json.Unmarshal(body, &r) != nil {
		return false
	}
	if r.Type != "bulk" {
		return commands[r.Type]
	}
	var items []struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(r.Args, &items) != nil || len(items) == 0 {
		return false
	}
	for _, it := range items {
		if !commands[it.Type] {
			return false
		}
	}
	return true
}

// Handle runs a body IsDataRequest accepted, as sess, in one transaction.
// Errors are *metadata.APIError.
func (h *Handler) Handle(ctx context.Context, sess authz.Session, body []byte) (any, error) {
	var r metadata.Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$", Message: err.Error()}
	}
	scope, err := h.Engine.DataScope(sess)
	if err != nil {
		return nil, fmt.Errorf("role schema: %w", err)
	}
	tx, err := h.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin data transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	run := &runner{ctx: ctx, tx: tx, scope: scope, sess: sess, written: map[metadata.QualifiedName]bool{}}
	var res any
	if r.Type == "bulk" {
		var items []metadata.Request
		if err := json.Unmarshal(r.Args, &items); err != nil {
			return nil, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
		}
		out := make([]any, len(items))
		for i := range items {
			if out[i], err = run.command(&items[i]); err != nil {
				return nil, prefixPath(err, fmt.Sprintf("$.args[%d]", i))
			}
		}
		res = out
	} else if res, err = run.command(&r); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, dbError(err)
	}
	if h.Engine.Live != nil && len(run.written) > 0 {
		tables := make([]metadata.QualifiedName, 0, len(run.written))
		for t := range run.written {
			tables = append(tables, t)
		}
		h.Engine.Live.Invalidate(tables)
	}
	return res, nil
}

// RunInTx is the metadata.DataRunner: one command as admin inside a
// metadata request's transaction.
func RunInTx(ctx context.Context, tx pgx.Tx, snap *metadata.Snapshot, r *metadata.Request) (any, error) {
	sess := authz.Session{Role: authz.AdminRole, Vars: map[string]string{}}
	run := &runner{ctx: ctx, tx: tx, scope: graphql.NewDataScope(snap, sess), sess: sess, written: map[metadata.QualifiedName]bool{}}
	return run.command(r)
}

// runner runs the commands of one request in its transaction.
type runner struct {
	ctx   context.Context
	tx    pgx.Tx
	scope *graphql.DataScope
	sess  authz.Session
	// written are the tables changed; the session message goes out before
	// the first change.
	written map[metadata.QualifiedName]bool
}

func (r *runner) command(req *metadata.Request) (any, error) {
	if !commands[req.Type] {
		return nil, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$.type", Message: fmt.Sprintf("unknown type %q", req.Type)}
	}
	args, err := decodeArgs(req.Args)
	if err != nil {
		return nil, err
	}
	p := &parser{scope: r.scope, role: r.sess.Role}
	switch req.Type {
	case "select":
		q, err := p.selectQuery(args)
		if err != nil {
			return nil, err
		}
		stmt, err := r.scope.Select(q)
		if err != nil {
			return nil, compileError(err)
		}
		return r.queryJSON(stmt, false)
	case "count":
		t, where, distinct, err := p.countQuery(args)
		if err != nil {
			return nil, err
		}
		stmt, err := r.scope.Count(t, where, distinct)
		if err != nil {
			return nil, compileError(err)
		}
		var n int64
		if err := r.tx.QueryRow(r.ctx, stmt.SQL, stmt.Args...).Scan(&n); err != nil {
			return nil, dbError(err)
		}
		return map[string]int64{"count": n}, nil
	}
	var stmt graphql.Statement
	var checked bool
	var table *metadata.Table
	switch req.Type {
	case "insert":
		q, err := p.insertQuery(args)
		if err != nil {
			return nil, err
		}
		table = q.Table
		stmt, checked, err = r.scope.Insert(q)
		if err != nil {
			return nil, compileError(err)
		}
	case "update":
		q, err := p.updateQuery(args)
		if err != nil {
			return nil, err
		}
		table = q.Table
		stmt, checked, err = r.scope.Update(q)
		if err != nil {
			return nil, compileError(err)
		}
	default:
		q, err := p.deleteQuery(args)
		if err != nil {
			return nil, err
		}
		table = q.Table
		if stmt, err = r.scope.Delete(q); err != nil {
			return nil, compileError(err)
		}
	}
	if len(r.written) == 0 {
		sql, sargs := graphql.DataSession(r.ctx, r.sess)
		if _, err := r.tx.Exec(r.ctx, sql, sargs...); err != nil {
			return nil, dbError(err)
		}
	}
	r.written[table.Name] = true
	return r.queryJSON(stmt, checked)
}

// queryJSON runs a statement returning one json value (and, when checked,
// the permission check's verdict).
func (r *runner) queryJSON(stmt graphql.Statement, checked bool) (any, error) {
	var out []byte
	var ok *bool
	dest := []any{&out}
	if checked {
		dest = append(dest, &ok)
	}
	if err := r.tx.QueryRow(r.ctx, stmt.SQL, stmt.Args...).Scan(dest...); err != nil {
		return nil, dbError(err)
	}
	if checked && ok != nil && !*ok {
		return nil, &metadata.APIError{Status: 400, Code: "permission-error", Path: "$.args",
			Message: "check constraint of an insert/update permission has failed"}
	}
	return json.RawMessage(out), nil
}

// decodeArgs reads a command's args object; numbers stay exact.
func decodeArgs(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || len(raw) == 0 {
		return nil, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$", Message: "args are missing or not JSON"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$",
			Message: "parsing Object failed, expected Object, but encountered " + jsonKind(v)}
	}
	return m, nil
}

// compileError maps the compiler's errors into the admin shape.
func compileError(err error) error {
	var de *graphql.DataError
	if errors.As(err, &de) {
		path := de.Path
		if path == "" || path == "$" {
			path = "$.args"
		}
		return &metadata.APIError{Status: 400, Code: de.Code, Path: path, Message: de.Message}
	}
	return err
}

// dbError maps a Postgres error as Hasura's data API does.
func dbError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("data command: %w", err)
	}
	code, prefix := "unexpected", ""
	switch {
	case strings.HasPrefix(pe.Code, "22"):
		code = "data-exception"
	case strings.HasPrefix(pe.Code, "23"):
		code = "constraint-violation"
		prefix = map[string]string{"23505": "Uniqueness violation. ", "23503": "Foreign key violation. ",
			"23502": "Not-NULL violation. ", "23514": "Check constraint violation. ", "23P01": "Exclusion violation. "}[pe.Code]
	case pe.Code == "42501":
		code = "permission-error"
	}
	status := 400
	if code == "unexpected" {
		status = 500
	}
	return &metadata.APIError{Status: status, Code: code, Path: "$.args", Message: prefix + pe.Message}
}

func prefixPath(err error, prefix string) error {
	var ae *metadata.APIError
	if errors.As(err, &ae) && strings.HasPrefix(ae.Path, "$") {
		ae.Path = prefix + strings.TrimPrefix(ae.Path, "$")
	}
	return err
}
