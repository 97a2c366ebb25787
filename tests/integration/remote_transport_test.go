package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/helpers/remotegql"
	gographql "github.com/graphql-go/graphql"
)

// Configured headers win over session variables, which win over the
// client's forwarded headers; Set-Cookie from the remote reaches the client.
func TestRemoteSchemaHeadersAndCookies(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("header-graphql", remote.URL+"/header-graphql", map[string]any{
		"headers": []any{map[string]any{"name": "x-hasura-test", "value": "abcd"}}, "forward_client_headers": true}))
	r := post(t, s, "/v1/graphql", map[string]any{"query": "{ wassup }"}, admin(map[string]string{
		"x-hasura-test": "xyzz", "x-hasura-role": "user", "x-hasura-user-id": "abcd1234", "Authorization": "Bearer abcdef"}))
	wantOrdered(t, r.Body, `{"data":{"wassup":"Hello world"}}`)

	mustMeta(t, s, addRemote("auth", remote.URL+"/auth-graphql", nil))
	r = gql(t, s, `{ hello }`, nil)
	wantOrdered(t, r.Body, `{"data":{"hello":"Hello world"}}`)
	if got := r.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != "abcd" {
		t.Fatalf("Set-Cookie = %q, want [abcd]", got)
	}
	if r.Header.Get("Custom-Header") != "" {
		t.Fatalf("Custom-Header passed through: %q", r.Header.Get("Custom-Header"))
	}
}

// A remote slower than timeout_seconds fails its field with Hasura's
// http_exception naming the URL template as configured. Not parallel: the
// template's variable is set for the process.
func TestRemoteSchemaTimeoutNamesTemplate(t *testing.T) {
	remote := startPythonRemote(t)
	t.Setenv("GRAFT_TEST_REMOTE_URL", remote.URL)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("slow", "{{GRAFT_TEST_REMOTE_URL}}/hello-graphql", map[string]any{"timeout_seconds": 1}))
	// delayedHello answers after 10 s: only the 1 s timeout gives this error.
	r := gql(t, s, `{ delayedHello }`, nil)
	wantGQLError(t, r, "unexpected", "$", `HTTP exception occurred while sending the request to "{{GRAFT_TEST_REMOTE_URL}}/hello-graphql"`)
	if !strings.Contains(string(r.Body), `"type":"http_exception"`) {
		t.Fatalf("no http_exception in %s", r.Body)
	}
}

// A remote that went away fails only its own fields; reload_metadata marks
// it inconsistent, and reload_remote_schema once it is back restores it.
func TestRemoteSchemaDownAndBack(t *testing.T) {
	t.Parallel()
	remote, err := remotegql.StartPython(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY); INSERT INTO author VALUES (1)`,
		op("pg_track_table", map[string]any{"table": "author"}))
	mustMeta(t, s, addRemote("countries", remote.URL+"/country-graphql", nil))
	remote.Stop()

	wantGQLError(t, gql(t, s, `{ country { name } }`, nil), "unexpected", "$", "HTTP exception occurred")
	wantData(t, s, `{ author { id } }`, nil, `{"author":[{"id":1}]}`)

	r := mustMeta(t, s, op("reload_metadata", map[string]any{"reload_remote_schemas": true}))
	if !strings.Contains(string(r.Body), `"is_consistent":false`) || !strings.Contains(string(r.Body), `"type":"remote_schema"`) {
		t.Fatalf("reload_metadata = %s", r.Body)
	}
	wantGQLError(t, gql(t, s, `{ country { name } }`, nil), "validation-failed", "", "country")
	wantData(t, s, `{ author { id } }`, nil, `{"author":[{"id":1}]}`)

	u, _ := url.Parse(remote.URL)
	back, err := remotegql.StartPython(context.Background(), u.Host)
	if err != nil {
		t.Skipf("port %s taken again: %v", u.Host, err)
	}
	t.Cleanup(back.Stop)
	mustMeta(t, s, op("reload_remote_schema", map[string]any{"name": "countries"}))
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if !strings.Contains(string(r.Body), `"is_consistent":true`) {
		t.Fatalf("still inconsistent: %s", r.Body)
	}
	wantData(t, s, `{ country { name } author { id } }`, nil, `{"country":{"name":"India"},"author":[{"id":1}]}`)
}

// drop_inconsistent_metadata removes a remote schema that no longer loads.
func TestRemoteSchemaDropInconsistent(t *testing.T) {
	t.Parallel()
	remote, err := remotegql.StartPython(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("gone", remote.URL+"/country-graphql", nil))
	remote.Stop()
	r := mustMeta(t, s, op("reload_metadata", map[string]any{"reload_remote_schemas": []string{"gone"}}))
	if !strings.Contains(string(r.Body), `"name":"remote_schema gone"`) {
		t.Fatalf("reload_metadata = %s", r.Body)
	}
	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, "remote_schemas") {
		t.Fatalf("the remote schema is still there: %s", exp)
	}
}

// A remote type taking a name the tables' types use cannot join the
// schema: the tables are still served, the remote's fields are not.
func TestRemoteSchemaTypeClashKeepsTablesServed(t *testing.T) {
	t.Parallel()
	orderBy := gographql.NewEnum(gographql.EnumConfig{Name: "order_by", Values: gographql.EnumValueConfigMap{"x": {Value: "x"}}})
	schema, err := gographql.NewSchema(gographql.SchemaConfig{Query: gographql.NewObject(gographql.ObjectConfig{Name: "Query", Fields: gographql.Fields{
		"clash": {Type: orderBy, Resolve: func(gographql.ResolveParams) (any, error) { return "x", nil }}}})})
	if err != nil {
		t.Fatal(err)
	}
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Query string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		_ = json.NewEncoder(w).Encode(gographql.Do(gographql.Params{Schema: schema, RequestString: req.Query}))
	}))
	t.Cleanup(remote.Close)
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY); INSERT INTO author VALUES (1)`,
		op("pg_track_table", map[string]any{"table": "author"}))
	mustMeta(t, s, addRemote("clashing", remote.URL, nil))
	wantData(t, s, `{ author(order_by: {id: asc}) { id } }`, nil, `{"author":[{"id":1}]}`)
	wantGQLError(t, gql(t, s, `{ clash }`, nil), "validation-failed", "$.selectionSet.clash", "clash")
}
