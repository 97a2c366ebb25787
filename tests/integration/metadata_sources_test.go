package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

func TestMetadataSourceRenameUpdateAndDump(t *testing.T) {
	t.Parallel()
	s := startValidation(t)
	other := testenv.NewDatabase(t)
	cfg := map[string]any{"connection_info": map[string]any{"database_url": other}}
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "pg1", "configuration": cfg}))

	mustMeta(t, s, op("rename_source", map[string]any{"name": "pg1", "new_name": "pg2"}))
	md := string(exportMetadata(t, s))
	if !strings.Contains(md, `"name":"pg2"`) || strings.Contains(md, `"name":"pg1"`) {
		t.Fatalf("exported metadata after rename: %s", md)
	}
	wantAdminError(t, meta(t, s, op("rename_source", map[string]any{"name": "pg1", "new_name": "pg3"})), 400, "not-exists", "")
	wantAdminError(t, meta(t, s, op("rename_source", map[string]any{"name": "pg2", "new_name": "default"})), 400, "already-exists", "")
	wantAdminError(t, meta(t, s, op("rename_source", map[string]any{"name": "default", "new_name": "main"})), 400, "not-supported", "")
	// The renamed source still works: run_sql reaches it under its new name.
	r := runSQL(t, s, `SELECT 1 AS one`, map[string]any{"source": "pg2"})
	wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["one"],["1"]]}`)

	cfg["connection_info"].(map[string]any)["pool_settings"] = map[string]any{"max_connections": 5}
	mustMeta(t, s, op("pg_update_source", map[string]any{"name": "pg2", "configuration": cfg}))
	if md := string(exportMetadata(t, s)); !strings.Contains(md, `"max_connections":5`) {
		t.Fatalf("exported metadata after update: %s", md)
	}
	wantAdminError(t, meta(t, s, op("pg_update_source", map[string]any{"name": "nope", "configuration": cfg})), 400, "not-exists", "")
	mustMeta(t, s, op("pg_drop_source", map[string]any{"name": "pg2"}))

	r = mustMeta(t, s, op("dump_internal_state", map[string]any{}))
	if field(t, r.Body, "tables", 0, "graphql_name") != "author" || field(t, r.Body, "tables", 0, "relationships", 0) != "articles" {
		t.Fatalf("dump_internal_state: %s", r.Body)
	}
}
