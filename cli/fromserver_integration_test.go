package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// TestCLIMigrateCreateFromServer: `migrate create --from-server` writes the
// schemas' DDL from the server's pg_dump API into up.sql, and that
// migration builds the same tables on an empty database.
func TestCLIMigrateCreateFromServer(t *testing.T) {
	srv, dir, env := project(t)
	srv.RunSQL(`CREATE SCHEMA shop; CREATE SCHEMA other;
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.item (id serial PRIMARY KEY, author_id int REFERENCES author(id), price numeric NOT NULL DEFAULT 0);
CREATE INDEX item_price ON shop.item (price);
CREATE FUNCTION shop.cheap() RETURNS SETOF shop.item AS $$ SELECT * FROM shop.item WHERE price < 10 $$ LANGUAGE sql STABLE;
CREATE TABLE other.secret (id int);`)
	out := mustCLI(t, env, "migrate", "create", "init", "--from-server", "--schema", "public", "--schema", "shop", "--project", dir)
	if !strings.Contains(out, "Migrations files created name=init") {
		t.Errorf("output: %q", out)
	}
	dirs := migrationDirs(t, dir)
	if len(dirs) != 1 {
		t.Fatalf("migrations: %v", dirs)
	}
	up := readFile(t, filepath.Join(dir, "migrations/default", dirs[0], "up.sql"))
	for _, want := range []string{"CREATE SCHEMA shop;", "CREATE TABLE public.author (", "CREATE TABLE shop.item (",
		"CREATE INDEX item_price ON shop.item", "CREATE FUNCTION shop.cheap()"} {
		if !strings.Contains(up, want) {
			t.Errorf("up.sql lacks %q:\n%s", want, up)
		}
	}
	if strings.Contains(up, "other.secret") || strings.Contains(up, "SET statement_timeout") || strings.Contains(up, "\n--") || strings.Contains(up, "OWNER TO") {
		t.Errorf("up.sql has what Hasura's CLI leaves out:\n%s", up)
	}

	// The migration recreates the schema on another, empty server.
	fresh := testenv.Start(t, testenv.NewDatabase(t))
	env2 := map[string]string{"HASURA_GRAPHQL_ENDPOINT": fresh.URL, "HASURA_GRAPHQL_ADMIN_SECRET": testenv.AdminSecret}
	mustCLI(t, env2, "migrate", "apply", "--project", dir)
	r := fresh.RunSQL("SELECT to_regclass('shop.item') IS NOT NULL, to_regclass('other.secret') IS NULL, to_regprocedure('shop.cheap()') IS NOT NULL")
	if !strings.Contains(string(r.Body), `["t","t","t"]`) {
		t.Errorf("objects after applying the dump on a fresh database: %s", r.Body)
	}

	failCLI(t, env, "--from-server cannot be used with --up-sql", "migrate", "create", "x", "--from-server", "--up-sql", "SELECT 1", "--project", dir)
	// An unreachable server: one-line error, no migration left behind.
	stopped := map[string]string{"HASURA_GRAPHQL_ENDPOINT": "http://127.0.0.1:1", "HASURA_GRAPHQL_ADMIN_SECRET": testenv.AdminSecret}
	failCLI(t, stopped, "cannot reach the server", "migrate", "create", "x", "--from-server", "--project", dir)
	if len(migrationDirs(t, dir)) != 1 {
		t.Errorf("a failed --from-server left a migration: %v", migrationDirs(t, dir))
	}
	// pg_dump's own error comes back on one line naming the endpoint; no seed file is written.
	failCLI(t, env, srv.URL+"/v1alpha1/pg_dump: unexpected: error while executing pg_dump: pg_dump: error: no matching tables were found",
		"seed", "create", "x", "--from-table", "nope", "--project", dir)
	failCLI(t, env, `--from-table "a.b.c": expected table or schema.table`, "seed", "create", "x", "--from-table", "a.b.c", "--project", dir)
	if entries, _ := os.ReadDir(filepath.Join(dir, "seeds/default")); len(entries) != 0 {
		t.Errorf("a failed seed create left files: %v", entries)
	}
}
