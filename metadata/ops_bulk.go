package metadata

import (
	"encoding/json"
	"fmt"
)

// bulkSavepoint marks the database as it was before a bulk step.
const bulkSavepoint = "graft_bulk_step"

// bulk runs the items of a bulk in turn and stops at the first failure.
//
// A failing bulk changes no metadata. On /v1/query, once a run_sql step has
// succeeded, the database changes of the steps before the failing one stay,
// as in Hasura v2, where each
// run_sql commits on its own while the metadata changes are only stored
// when the whole bulk succeeds: a bulk of [run_sql "create table",
// track_table] whose track_table fails leaves the table. Graft runs the bulk
// in one transaction, so once such a step has succeeded each later step runs
// under a savepoint; a failing step is rolled back to it and the rest is
// committed (keptSteps). /v2/query keeps its bulks atomic: the CLI applies a
// migration and records it as one bulk there (set_catalog_state).
func (w *work) bulk(endpoint string, r *Request, path string) (any, error) {
	var items []Request
	if err := json.Unmarshal(r.Args, &items); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: path + ".args", Message: "bulk expects a list: " + err.Error()}
	}
	if err := checkAccessMode(items, path); err != nil {
		return nil, err
	}
	stepwise := endpoint == EndpointQueryV1 && path == "$"
	kept := false // a step whose database changes Hasura would have committed
	out := make([]any, 0, len(items))
	for i := range items {
		if kept {
			if _, err := w.tx.Exec(w.ctx, "SAVEPOINT "+bulkSavepoint); err != nil {
				return nil, pgError(err)
			}
		}
		res, err := w.dispatch(endpoint, &items[i], fmt.Sprintf("%s.args[%d]", path, i))
		if err != nil {
			if kept {
				if _, rerr := w.tx.Exec(w.ctx, "ROLLBACK TO SAVEPOINT "+bulkSavepoint); rerr != nil {
					return nil, fmt.Errorf("roll back the failed bulk step: %w (after %w)", rerr, err)
				}
				w.keptSteps = true
			}
			return nil, err
		}
		if kept {
			if _, err := w.tx.Exec(w.ctx, "RELEASE SAVEPOINT "+bulkSavepoint); err != nil {
				return nil, pgError(err)
			}
		}
		out = append(out, res)
		kept = kept || (stepwise && commitsOnItsOwn(&items[i]))
	}
	return out, nil
}

// commitsOnItsOwn reports whether a bulk item's database changes stay when
// a later item fails: run_sql's (unless read only), which Hasura v2 commits
// at once. The data writes (insert, update, delete) stay atomic with the
// bulk, as Graft has always kept them (tests/integration
// v1query_write_test.go "bulk is one transaction").
func commitsOnItsOwn(r *Request) bool {
	if r.Type != "run_sql" {
		return false
	}
	var a runSQLArgs
	return json.Unmarshal(r.Args, &a) == nil && !a.ReadOnly
}
