package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
	"gopkg.in/yaml.v3"
)

// TestCLIOutputFormats: -o json|yaml where Hasura's CLI has it (metadata
// export to stdout, metadata ic list) and -o json for migrate status.
func TestCLIOutputFormats(t *testing.T) {
	srv, dir, env := project(t)
	srv.RunSQL("CREATE TABLE author (id int PRIMARY KEY, name text)")
	srv.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "author"}})
	p := []string{"--project", dir}
	mdDir := filepath.Join(dir, "metadata")
	before := readFile(t, filepath.Join(mdDir, "version.yaml"))

	out := mustCLI(t, env, append([]string{"metadata", "export", "-o", "json"}, p...)...)
	var md struct {
		Version int `json:"version"`
		Sources []struct {
			Name   string `json:"name"`
			Tables []struct {
				Table struct{ Name string } `json:"table"`
			} `json:"tables"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &md); err != nil || md.Version != 3 || len(md.Sources) != 1 || md.Sources[0].Tables[0].Table.Name != "author" {
		t.Fatalf("export -o json (%v):\n%s", err, out)
	}
	if !strings.HasPrefix(out, "{\n  \"version\": 3,\n  \"sources\": [") {
		t.Errorf("export -o json is not indented in the server's key order:\n%s", out)
	}
	out = mustCLI(t, env, append([]string{"metadata", "export", "--output", "yaml"}, p...)...)
	var y map[string]any
	if err := yaml.Unmarshal([]byte(out), &y); err != nil || y["version"] != 3 || !strings.HasPrefix(out, "version: 3\nsources:\n") {
		t.Errorf("export -o yaml (%v):\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(mdDir, "databases/default/tables/public_author.yaml")); err == nil {
		t.Errorf("export -o wrote the project's metadata directory")
	}
	if readFile(t, filepath.Join(mdDir, "version.yaml")) != before {
		t.Errorf("export -o changed version.yaml")
	}
	failCLI(t, env, `--output "xml" is not supported here: allowed values are [json yaml]`, append([]string{"metadata", "export", "-o", "xml"}, p...)...)

	// metadata apply --dry-run prints what the project builds and applies nothing.
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	srv.Metadata(map[string]any{"type": "pg_untrack_table", "args": map[string]any{"table": "author"}})
	out = mustCLI(t, env, append([]string{"metadata", "apply", "--dry-run"}, p...)...)
	if !strings.HasPrefix(out, "{\n  \"version\": 3,") || !strings.Contains(out, `"name": "author"`) {
		t.Errorf("apply --dry-run:\n%s", out)
	}
	if md := exportJSON(t, srv); strings.Contains(mustJSONString(t, md), `"author"`) {
		t.Errorf("apply --dry-run applied the metadata")
	}
	out = mustCLI(t, env, append([]string{"metadata", "apply", "-o", "yaml", "--disallow-inconsistent-metadata"}, p...)...)
	if !strings.HasPrefix(out, "version: 3\nsources:\n") || !strings.Contains(mustJSONString(t, exportJSON(t, srv)), `"author"`) {
		t.Errorf("apply -o yaml:\n%s", out)
	}

	if out := mustCLI(t, env, append([]string{"metadata", "ic", "list", "-o", "json"}, p...)...); strings.TrimSpace(out) != "[]" {
		t.Errorf("ic list -o json when consistent: %q", out)
	}
	testenv.Exec(t, srv.App.Config.DatabaseURL, "ALTER TABLE author RENAME TO writer")
	mustCLI(t, env, append([]string{"metadata", "reload"}, p...)...)
	out = mustCLI(t, env, append([]string{"metadata", "ic", "ls", "-o", "json"}, p...)...)
	var objs []map[string]any
	if err := json.Unmarshal([]byte(out), &objs); err != nil || len(objs) != 1 || objs[0]["type"] != "table" || objs[0]["reason"] == "" {
		t.Errorf("ic list -o json (%v):\n%s", err, out)
	}
	if out := mustCLI(t, env, append([]string{"metadata", "ic", "list"}, p...)...); !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "author") {
		t.Errorf("ic list table:\n%s", out)
	}

	writeFile(t, filepath.Join(dir, "migrations/default/1700000000001_a/up.sql"), "SELECT 1;")
	writeFile(t, filepath.Join(dir, "migrations/default/1700000000002_b/up.sql"), "SELECT 2;")
	mustCLI(t, env, append([]string{"migrate", "apply", "--up", "1"}, p...)...)
	out = mustCLI(t, env, append([]string{"migrate", "status", "-o", "json"}, p...)...)
	want := `{
  "database": "default",
  "migrations": [
    {
      "version": 1700000000001,
      "name": "a",
      "source_status": true,
      "database_status": true
    },
    {
      "version": 1700000000002,
      "name": "b",
      "source_status": true,
      "database_status": false
    }
  ]
}
`
	if out != want {
		t.Errorf("migrate status -o json:\n%s\nwant:\n%s", out, want)
	}
	failCLI(t, env, "--output \"yaml\" is not supported here", append([]string{"migrate", "status", "-o", "yaml"}, p...)...)
}

// TestCLIEnvfile: the project's .env (or --envfile) gives
// HASURA_GRAPHQL_ENDPOINT and HASURA_GRAPHQL_ADMIN_SECRET; variables already
// set in the environment win, as with Hasura's CLI.
func TestCLIEnvfile(t *testing.T) {
	srv, dir, _ := project(t)
	p := []string{"--project", dir}
	writeFile(t, filepath.Join(dir, ".env"), "# project settings\nHASURA_GRAPHQL_ENDPOINT="+srv.URL+"\nexport HASURA_GRAPHQL_ADMIN_SECRET=\""+testenv.AdminSecret+"\"\n")
	if out := mustCLI(t, map[string]string{}, append([]string{"migrate", "status"}, p...)...); !strings.HasPrefix(out, "VERSION") {
		t.Errorf("status with .env: %q", out)
	}
	// The environment wins over the file: a wrong secret there fails.
	failCLI(t, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": "wrong"}, "invalid x-hasura-admin-secret", append([]string{"migrate", "status"}, p...)...)
	// --envfile names another file, relative to the project.
	if err := os.Rename(filepath.Join(dir, ".env"), filepath.Join(dir, "staging.env")); err != nil {
		t.Fatal(err)
	}
	failCLI(t, map[string]string{}, "cannot reach the server at http://localhost:8080", append([]string{"migrate", "status"}, p...)...)
	mustCLI(t, map[string]string{}, append([]string{"migrate", "status", "--envfile", "staging.env"}, p...)...)
	failCLI(t, map[string]string{}, "--envfile "+filepath.Join(dir, "missing.env")+": no such file or directory", append([]string{"migrate", "status", "--envfile", "missing.env"}, p...)...)
	writeFile(t, filepath.Join(dir, "bad.env"), "HASURA GRAPHQL ENDPOINT\n")
	failCLI(t, map[string]string{}, "--envfile "+filepath.Join(dir, "bad.env")+": ", append([]string{"migrate", "status", "--envfile", "bad.env"}, p...)...)
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
