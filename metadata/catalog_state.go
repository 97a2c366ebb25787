package metadata

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Catalog state is Hasura's small key-value store beside the metadata: the
// CLI keeps its migration versions and settings in cli_state, the console
// its preferences in console_state. Neither is metadata, so changing it
// neither bumps resource_version nor reloads the schema.
//
// A database Hasura created keeps the state in hdb_catalog.hdb_version; Graft
// reads and writes that row when the table exists, so a project moved
// between Hasura and Graft keeps its migration history. Otherwise Graft keeps
// it in its own one-row table, created when state is first stored.
const catalogStateDDL = `
CREATE TABLE IF NOT EXISTS hdb_catalog.graft_catalog_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hasura_uuid UUID NOT NULL,
  cli_state JSONB NOT NULL DEFAULT '{}'::jsonb,
  console_state JSONB NOT NULL DEFAULT '{}'::jsonb
);
INSERT INTO hdb_catalog.graft_catalog_state (id, hasura_uuid)
VALUES (1, md5(random()::text || clock_timestamp()::text)::uuid)
ON CONFLICT (id) DO NOTHING;`

// noStateID is get_catalog_state's id before any state is stored: reading
// creates nothing (a read-only role can read), and the id is only chosen
// when the row is created.
const noStateID = "00000000-0000-0000-0000-000000000000"

// stateTable returns the table holding the state: Hasura's hdb_version when
// it has a row, else Graft's own, created when create is set. Without
// create, "" means there is no state yet. The request's transaction holds
// the catalog advisory lock, so first uses cannot race.
func (w *work) stateTable(create bool) (string, error) {
	var hasura bool
	err := w.tx.QueryRow(w.ctx, `SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL`).Scan(&hasura)
	if err != nil {
		return "", fmt.Errorf("look for hdb_version: %w", err)
	}
	if hasura {
		// An empty hdb_version is a Hasura catalog never finished: keep
		// Graft's own row rather than invent Hasura's.
		if err := w.tx.QueryRow(w.ctx, `SELECT EXISTS (SELECT 1 FROM hdb_catalog.hdb_version)`).Scan(&hasura); err != nil {
			return "", fmt.Errorf("read hdb_version: %w", err)
		}
	}
	if hasura {
		return "hdb_catalog.hdb_version", nil
	}
	if !create {
		var exists bool
		err := w.tx.QueryRow(w.ctx, `SELECT to_regclass('hdb_catalog.graft_catalog_state') IS NOT NULL`).Scan(&exists)
		if err != nil {
			return "", fmt.Errorf("look for the catalog state table: %w", err)
		}
		if !exists {
			return "", nil
		}
		return "hdb_catalog.graft_catalog_state", nil
	}
	if _, err := w.tx.Exec(w.ctx, catalogStateDDL); err != nil {
		return "", fmt.Errorf("create catalog state table: %w", err)
	}
	return "hdb_catalog.graft_catalog_state", nil
}

func opGetCatalogState(w *work, r *Request) (any, error) {
	table, err := w.stateTable(false)
	if err != nil {
		return nil, err
	}
	if table == "" {
		return map[string]any{"id": noStateID, "cli_state": map[string]any{}, "console_state": map[string]any{}}, nil
	}
	var id string
	var cli, console []byte
	err = w.tx.QueryRow(w.ctx, `SELECT hasura_uuid::text, cli_state::text, console_state::text FROM `+table+` LIMIT 1`).
		Scan(&id, &cli, &console)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("catalog state row is missing in %s", table)
	}
	if err != nil {
		return nil, fmt.Errorf("read catalog state: %w", err)
	}
	return map[string]any{"id": id, "cli_state": json.RawMessage(cli), "console_state": json.RawMessage(console)}, nil
}

func opSetCatalogState(w *work, r *Request) (any, error) {
	var a struct {
		Type  string          `json:"type"`
		State json.RawMessage `json:"state"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	column := map[string]string{"cli": "cli_state", "console": "console_state"}[a.Type]
	if column == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.type",
			Message: fmt.Sprintf("expected one of cli, console for catalog state type, got %q", a.Type)}
	}
	var probe map[string]json.RawMessage
	if len(a.State) == 0 || json.Unmarshal(a.State, &probe) != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.state", Message: "state must be a JSON object"}
	}
	table, err := w.stateTable(true)
	if err != nil {
		return nil, err
	}
	if _, err := w.tx.Exec(w.ctx, `UPDATE `+table+` SET `+column+` = $1::jsonb`, string(a.State)); err != nil {
		return nil, fmt.Errorf("store catalog state: %w", err)
	}
	return success, nil
}
