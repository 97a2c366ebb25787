package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLIMigrateLifecycle walks init -> migrate create -> apply -> status ->
// down -> squash against a real server, checking the database, the
// server's migration state and the project files at each step.
func TestCLIMigrateLifecycle(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}
	for _, f := range []string{"config.yaml", "metadata/version.yaml", "metadata/databases/databases.yaml", "metadata/actions.graphql"} {
		readFile(t, filepath.Join(dir, f))
	}

	out := mustCLI(t, env, append([]string{"migrate", "create", "create_author", "--up-sql", "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);", "--down-sql", "DROP TABLE author;"}, p...)...)
	if !strings.Contains(out, "name=create_author") {
		t.Errorf("create output: %q", out)
	}
	sqlFile := filepath.Join(t.TempDir(), "book.sql")
	writeFile(t, sqlFile, "CREATE TABLE book (id serial PRIMARY KEY, author_id int REFERENCES author(id));\n")
	mustCLI(t, env, append([]string{"migrate", "create", "create_book", "--sql-from-file", sqlFile, "--down-sql", "DROP TABLE book;"}, p...)...)
	dirs := migrationDirs(t, dir)
	if len(dirs) != 2 || !strings.HasSuffix(dirs[0], "_create_author") || !strings.HasSuffix(dirs[1], "_create_book") {
		t.Fatalf("migration directories: %v", dirs)
	}
	if got := readFile(t, filepath.Join(dir, "migrations/default", dirs[1], "up.sql")); !strings.Contains(got, "CREATE TABLE book") {
		t.Errorf("up.sql from --sql-from-file: %q", got)
	}
	v1, v2 := strings.SplitN(dirs[0], "_", 2)[0], strings.SplitN(dirs[1], "_", 2)[0]

	out = mustCLI(t, env, append([]string{"migrate", "apply", "--dry-run"}, p...)...)
	if !strings.Contains(out, dirs[0]) || tableExists(t, srv, "author") {
		t.Fatalf("dry run applied or did not list: %q", out)
	}
	out = mustCLI(t, env, append([]string{"migrate", "apply"}, p...)...)
	for _, want := range []string{"applied " + dirs[0] + " (up) in ", "applied " + dirs[1] + " (up) in ", "migrations applied on database default: 2 in "} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	if !tableExists(t, srv, "author") || !tableExists(t, srv, "book") {
		t.Fatal("tables not created")
	}
	if out := mustCLI(t, env, append([]string{"migrate", "apply"}, p...)...); !strings.Contains(out, "nothing to apply on database default") {
		t.Errorf("second apply: %q", out)
	}

	out = mustCLI(t, env, append([]string{"migrate", "status"}, p...)...)
	statusRow := regexp.MustCompile(`(?m)^` + v2 + `\s+create_book\s+Present\s+Present\s*$`)
	if !strings.HasPrefix(out, "VERSION") || !strings.Contains(out, "SOURCE STATUS") || !statusRow.MatchString(out) {
		t.Errorf("status:\n%s", out)
	}

	out = mustCLI(t, env, append([]string{"migrate", "apply", "--down", "1"}, p...)...)
	if !strings.Contains(out, dirs[1]+" (down)") || tableExists(t, srv, "book") || !tableExists(t, srv, "author") {
		t.Fatalf("down 1: %q", out)
	}
	out = mustCLI(t, env, append([]string{"migrate", "status"}, p...)...)
	if !regexp.MustCompile(`(?m)^` + v2 + `\s+create_book\s+Present\s+Not Present\s*$`).MatchString(out) {
		t.Errorf("status after down:\n%s", out)
	}
	state := serverCatalogState(t, srv)["cli_state"].(map[string]any)
	if got := state["migrations"].(map[string]any)["default"]; len(got.(map[string]any)) != 1 || got.(map[string]any)[v1] != false {
		t.Errorf("cli_state after down: %v", state)
	}
	mustCLI(t, env, append([]string{"migrate", "apply", "--version", v2, "--type", "up"}, p...)...)
	if !tableExists(t, srv, "book") {
		t.Fatal("--version up did not create book")
	}
	failCLI(t, env, "already applied", append([]string{"migrate", "apply", "--version", v2}, p...)...)

	// A failing migration stops with the SQL error; its own statements roll
	// back and the state stays at the last good version.
	mustCLI(t, env, append([]string{"migrate", "create", "broken", "--up-sql", "CREATE TABLE partial (id int); SELECT * FROM no_such_table;"}, p...)...)
	msg := failCLI(t, env, `relation "no_such_table" does not exist`, append([]string{"migrate", "apply"}, p...)...)
	if !strings.Contains(msg, "_broken (up) failed") || !strings.Contains(msg, "at version "+v2) {
		t.Errorf("failure message: %q", msg)
	}
	if tableExists(t, srv, "partial") {
		t.Error("the failing migration's first statement was not rolled back")
	}
	broken := migrationDirs(t, dir)[2]
	mustCLI(t, env, append([]string{"migrate", "delete", "--version", strings.SplitN(broken, "_", 2)[0]}, p...)...)
	if len(migrationDirs(t, dir)) != 2 {
		t.Fatalf("delete left %v", migrationDirs(t, dir))
	}

	// Squash both into one: the new migration holds both SQLs, is recorded
	// as applied, and the sources leave the project and the state.
	out = mustCLI(t, env, append([]string{"migrate", "squash", "--from", v1, "--name", "init", "--delete-source"}, p...)...)
	if !strings.Contains(out, "squashing 2 migrations") {
		t.Errorf("squash output: %q", out)
	}
	dirs = migrationDirs(t, dir)
	if len(dirs) != 1 || !strings.HasSuffix(dirs[0], "_init") {
		t.Fatalf("after squash: %v", dirs)
	}
	up := readFile(t, filepath.Join(dir, "migrations/default", dirs[0], "up.sql"))
	down := readFile(t, filepath.Join(dir, "migrations/default", dirs[0], "down.sql"))
	if strings.Index(up, "CREATE TABLE author") > strings.Index(up, "CREATE TABLE book") || strings.Index(down, "DROP TABLE book") > strings.Index(down, "DROP TABLE author") {
		t.Errorf("squashed SQL out of order:\nup:\n%s\ndown:\n%s", up, down)
	}
	out = mustCLI(t, env, append([]string{"migrate", "status"}, p...)...)
	if strings.Count(out, "\n") != 2 || !regexp.MustCompile(`_?init\s+Present\s+Present`).MatchString(out) {
		t.Errorf("status after squash:\n%s", out)
	}
	if out := mustCLI(t, env, append([]string{"migrate", "apply"}, p...)...); !strings.Contains(out, "nothing to apply") {
		t.Errorf("apply after squash: %q", out)
	}
	// --down all through the squashed migration empties the database again.
	mustCLI(t, env, append([]string{"migrate", "apply", "--down", "all"}, p...)...)
	if tableExists(t, srv, "author") || tableExists(t, srv, "book") {
		t.Error("--down all left tables")
	}
	mustCLI(t, env, append([]string{"migrate", "apply", "--goto", strings.SplitN(dirs[0], "_", 2)[0]}, p...)...)
	if !tableExists(t, srv, "book") {
		t.Error("--goto did not apply the squashed migration")
	}
}
