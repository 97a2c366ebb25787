package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLINoTransactionMigration: a migration opening with
// `-- graft:no-transaction` runs outside a transaction, so CREATE INDEX
// CONCURRENTLY works in up.sql and DROP INDEX CONCURRENTLY in down.sql;
// without the marker the same SQL fails and nothing is recorded.
func TestCLINoTransactionMigration(t *testing.T) {
	srv, dir, env := project(t)
	mig := filepath.Join(dir, "migrations/default")
	writeFile(t, filepath.Join(mig, "1700000000001_item/up.sql"), "CREATE TABLE item (id int PRIMARY KEY, name text);\nCREATE TYPE mood AS ENUM ('ok');")
	writeFile(t, filepath.Join(mig, "1700000000002_index/up.sql"), `-- builds without locking out writes
-- graft:no-transaction

CREATE INDEX CONCURRENTLY IF NOT EXISTS item_name ON item (name);
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';
`)
	writeFile(t, filepath.Join(mig, "1700000000002_index/down.sql"), "-- GRAFT: no-transaction\nDROP INDEX CONCURRENTLY item_name;")
	out := mustCLI(t, env, "migrate", "apply", "--project", dir)
	if !strings.Contains(out, "applied 1700000000002_index (up)") {
		t.Errorf("apply output:\n%s", out)
	}
	r := srv.RunSQL("SELECT i.indisvalid, 'meh'::mood FROM pg_index i WHERE i.indexrelid = 'item_name'::regclass")
	if !strings.Contains(string(r.Body), `["t","meh"]`) {
		t.Errorf("index after the no-transaction migration: %s", r.Body)
	}
	if st := mustCLI(t, env, "migrate", "status", "--project", dir); strings.Contains(st, "Not Present") {
		t.Errorf("status after apply:\n%s", st)
	}
	mustCLI(t, env, "migrate", "apply", "--down", "1", "--project", dir)
	if r := srv.RunSQL("SELECT to_regclass('item_name') IS NULL"); !strings.Contains(string(r.Body), `["t"]`) {
		t.Errorf("index after down: %s", r.Body)
	}

	// A squash across it is refused, leaving the project as it was.
	failCLI(t, env, "1700000000002_index is a no-transaction migration", "migrate", "squash", "--from", "1700000000001", "--project", dir)
	if dirs := migrationDirs(t, dir); len(dirs) != 2 {
		t.Errorf("migrations after a refused squash: %v", dirs)
	}

	// Without the marker (here: after a statement), Postgres refuses it.
	writeFile(t, filepath.Join(mig, "1700000000003_tx/up.sql"), "SELECT 1;\n-- graft:no-transaction\nCREATE INDEX CONCURRENTLY item_id2 ON item (id);")
	failCLI(t, env, "CREATE INDEX CONCURRENTLY cannot run inside a transaction block", "migrate", "apply", "--project", dir)
	st := mustCLI(t, env, "migrate", "status", "--project", dir)
	for _, line := range strings.Split(st, "\n") {
		if strings.HasPrefix(line, "1700000000003") && !strings.HasSuffix(strings.TrimSpace(line), "Not Present") {
			t.Errorf("failed migration recorded: %q", line)
		}
	}
}
