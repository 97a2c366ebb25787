package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIBadInput: each mistake gives one line naming the file (and line)
// or the server, and nothing reaches the server half-done.
func TestCLIBadInput(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}
	srv.RunSQL("CREATE TABLE author (id serial PRIMARY KEY, name text)")
	srv.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "author"}})
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	md := filepath.Join(dir, "metadata")
	before := string(srv.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}).Body)

	// Malformed YAML in an included table file: the file and its line.
	tableFile := filepath.Join(md, "databases/default/tables/public_author.yaml")
	good := readFile(t, tableFile)
	writeFile(t, tableFile, "table:\n  schema: public\n  name: author\nselect_permissions:\n  - role: user\n   permission: {}\n")
	failCLI(t, env, "metadata/databases/default/tables/public_author.yaml: malformed YAML: line 4:", append([]string{"metadata", "apply"}, p...)...)
	writeFile(t, tableFile, good)

	// A missing !include target: the including file, its line, the target.
	tables := filepath.Join(md, "databases/default/tables/tables.yaml")
	writeFile(t, tables, "- \"!include public_author.yaml\"\n- \"!include public_missing.yaml\"\n")
	failCLI(t, env, "metadata/databases/default/tables/tables.yaml:2: !include public_missing.yaml: file metadata/databases/default/tables/public_missing.yaml not found",
		append([]string{"metadata", "apply"}, p...)...)
	writeFile(t, tables, "- \"!include public_author.yaml\"\n")

	// Metadata the server rejects: its error, and the old metadata kept.
	writeFile(t, tables, "- \"!include public_author.yaml\"\n- table: {schema: public, name: no_such_table}\n")
	failCLI(t, env, "apply metadata:", append([]string{"metadata", "apply"}, p...)...)
	if after := string(srv.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}).Body); after != before {
		t.Errorf("failed applies changed the server's metadata:\n%s\n%s", before, after)
	}
	writeFile(t, tables, "- \"!include public_author.yaml\"\n")
	mustCLI(t, env, append([]string{"metadata", "apply"}, p...)...)

	// A migration directory without up.sql.
	noUp := filepath.Join(dir, "migrations/default/1700000000000_no_up")
	writeFile(t, filepath.Join(noUp, "down.sql"), "SELECT 1;")
	failCLI(t, env, "1700000000000_no_up: migration has no up.sql", append([]string{"migrate", "apply"}, p...)...)
	failCLI(t, env, "no up.sql", append([]string{"migrate", "status"}, p...)...)
	os.RemoveAll(noUp)
	writeFile(t, filepath.Join(dir, "migrations/default/not_a_version/up.sql"), "SELECT 1;")
	failCLI(t, env, "must be named <version>_<name>", append([]string{"migrate", "apply"}, p...)...)
	os.RemoveAll(filepath.Join(dir, "migrations/default/not_a_version"))

	// Config versions graft does not read.
	cfg := filepath.Join(dir, "config.yaml")
	goodCfg := readFile(t, cfg)
	writeFile(t, cfg, strings.Replace(goodCfg, "version: 3", "version: 7", 1))
	failCLI(t, env, "unknown config version 7", append([]string{"migrate", "status"}, p...)...)
	writeFile(t, cfg, strings.Replace(goodCfg, "version: 3", "version: 2", 1))
	failCLI(t, env, "config version 2 is not supported", append([]string{"metadata", "export"}, p...)...)
	writeFile(t, cfg, "version: [3\n")
	failCLI(t, env, "config.yaml: malformed YAML", append([]string{"metadata", "export"}, p...)...)
	writeFile(t, cfg, goodCfg)
	failCLI(t, env, "no config.yaml in", "migrate", "status", "--project", t.TempDir())

	// The server is down: a closed port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	failCLI(t, env, "cannot reach the server at "+closed, append([]string{"migrate", "status", "--endpoint", closed}, p...)...)
	failCLI(t, env, "cannot reach the server at "+closed, append([]string{"metadata", "apply", "--endpoint", closed}, p...)...)

	// A wrong admin secret: the server's answer.
	failCLI(t, env, "access-denied", append([]string{"metadata", "export", "--admin-secret", "wrong"}, p...)...)
}
