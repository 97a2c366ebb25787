package integration

import (
	"testing"
)

// TestCatalogStateGetDoesNotWrite: get_catalog_state on a database with no
// state yet answers the defaults and creates nothing; set_catalog_state
// creates the state.
func TestCatalogStateGetDoesNotWrite(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, "")
	stateTable := func() string {
		t.Helper()
		r := runSQL(t, s, `SELECT to_regclass('hdb_catalog.graft_catalog_state') IS NOT NULL`)
		wantStatus(t, r, 200)
		return mustJSON(field(t, r.Body, "result", 1, 0))
	}
	for _, path := range []string{"/v1/metadata", "/v2/query"} {
		r := post(t, s, path, op("get_catalog_state", map[string]any{}), admin())
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"id":"00000000-0000-0000-0000-000000000000","cli_state":{},"console_state":{}}`)
	}
	if got := stateTable(); got != `"f"` {
		t.Fatalf("get_catalog_state created the state table: %s", got)
	}
	mustMeta(t, s, op("set_catalog_state", map[string]any{"type": "console", "state": map[string]any{"k": 1}}))
	if got := stateTable(); got != `"t"` {
		t.Fatalf("set_catalog_state did not create the state table: %s", got)
	}
	r := mustMeta(t, s, op("get_catalog_state", map[string]any{}))
	if got := mustJSON(field(t, r.Body, "console_state")); got != `{"k":1}` {
		t.Fatalf("console_state after set: %s", r.Body)
	}
}
