package metadata

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ddlWords spots SQL that may change the catalog; only then is the catalog
// read again and metadata consistency checked (that read costs milliseconds).
var ddlWords = regexp.MustCompile(`(?i)\b(create|alter|drop|comment\s+on|rename|truncate|grant|revoke)\b`)

// runSQLSession gives run_sql's writes the admin session, as Hasura runs
// run_sql with hasura.user set to its caller's: user triggers see it, and
// event payloads get it from the transaction's "graft" WAL message, the one
// mutations emit (graphql.WALMessagePrefix); without it they would read as
// written outside Graft (session_variables null).
const runSQLSession = `SELECT set_config('hasura.user', '{"x-hasura-role":"admin"}', true),
	pg_logical_emit_message(true, 'graft', '{"session_variables":{"x-hasura-role":"admin"},"trace_context":null}')`

// runSQLArgs are run_sql's arguments.
type runSQLArgs struct {
	SQL                      string `json:"sql"`
	Source                   string `json:"source"`
	Cascade                  bool   `json:"cascade"`
	ReadOnly                 bool   `json:"read_only"`
	CheckMetadataConsistency *bool  `json:"check_metadata_consistency"`
	NoTransaction            bool   `json:"no_transaction"`
}

// checksMetadata reports whether the SQL may have changed what metadata
// refers to, so that the catalog must be compared before and after.
func (a *runSQLArgs) checksMetadata() bool {
	check := !a.ReadOnly && ddlWords.MatchString(a.SQL)
	if a.CheckMetadataConsistency != nil {
		check = check && *a.CheckMetadataConsistency
	}
	return check
}

func opRunSQL(w *work, r *Request) (any, error) {
	var a runSQLArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if a.Source != "" && a.Source != "default" {
		return w.runSQLOnSource(a.Source, a.SQL, a.ReadOnly)
	}
	// no_transaction is honoured at the top level (runSQLNoTransaction);
	// inside a bulk the SQL shares the bulk's transaction.
	var before map[uint32]*relColumns
	if a.checksMetadata() {
		var err error
		if before, err = trackedOIDs(w.ctx, w.tx, w.md); err != nil {
			return nil, err
		}
	}
	prev := w.cat // the catalog before the SQL (run loaded it)
	res, err := w.runSQLInTx(a.SQL, a.ReadOnly)
	if err != nil {
		return nil, err
	}
	if a.checksMetadata() {
		if err := w.afterDDL(before, prev, a.Cascade); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// afterDDL brings the metadata in line with what the SQL did, as Hasura's
// run_sql does: renamed tables and columns are renamed in metadata, dropped
// tables are untracked, and whatever else the SQL broke (a relationship to a
// dropped table, a permission on a dropped column) is a dependency error,
// or is dropped from the metadata with cascade.
func (w *work) afterDDL(before map[uint32]*relColumns, prev *Catalog, cascade bool) error {
	after, err := relationsByOID(w.ctx, w.tx, before)
	if err != nil {
		return err
	}
	w.cat = nil
	cat, err := w.catalog()
	if err != nil {
		return err
	}
	if err := w.checkVolatility(prev, cat); err != nil {
		return err
	}
	if w.applyRenames(before, after, cat) {
		w.changed = true
	}
	s, err := w.resolve()
	if err != nil {
		return err
	}
	var broken []string
	for _, inc := range s.Inconsistent {
		if !w.baseline[inc.Name] && inc.blocking() {
			broken = append(broken, inc.dependencyName())
		}
	}
	if len(broken) == 0 {
		return nil
	}
	if !cascade {
		return &APIError{Status: 400, Code: "dependency-error", Path: "$.args",
			Message: "cannot drop due to the following dependent objects : " + strings.Join(broken, ", ")}
	}
	return w.dropInconsistent(w.baseline)
}

// runSQLInTx runs the SQL in the request's transaction, so that a failure
// leaves both the database and the metadata as they were.
func (w *work) runSQLInTx(sql string, readOnly bool) (any, error) {
	setup := runSQLSession
	if readOnly {
		setup = "SET TRANSACTION READ ONLY"
	}
	if _, err := w.tx.Exec(w.ctx, setup); err != nil {
		return nil, pgError(err)
	}
	return execSQL(w, w.tx.Conn().PgConn(), sql)
}

func (w *work) runSQLOnSource(source, sql string, readOnly bool) (any, error) {
	defer w.forgetSource(source)
	pool, err := w.m.sourcePool(w.ctx, w.md, source)
	if err != nil {
		return nil, err
	}
	tx, err := pool.Begin(w.ctx)
	if err != nil {
		return nil, pgError(err)
	}
	defer tx.Rollback(context.WithoutCancel(w.ctx))
	if readOnly {
		if _, err := tx.Exec(w.ctx, "SET TRANSACTION READ ONLY"); err != nil {
			return nil, pgError(err)
		}
	}
	// In a transaction of its own, not "BEGIN; sql; COMMIT", whose last
	// result would be COMMIT's rather than the SQL's.
	res, err := execSQL(w, tx.Conn().PgConn(), sql)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(w.ctx); err != nil {
		return nil, pgError(err)
	}
	return res, nil
}

// execSQL runs possibly several statements with the simple protocol and
// returns the last statement's result in run_sql's form: TuplesOk (a header
// row, then rows, even when there are none) when it returns rows, CommandOk
// otherwise.
func execSQL(w *work, conn *pgconn.PgConn, sql string) (any, error) {
	type result struct {
		fields []string
		rows   [][]any
	}
	var last *result
	mrr := conn.Exec(w.ctx, sql)
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		var res *result
		// pgconn's Result.Read keeps the columns only when a row arrives;
		// read them here so a query without rows still has its header.
		if fds := rr.FieldDescriptions(); len(fds) > 0 {
			res = &result{}
			for _, fd := range fds {
				res.fields = append(res.fields, fd.Name)
			}
		}
		for rr.NextRow() {
			if res == nil {
				res = &result{}
				for _, fd := range rr.FieldDescriptions() {
					res.fields = append(res.fields, fd.Name)
				}
			}
			row := make([]any, len(rr.Values()))
			for i, v := range rr.Values() {
				if v == nil {
					row[i] = "NULL"
				} else {
					row[i] = string(v)
				}
			}
			res.rows = append(res.rows, row)
		}
		if _, err := rr.Close(); err != nil {
			mrr.Close()
			return nil, pgError(err)
		}
		last = res
	}
	if err := mrr.Close(); err != nil {
		return nil, pgError(err)
	}
	if last == nil {
		return map[string]any{"result_type": "CommandOk", "result": nil}, nil
	}
	rows := make([][]any, 0, len(last.rows)+1)
	header := make([]any, len(last.fields))
	for i, f := range last.fields {
		header[i] = f
	}
	rows = append(rows, header)
	rows = append(rows, last.rows...)
	return map[string]any{"result_type": "TuplesOk", "result": rows}, nil
}

// pgError turns a Postgres error into Hasura's postgres-error shape.
func pgError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		internal := map[string]any{
			"arguments": []any{}, "error": map[string]any{
				"description": nilIfEmpty(pe.Detail), "exec_status": "FatalError", "hint": nilIfEmpty(pe.Hint),
				"message": pe.Message, "status_code": pe.Code,
			},
			"prepared": false, "statement": nil,
		}
		return &APIError{Status: 400, Code: "postgres-error", Path: "$", Message: "query execution failed", Internal: internal}
	}
	return err
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
