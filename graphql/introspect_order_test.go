package graphql_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// fullIntrospection is GraphiQL's introspection query, trimmed of
// descriptions; it reads every list graphql-go builds from maps.
const fullIntrospection = `query IntrospectionQuery { __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { ...FullType }
  directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name
  fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

// Introspection must not depend on map order: two builds of the same
// schema answer byte for byte alike, with the types sorted by name as
// Hasura lists them, on the GraphQL and the Relay endpoint (whose Node
// interface has possible types graphql-go collects from a map).
func TestIntrospectionIsDeterministic(t *testing.T) {
	db := testenv.NewDatabase(t)
	srv := testenv.Start(t, db)
	srv.RunSQL(`CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
		CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));
		CREATE TABLE tag (id serial PRIMARY KEY, label text);
		CREATE TABLE review (id serial PRIMARY KEY, stars int);`)
	for _, table := range []string{"author", "article", "tag", "review"} {
		if r := srv.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": table}}); r.Status != 200 {
			t.Fatalf("track %s: %d %s", table, r.Status, r.Body)
		}
	}
	introspect := func(path string) []byte {
		t.Helper()
		r := srv.Post(path, map[string]any{"query": fullIntrospection}, testenv.Admin())
		if r.Status != 200 || bytes.Contains(r.Body, []byte(`"errors"`)) {
			t.Fatalf("introspection on %s: %d %s", path, r.Status, r.Body)
		}
		return r.Body
	}
	for _, path := range []string{"/v1/graphql", "/v1beta1/relay"} {
		first := introspect(path)
		if r := srv.Metadata(map[string]any{"type": "reload_metadata", "args": map[string]any{}}); r.Status != 200 {
			t.Fatalf("reload_metadata: %d %s", r.Status, r.Body)
		}
		if second := introspect(path); !bytes.Equal(first, second) {
			t.Fatalf("%s: introspection differs between two schema builds:\n%s\n%s", path, first, second)
		}
		var resp struct {
			Data struct {
				Schema struct {
					Types []struct {
						Name          string `json:"name"`
						PossibleTypes []struct {
							Name string `json:"name"`
						} `json:"possibleTypes"`
					} `json:"types"`
				} `json:"__schema"`
			} `json:"data"`
		}
		if err := json.Unmarshal(first, &resp); err != nil {
			t.Fatal(err)
		}
		var names []string
		possible := map[string][]string{}
		for _, ty := range resp.Data.Schema.Types {
			names = append(names, ty.Name)
			for _, p := range ty.PossibleTypes {
				possible[ty.Name] = append(possible[ty.Name], p.Name)
			}
		}
		if !sort.StringsAreSorted(names) || len(names) < 10 {
			t.Errorf("%s: types not sorted by name: %v", path, names)
		}
		if path == "/v1beta1/relay" {
			node := possible["Node"]
			if len(node) != 4 || !sort.StringsAreSorted(node) {
				t.Errorf("Node possibleTypes = %v, want the 4 tables sorted by name", node)
			}
		}
	}
}
