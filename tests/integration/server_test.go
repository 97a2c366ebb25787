package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/configs"
)

func TestServerHealthAndVersion(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id serial PRIMARY KEY, name text)`,
		op("pg_track_table", map[string]any{"table": "author"}))

	r := get(t, s, "/healthz")
	wantStatus(t, r, 200)
	if string(r.Body) != "OK" {
		t.Fatalf("/healthz = %q, want OK", r.Body)
	}

	r = get(t, s, "/v1/version")
	wantStatus(t, r, 200)
	if v, _ := field(t, r.Body, "version").(string); v == "" {
		t.Fatalf("/v1/version has no version string: %s", r.Body)
	}

	// Metadata that references a missing table, accepted as inconsistent.
	r = mustMeta(t, s, op("replace_metadata", map[string]any{
		"allow_inconsistent_metadata": true,
		"metadata": map[string]any{"version": 3, "sources": []any{map[string]any{
			"name": "default", "kind": "postgres",
			"tables":        []any{map[string]any{"table": "author"}, map[string]any{"table": "ghost"}},
			"configuration": map[string]any{"connection_info": map[string]any{"database_url": map[string]any{"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}},
		}}},
	}))
	if field(t, r.Body, "is_consistent") != false {
		t.Fatalf("replace_metadata with a missing table: %s", r.Body)
	}
	r = get(t, s, "/healthz")
	wantStatus(t, r, 200)
	if string(r.Body) != "WARN: inconsistent objects in schema" {
		t.Fatalf("/healthz with inconsistent metadata = %q", r.Body)
	}
	// The consistent part still serves.
	wantData(t, s, `{ author { id } }`, nil, `{"author":[]}`)

	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	if r = get(t, s, "/healthz"); string(r.Body) != "OK" {
		t.Fatalf("/healthz after drop_inconsistent_metadata = %q", r.Body)
	}
}

func TestServerAdminSecret(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id serial PRIMARY KEY, name text); INSERT INTO author (name) VALUES ('Ada'), ('Bob')`,
		op("pg_track_table", map[string]any{"table": "author"}))
	query := map[string]any{"query": `{ author(order_by: {id: asc}) { id name } }`}
	denied := `{"errors":[{"extensions":{"path":"$","code":"access-denied"},"message":"invalid x-hasura-admin-secret/x-hasura-access-key"}]}`

	t.Run("graphql without secret", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", query, nil)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, denied)
	})
	t.Run("graphql with wrong secret", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", query, map[string]string{"X-Hasura-Admin-Secret": "wrong"})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, denied)
	})
	t.Run("metadata without secret", func(t *testing.T) {
		r := post(t, s, "/v1/metadata", op("export_metadata", map[string]any{}), nil)
		wantStatus(t, r, 401)
		wantJSON(t, r.Body, `{"path":"$","error":"invalid x-hasura-admin-secret/x-hasura-access-key","code":"access-denied"}`)
	})
	t.Run("metadata with wrong secret", func(t *testing.T) {
		r := post(t, s, "/v1/metadata", op("export_metadata", map[string]any{}), map[string]string{"X-Hasura-Admin-Secret": "wrong"})
		wantStatus(t, r, 401)
		if field(t, r.Body, "code") != "access-denied" {
			t.Fatalf("body %s", r.Body)
		}
	})
	t.Run("explicit admin role is the same as none", func(t *testing.T) {
		plain := post(t, s, "/v1/graphql", query, admin())
		withRole := post(t, s, "/v1/graphql", query, admin(map[string]string{"X-Hasura-Role": "admin"}))
		wantOrdered(t, plain.Body, `{"data":{"author":[{"id":1,"name":"Ada"}, {"id":2,"name":"Bob"}]}}`)
		if !bytes.Equal(plain.Body, withRole.Body) || plain.Status != withRole.Status {
			t.Fatalf("X-Hasura-Role: admin changed the response:\n%s\n%s", plain.Body, withRole.Body)
		}
	})
	t.Run("non-admin role on metadata", func(t *testing.T) {
		for _, path := range []string{"/v1/metadata", "/v2/query", "/v1/query"} {
			r := post(t, s, path, op("export_metadata", map[string]any{}), admin(map[string]string{"X-Hasura-Role": "user"}))
			wantAdminError(t, r, 400, "access-denied", "restricted access : admin only")
		}
	})
	t.Run("non-admin role without permissions sees no tables", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", query, admin(map[string]string{"X-Hasura-Role": "user"}))
		wantGQLError(t, r, "validation-failed", "$.selectionSet.author", `field "author" not found in type: 'query_root'`)
	})
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	env := func(over map[string]string) func(string) string {
		base := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://u@localhost:5/db"}
		for k, v := range over {
			base[k] = v
		}
		return func(k string) string { return base[k] }
	}
	if _, err := configs.Load(env(nil), nil); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	cases := map[string]map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": {"HASURA_GRAPHQL_DATABASE_URL": "postgres://%zz"},
		"HASURA_GRAPHQL_SERVER_PORT":  {"HASURA_GRAPHQL_SERVER_PORT": "70000"},
	}
	for name, over := range cases {
		_, err := configs.Load(env(over), nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Load with bad %s: error %v, want one naming the variable", name, err)
		}
	}
	if _, err := configs.Load(env(map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "not a url at all"}), nil); err == nil ||
		!strings.Contains(err.Error(), "HASURA_GRAPHQL_DATABASE_URL") {
		t.Errorf("Load with a non-URL database: %v", err)
	}
}

func TestServeBadPortExits(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go toolchain not in PATH")
	}
	bin := filepath.Join(t.TempDir(), "graft")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/graftql/graft/cmd/graft")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"HASURA_GRAPHQL_DATABASE_URL=postgres://u@127.0.0.1:1/db",
		"HASURA_GRAPHQL_SERVER_PORT=70000")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("graft serve with port 70000: %v, want exit code 1 (stderr %q)", err, stderr.String())
	}
	msg := strings.TrimRight(stderr.String(), "\n")
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "HASURA_GRAPHQL_SERVER_PORT") {
		t.Fatalf("stderr %q: want one line naming HASURA_GRAPHQL_SERVER_PORT", stderr.String())
	}
}
