package metadata

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// DataRunner runs one legacy data command (select, insert, update, delete,
// count) as admin inside a metadata request's transaction, against the
// metadata as that transaction sees it: a bulk may create a table, track it
// and insert rows in one go. Package dataapi implements it and the server
// wires it in, so that metadata does not depend on the SQL compiler. Data
// commands outside such a bulk do not come here (the server routes them).
type DataRunner func(ctx context.Context, tx pgx.Tx, snap *Snapshot, r *Request) (any, error)

// SetDataRunner connects the legacy data commands.
func (m *Manager) SetDataRunner(run DataRunner) {
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	m.data = run
}

func (m *Manager) dataRunner() DataRunner {
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	return m.data
}

// The data commands, as ops entries: each runs through the DataRunner.
var opInsert, opSelect, opCount, opUpdate, opDelete opFunc = opData, opData, opData, opData, opData

func opData(w *work, r *Request) (any, error) {
	run := w.m.dataRunner()
	if run == nil {
		return nil, &APIError{Status: 400, Code: "not-supported", Path: "$.type",
			Message: "data commands are not available in this server"}
	}
	// Tables and permissions as this transaction sees them; data commands
	// need nothing else (not remote schemas, which resolve() also loads).
	cat, err := w.catalog()
	if err != nil {
		return nil, err
	}
	return run(w.ctx, w.tx, Resolve(w.md, cat, w.version, w.loadEnum), r)
}

// checkAccessMode refuses a bulk whose items need different transaction
// access modes, as Hasura does: writes to user tables (and run_sql by
// default) need READ WRITE, run_sql with read_only forces READ ONLY, and the
// other commands take either.
func checkAccessMode(items []Request, path string) error {
	expected := ""
	for i := range items {
		mode := ""
		switch items[i].Type {
		case "insert", "update", "delete":
			mode = "READ WRITE"
		case "run_sql":
			var a struct {
				ReadOnly bool `json:"read_only"`
			}
			_ = json.Unmarshal(items[i].Args, &a)
			mode = "READ WRITE"
			if a.ReadOnly {
				mode = "READ ONLY"
			}
		}
		switch {
		case mode == "" || mode == expected:
		case expected == "":
			expected = mode
		default:
			return &APIError{Status: 400, Code: "bad-request", Path: path,
				Message: fmt.Sprintf("incompatible access mode requirements in bulk query, expected access mode: %s but %s.args[%d] forces %s", expected, path, i, mode)}
		}
	}
	return nil
}
