package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// TestCLIMigrateApplyAllDatabases: --all-databases applies the migrations of
// every database directory, each on its own source, and records each under
// its database in the catalog state.
func TestCLIMigrateApplyAllDatabases(t *testing.T) {
	srv, dir, env := project(t)
	second := testenv.NewDatabase(t)
	srv.Metadata(map[string]any{"type": "pg_add_source", "args": map[string]any{"name": "second",
		"configuration": map[string]any{"connection_info": map[string]any{"database_url": second}}}})
	mig := filepath.Join(dir, "migrations")
	writeFile(t, filepath.Join(mig, "default", "1700000000001_a", "up.sql"), "CREATE TABLE in_default (id int);")
	writeFile(t, filepath.Join(mig, "second", "1700000000002_b", "up.sql"), "CREATE TABLE in_second (id int);")

	out := mustCLI(t, env, "migrate", "apply", "--all-databases", "--project", dir)
	if !strings.Contains(out, "1700000000001") || !strings.Contains(out, "1700000000002") {
		t.Errorf("apply output names both migrations:\n%s", out)
	}
	if r := srv.RunSQL(`SELECT to_regclass('public.in_default') IS NOT NULL`); !strings.Contains(string(r.Body), `["t"]`) {
		t.Errorf("default's migration did not run: %s", r.Body)
	}
	conn, err := pgx.Connect(t.Context(), second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var found bool
	if err := conn.QueryRow(t.Context(), `SELECT to_regclass('public.in_second') IS NOT NULL`).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Error("second's migration did not run on the second database")
	}
	if r := srv.RunSQL(`SELECT to_regclass('public.in_second') IS NOT NULL`); !strings.Contains(string(r.Body), `["f"]`) {
		t.Errorf("second's migration ran on the default database: %s", r.Body)
	}
	state := serverCatalogState(t, srv)
	migs, _ := state["cli_state"].(map[string]any)["migrations"].(map[string]any)
	if _, ok := migs["default"].(map[string]any)["1700000000001"]; !ok {
		t.Errorf("default's version not recorded: %v", migs)
	}
	if _, ok := migs["second"].(map[string]any)["1700000000002"]; !ok {
		t.Errorf("second's version not recorded: %v", migs)
	}
	// Nothing left to apply anywhere.
	if out := mustCLI(t, env, "migrate", "apply", "--all-databases", "--project", dir); strings.Contains(out, "1700000000002_b") {
		t.Errorf("second run applied again:\n%s", out)
	}
}
