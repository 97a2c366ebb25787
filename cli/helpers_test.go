package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/spf13/cobra"
)

// runCLI runs `graft args...` in-process with env as the environment and
// returns what it printed and its error.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "graft", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(commands(func(k string) string { return env[k] })...)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// mustCLI is runCLI failing the test on an error.
func mustCLI(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, env, args...)
	if err != nil {
		t.Fatalf("graft %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// failCLI runs a command that must fail with a one-line error containing want.
func failCLI(t *testing.T, env map[string]string, want string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, env, args...)
	if err == nil {
		t.Fatalf("graft %s succeeded, want an error with %q\n%s", strings.Join(args, " "), want, out)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("graft %s: error is not one line: %q", strings.Join(args, " "), msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("graft %s: error %q does not contain %q", strings.Join(args, " "), msg, want)
	}
	return msg
}

// project starts a server on a fresh database and inits a project pointing
// at it; it returns the server, the project directory and the environment.
func project(t *testing.T) (*testenv.Server, string, map[string]string) {
	t.Helper()
	srv := testenv.Start(t, testenv.NewDatabase(t))
	dir := filepath.Join(t.TempDir(), "proj")
	env := map[string]string{"HASURA_GRAPHQL_ENDPOINT": srv.URL, "HASURA_GRAPHQL_ADMIN_SECRET": testenv.AdminSecret}
	mustCLI(t, env, "init", dir)
	return srv, dir, env
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// serverCatalogState returns the server's get_catalog_state answer.
func serverCatalogState(t *testing.T, srv *testenv.Server) map[string]any {
	t.Helper()
	r := srv.Metadata(map[string]any{"type": "get_catalog_state", "args": map[string]any{}})
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("get_catalog_state: %v: %s", err, r.Body)
	}
	return v
}

// tableExists asks the database whether public.name exists.
func tableExists(t *testing.T, srv *testenv.Server, name string) bool {
	t.Helper()
	r := srv.RunSQL("SELECT to_regclass('public." + name + "') IS NOT NULL")
	var res struct {
		Result [][]string `json:"result"`
	}
	if err := json.Unmarshal(r.Body, &res); err != nil {
		t.Fatalf("run_sql: %v: %s", err, r.Body)
	}
	return res.Result[1][0] == "t"
}

// migrationDirs lists migrations/default of a project.
func migrationDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "migrations", "default"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
