package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// TestCLIAutoApply is the start-up step of `graft serve`: migrations then
// metadata, idempotent, and a failure is one line.
func TestCLIAutoApply(t *testing.T) {
	srv, dir, env := project(t)
	writeFile(t, filepath.Join(dir, "migrations/default/1700000000000_init/up.sql"), "CREATE TABLE author (id serial PRIMARY KEY, name text);")
	writeFile(t, filepath.Join(dir, "metadata/databases/databases.yaml"), `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url:
        from_env: HASURA_GRAPHQL_DATABASE_URL
  tables: "!include default/tables/tables.yaml"
`)
	writeFile(t, filepath.Join(dir, "metadata/databases/default/tables/tables.yaml"), "- \"!include public_author.yaml\"\n")
	writeFile(t, filepath.Join(dir, "metadata/databases/default/tables/public_author.yaml"), "table:\n  name: author\n  schema: public\n")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var out bytes.Buffer
	o := AutoApplyOptions{Endpoint: addr, AdminSecret: testenv.AdminSecret,
		MigrationsDir: filepath.Join(dir, "migrations"), MetadataDir: filepath.Join(dir, "metadata"), Out: &out}
	if err := AutoApply(ctx, o); err != nil {
		t.Fatalf("auto-apply: %v\n%s", err, out.String())
	}
	r := srv.GraphQL(`{ author { id name } }`, nil)
	if !strings.Contains(string(r.Body), `"author":[]`) {
		t.Errorf("author not served after auto-apply: %s", r.Body)
	}
	out.Reset()
	if err := AutoApply(ctx, o); err != nil {
		t.Fatalf("second auto-apply: %v", err)
	}
	if !strings.Contains(out.String(), "nothing to apply on database default") {
		t.Errorf("second auto-apply output:\n%s", out.String())
	}

	writeFile(t, filepath.Join(dir, "migrations/default/1700000000001_bad/up.sql"), "ALTER TABLE nope ADD COLUMN x int;")
	err := AutoApply(ctx, o)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `relation "nope" does not exist`) {
		t.Errorf("failing auto-apply: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "migrations/default/1700000000001_bad"))

	// `graft deploy` is the same sequence from the project.
	writeFile(t, filepath.Join(dir, "migrations/default/1700000000002_book/up.sql"), "CREATE TABLE book (id int);")
	out2 := mustCLI(t, env, "deploy", "--project", dir)
	for _, want := range []string{"applied 1700000000002_book (up)", "Metadata applied", "Metadata reloaded"} {
		if !strings.Contains(out2, want) {
			t.Errorf("deploy output lacks %q:\n%s", want, out2)
		}
	}
	if err := AutoApply(ctx, AutoApplyOptions{}); err != nil {
		t.Errorf("auto-apply without directories: %v", err)
	}
}

// TestCLISeeds creates a seed from a table's rows and plants it again.
func TestCLISeeds(t *testing.T) {
	srv, dir, env := project(t)
	srv.RunSQL(`CREATE TABLE author (id int PRIMARY KEY, name text, tags text[], meta jsonb);
INSERT INTO author VALUES (1, 'O''Brien', '{a,b}', '{"k": [1, 2]}'), (2, NULL, NULL, NULL),
  (3, E'first\n\n-- not a comment\nSET lock_timeout = 0;', NULL, NULL);`)
	out := mustCLI(t, env, "seed", "create", "authors", "--from-table", "author", "--project", dir)
	if !strings.Contains(out, "created seed file") {
		t.Errorf("seed create output: %q", out)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "seeds/default"))
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), "_authors.sql") {
		t.Fatalf("seed files: %v", entries)
	}
	sql := readFile(t, filepath.Join(dir, "seeds/default", entries[0].Name()))
	// pg_dump --data-only --column-inserts, cleaned as Hasura's CLI gets it:
	// no comments or SET preamble, but a value's own lines are kept.
	if strings.Count(sql, `INSERT INTO public.author (id, name, tags, meta) VALUES (`) != 3 ||
		strings.HasPrefix(sql, "--") || strings.HasPrefix(sql, "SET") || strings.Contains(sql, `\restrict`) {
		t.Errorf("seed SQL:\n%s", sql)
	}
	srv.RunSQL("TRUNCATE author")
	mustCLI(t, env, "seed", "apply", "--project", dir)
	r := srv.RunSQL("SELECT name || ' ' || tags::text || ' ' || meta::text FROM author WHERE id = 1")
	if !strings.Contains(string(r.Body), `O'Brien {a,b} {\"k\": [1, 2]}`) {
		t.Errorf("rows after seed apply: %s", r.Body)
	}
	r = srv.RunSQL("SELECT name = E'first\\n\\n-- not a comment\\nSET lock_timeout = 0;' FROM author WHERE id = 3")
	if !strings.Contains(string(r.Body), `["t"]`) {
		t.Errorf("multi-line value after seed apply: %s", r.Body)
	}
	// A failing seed file plants nothing.
	writeFile(t, filepath.Join(dir, "seeds/default/9999999999999_bad.sql"), "INSERT INTO author VALUES (4, 'x'); INSERT INTO nope VALUES (1);")
	srv.RunSQL("TRUNCATE author")
	failCLI(t, env, `relation "nope" does not exist`, "seed", "apply", "--project", dir)
	if r := srv.RunSQL("SELECT count(*) FROM author"); !strings.Contains(string(r.Body), `["0"]`) {
		t.Errorf("failed seed apply left rows: %s", r.Body)
	}
	mustCLI(t, env, "seed", "apply", "--file", entries[0].Name(), "--project", dir)

	// A seed in pg_dump's COPY format is refused, naming the file and line;
	// a database without seed files is an error, as with Hasura's CLI.
	writeFile(t, filepath.Join(dir, "seeds/default/9999999999999_bad.sql"), "SET x = 1;\nCOPY public.author (id, name) FROM stdin;\n5\tx\n\\.\n")
	failCLI(t, env, "9999999999999_bad.sql:2: COPY ... FROM stdin needs psql", "seed", "apply", "--project", dir)
	writeFile(t, filepath.Join(dir, "seeds/other/README.md"), "not a seed")
	failCLI(t, env, "no SQL files found in ", "seed", "apply", "--database-name", "other", "--project", dir)
}

// TestCLISeedReservedName: a table in a schema named by a reserved word
// seeds too.
func TestCLISeedReservedName(t *testing.T) {
	srv, dir, env := project(t)
	srv.RunSQL(`CREATE SCHEMA "user"; CREATE TABLE "user"."order" (id int PRIMARY KEY, "select" text);
INSERT INTO "user"."order" VALUES (1, 'first');`)
	mustCLI(t, env, "seed", "create", "orders", "--from-table", "user.order", "--project", dir)
	srv.RunSQL(`TRUNCATE "user"."order"`)
	mustCLI(t, env, "seed", "apply", "--project", dir)
	if r := srv.RunSQL(`SELECT "select" FROM "user"."order" WHERE id = 1`); !strings.Contains(string(r.Body), `["first"]`) {
		t.Errorf("rows after seed apply: %s", r.Body)
	}
}
