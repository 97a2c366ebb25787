package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/helpers/remotegql"
	"github.com/graftql/graft/tests/testenv"
)

const roundTripSchema = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, body text);
CREATE SCHEMA shop;
CREATE TABLE shop.item (id serial PRIMARY KEY, price numeric NOT NULL);
CREATE FUNCTION search_articles(q text) RETURNS SETOF article AS $$ SELECT * FROM article WHERE title ILIKE '%' || q || '%' $$ LANGUAGE sql STABLE;
CREATE FUNCTION author_article_count(a author) RETURNS bigint AS $$ SELECT count(*) FROM article WHERE author_id = a.id $$ LANGUAGE sql STABLE;`

// remoteURLPlaceholder stands for the test's remote GraphQL server.
const remoteURLPlaceholder = "http://remote.invalid/graphql"

// roundTripMetadata uses every kind of object the v3 directory has a file for.
const roundTripMetadata = `{"version": 3, "sources": [{"name": "default", "kind": "postgres",
  "tables": [
    {"table": {"schema": "public", "name": "author"},
     "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on": {"table": {"schema": "public", "name": "article"}, "column": "author_id"}}}],
     "computed_fields": [{"name": "article_count", "definition": {"function": {"schema": "public", "name": "author_article_count"}}}],
     "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}]},
    {"table": {"schema": "public", "name": "article"},
     "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
     "insert_permissions": [{"role": "user", "permission": {"check": {"author_id": {"_eq": "X-Hasura-User-Id"}}, "columns": ["title", "body"]}}],
     "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}, "limit": 10}}]},
    {"table": {"schema": "shop", "name": "item"}, "configuration": {"custom_name": "shop_item"}}
  ],
  "functions": [{"function": {"schema": "public", "name": "search_articles"}}],
  "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}, "isolation_level": "read-committed", "pool_settings": {"connection_lifetime": 600, "idle_timeout": 180, "max_connections": 50, "retries": 1}, "use_prepared_statements": true}}}],
  "remote_schemas": [{"name": "countries", "definition": {"url": "` + remoteURLPlaceholder + `", "timeout_seconds": 60}, "comment": ""}],
  "query_collections": [{"name": "allowed-queries", "definition": {"queries": [{"name": "authors", "query": "query authors {\n  author {\n    id\n    name\n  }\n}"}]}}],
  "allowlist": [{"collection": "allowed-queries", "scope": {"global": true}}],
  "actions": [{"name": "login", "definition": {"handler": "http://127.0.0.1:1/login", "output_type": "LoginOutput", "arguments": [{"name": "username", "type": "String!"}], "type": "mutation", "kind": "synchronous"}}],
  "custom_types": {"objects": [{"name": "LoginOutput", "fields": [{"name": "token", "type": "String!"}]}]},
  "cron_triggers": [{"name": "nightly", "webhook": "http://127.0.0.1:1/nightly", "schedule": "0 3 * * *", "include_in_metadata": true, "payload": {"x": 1}, "retry_conf": {"num_retries": 0, "retry_interval_seconds": 10, "timeout_seconds": 60, "tolerance_seconds": 21600}}],
  "rest_endpoints": [{"name": "authors", "url": "authors", "methods": ["GET"], "definition": {"query": {"collection_name": "allowed-queries", "query_name": "authors"}}, "comment": null}],
  "inherited_roles": [{"role_name": "reader", "role_set": ["user", "guest"]}],
  "api_limits": {"disabled": false, "depth_limit": {"global": 10, "per_role": {}}},
  "metrics_config": {"analyze_query_variables": true, "analyze_response_body": false},
  "network": {"tls_allowlist": [{"host": "example.com", "suffix": null, "permissions": ["self-signed"]}]},
  "backend_configs": {"dataconnector": {}},
  "graphql_schema_introspection": {"disabled_for_roles": ["guest"]},
  "opentelemetry": {"status": "disabled", "data_types": ["traces"]}
}`

// v3Files are the files Hasura's CLI writes in a metadata directory.
var v3Files = []string{"actions.graphql", "actions.yaml", "allow_list.yaml", "api_limits.yaml", "backend_configs.yaml",
	"cron_triggers.yaml", "databases/databases.yaml", "graphql_schema_introspection.yaml", "inherited_roles.yaml",
	"metrics_config.yaml", "network.yaml", "opentelemetry.yaml", "query_collections.yaml", "remote_schemas.yaml",
	"rest_endpoints.yaml", "version.yaml"}

// TestCLIMetadataRoundTrip exports metadata holding every kind of object,
// applies the directory to an emptied server and exports again: the two
// directories and the server's JSON must be identical.
func TestCLIMetadataRoundTrip(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}
	srv.RunSQL(roundTripSchema)
	// The remote schema must answer: Graft introspects it when the metadata
	// is applied, as Hasura does, and refuses an unreachable one.
	remote, err := remotegql.StartPython(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remote.Stop)
	md := strings.Replace(roundTripMetadata, remoteURLPlaceholder, remote.URL+"/country-graphql", 1)
	srv.Metadata(map[string]any{"type": "replace_metadata", "args": json.RawMessage(md)})
	before := srv.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}).Body

	if out := mustCLI(t, env, append([]string{"metadata", "export"}, p...)...); !strings.Contains(out, "Metadata exported") {
		t.Errorf("export output: %q", out)
	}
	mdDir := filepath.Join(dir, "metadata")
	first, err := readMetadataDir(mdDir)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{"databases/default/functions/functions.yaml", "databases/default/functions/public_search_articles.yaml",
		"databases/default/tables/public_article.yaml", "databases/default/tables/public_author.yaml",
		"databases/default/tables/shop_item.yaml", "databases/default/tables/tables.yaml"}, v3Files...)
	sort.Strings(want)
	if got := sortedKeys(first); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exported files:\n got %v\nwant %v", got, want)
	}
	checks := map[string]string{
		"version.yaml":                         "version: 3\n",
		"databases/default/tables/tables.yaml": "- \"!include public_article.yaml\"\n- \"!include public_author.yaml\"\n- \"!include shop_item.yaml\"\n",
		"actions.graphql":                      "type Mutation {\n  login(\n    username: String!\n  ): LoginOutput\n}\n\n\n\n\ntype LoginOutput {\n  token: String!\n}\n\n",
	}
	for f, body := range checks {
		if got := string(first[f]); got != body && !(f == "databases/default/tables/tables.yaml" && strings.Count(got, "!include") == 3) {
			t.Errorf("%s = %q, want %q", f, got, body)
		}
	}
	dbs := string(first["databases/databases.yaml"])
	if !strings.HasPrefix(dbs, "- name: default\n  kind: postgres\n  configuration:\n") ||
		!strings.Contains(dbs, "  tables: \"!include default/tables/tables.yaml\"\n  functions: \"!include default/functions/functions.yaml\"\n") {
		t.Errorf("databases.yaml:\n%s", dbs)
	}
	if q := string(first["query_collections.yaml"]); !strings.Contains(q, "query: |-\n") {
		t.Errorf("multi-line query not written as a block:\n%s", q)
	}

	// Apply to an emptied server, export again: byte-identical.
	mustCLI(t, env, append([]string{"metadata", "clear"}, p...)...)
	if out := mustCLI(t, env, append([]string{"metadata", "apply"}, p...)...); !strings.Contains(out, "Metadata applied") {
		t.Errorf("apply output: %q", out)
	}
	after := srv.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}).Body
	// The same metadata; key order may differ where actions.graphql and
	// actions.yaml are merged back into one definition.
	var beforeV, afterV any
	if json.Unmarshal(before, &beforeV) != nil || json.Unmarshal(after, &afterV) != nil || !reflect.DeepEqual(beforeV, afterV) {
		t.Errorf("server metadata changed across export/apply:\nbefore %s\nafter  %s", before, after)
	}
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	second, err := readMetadataDir(mdDir)
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range first {
		if string(second[f]) != string(b) {
			t.Errorf("%s differs after export -> apply -> export:\n%s\n---\n%s", f, b, second[f])
		}
	}
	if len(second) != len(first) {
		t.Errorf("file count %d -> %d", len(first), len(second))
	}
	if out := mustCLI(t, env, append([]string{"metadata", "diff"}, p...)...); out != "" {
		t.Errorf("diff of identical metadata printed:\n%s", out)
	}
	writeFile(t, filepath.Join(mdDir, "cron_triggers.yaml"), "[]\n")
	if out := mustCLI(t, env, append([]string{"metadata", "diff"}, p...)...); !strings.Contains(out, "-  name: nightly") && !strings.Contains(out, "-- name: nightly") {
		t.Errorf("diff does not show the removed cron trigger:\n%s", out)
	}

	if out := mustCLI(t, env, append([]string{"metadata", "reload"}, p...)...); !strings.Contains(out, "Metadata reloaded") {
		t.Errorf("reload output: %q", out)
	}
	if out := mustCLI(t, env, append([]string{"metadata", "inconsistency", "status"}, p...)...); !strings.Contains(out, "metadata is consistent") {
		t.Errorf("ic status: %q", out)
	}
	testenv.Exec(t, srv.App.Config.DatabaseURL, "ALTER TABLE shop.item RENAME TO item_old")
	mustCLI(t, env, append([]string{"metadata", "reload"}, p...)...)
	out := mustCLI(t, env, append([]string{"metadata", "ic", "list"}, p...)...)
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "item") {
		t.Errorf("ic list after rename:\n%s", out)
	}
	mustCLI(t, env, append([]string{"metadata", "ic", "drop"}, p...)...)
	if out := mustCLI(t, env, append([]string{"metadata", "ic", "status"}, p...)...); !strings.Contains(out, "metadata is consistent") {
		t.Errorf("ic status after drop: %q", out)
	}
}

// TestCLIInitSkeleton checks the empty project `graft init` writes, file by file.
func TestCLIInitSkeleton(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hasura")
	mustCLI(t, nil, "init", dir, "--endpoint", "http://graft.example:8080")
	want := map[string]string{
		"config.yaml":                                "version: 3\nendpoint: http://graft.example:8080\nmetadata_directory: metadata\nactions:\n  kind: synchronous\n  handler_webhook_baseurl: http://localhost:3000\n",
		"metadata/actions.yaml":                      "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n",
		"metadata/actions.graphql":                   "",
		"metadata/databases/databases.yaml":          "[]\n",
		"metadata/graphql_schema_introspection.yaml": "disabled_for_roles: []\n",
		"metadata/api_limits.yaml":                   "{}\n",
		"metadata/cron_triggers.yaml":                "[]\n",
		"metadata/version.yaml":                      "version: 3\n",
	}
	for f, body := range want {
		if got := readFile(t, filepath.Join(dir, f)); got != body {
			t.Errorf("%s = %q, want %q", f, got, body)
		}
	}
	for _, d := range []string{"migrations", "seeds"} {
		if st, err := os.Stat(filepath.Join(dir, d)); err != nil || !st.IsDir() {
			t.Errorf("%s missing: %v", d, err)
		}
	}
	failCLI(t, nil, "already exists", "init", dir)
	md, err := BuildMetadata(filepath.Join(dir, "metadata"))
	if err != nil || string(md) != `{"version":3,"sources":[]}` {
		t.Errorf("empty project builds %s, %v", md, err)
	}
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
