package cli

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// actionsMetadata has actions of every kind (sync and async, query and
// mutation, with and without arguments) and every custom type kind, with
// descriptions, relationships, permissions, headers and transforms.
const actionsMetadata = `{"version": 3, "sources": [{"name": "default", "kind": "postgres",
  "tables": [{"table": {"schema": "public", "name": "author"}}],
  "configuration": {"connection_info": {"database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"}}}}],
  "actions": [
    {"name": "createOrder", "definition": {"handler": "http://127.0.0.1:1/order", "output_type": "OrderOutput!", "type": "mutation", "kind": "asynchronous",
      "arguments": [{"name": "order", "type": "OrderInput!", "description": "what to order"}, {"name": "note", "type": "String"}],
      "headers": [{"name": "X-Key", "value_from_env": "ORDER_KEY"}], "forward_client_headers": true, "timeout": 12},
     "permissions": [{"role": "user"}], "comment": "places an order"},
    {"name": "ping", "definition": {"handler": "{{HOME}}/ping", "output_type": "Boolean", "type": "query", "kind": "synchronous", "arguments": []}},
    {"name": "search", "definition": {"handler": "http://127.0.0.1:1/search", "output_type": "[OrderOutput!]!", "type": "query", "kind": "synchronous",
      "arguments": [{"name": "filter", "type": "Filter"}, {"name": "moods", "type": "[Mood!]"}],
      "request_transform": {"version": 2, "template_engine": "Kriti", "body": {"action": "transform", "template": "{{$body.input}}"}}},
     "permissions": [{"role": "user"}, {"role": "guest"}]}
  ],
  "custom_types": {
    "enums": [{"name": "Mood", "description": "how it went", "values": [{"value": "HAPPY", "description": "all good"}, {"value": "SAD", "is_deprecated": true}]}],
    "input_objects": [
      {"name": "OrderInput", "description": "an order", "fields": [{"name": "item", "type": "String!"}, {"name": "qty", "type": "Int!", "description": "how many"}, {"name": "ship", "type": "Address"}]},
      {"name": "Address", "fields": [{"name": "city", "type": "String!"}, {"name": "geo", "type": "[Float!]"}]},
      {"name": "Filter", "fields": [{"name": "mood", "type": "Mood"}, {"name": "after", "type": "Date"}]}
    ],
    "objects": [
      {"name": "OrderOutput", "description": "the result", "fields": [{"name": "id", "type": "Int!"}, {"name": "author_id", "type": "Int"}, {"name": "placed", "type": "Date", "description": "when"}],
       "relationships": [{"name": "author", "type": "object", "remote_table": {"schema": "public", "name": "author"}, "field_mapping": {"author_id": "id"}}]}
    ],
    "scalars": [{"name": "Date", "description": "ISO date"}]
  }
}`

const wantActionsSDL = `type Mutation {
  createOrder(
    """ what to order """ order: OrderInput!
    note: String
  ): OrderOutput!
}


type Query {
  ping: Boolean
}


type Query {
  search(
    filter: Filter
    moods: [Mood!]
  ): [OrderOutput!]!
}




""" how it went """ enum Mood {
  """ all good """ HAPPY
  SAD
}

""" an order """ input OrderInput {
  item: String!
  """ how many """ qty: Int!
  ship: Address
}

input Address {
  city: String!
  geo: [Float!]
}

input Filter {
  mood: Mood
  after: Date
}

""" the result """ type OrderOutput {
  id: Int!
  author_id: Int
  """ when """ placed: Date
}

""" ISO date """ scalar Date

`

// TestCLIActionsSDL: metadata export writes actions and custom types as
// Hasura's CLI does (SDL in actions.graphql, handler/kind/permissions/
// relationships in actions.yaml), apply parses them back, and export ->
// apply -> export is byte-identical with the server's metadata unchanged.
func TestCLIActionsSDL(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}
	srv.RunSQL("CREATE TABLE author (id int PRIMARY KEY, name text)")
	if r := srv.Metadata(map[string]any{"type": "replace_metadata", "args": json.RawMessage(actionsMetadata)}); r.Status != 200 {
		t.Fatalf("replace_metadata: %s", r.Body)
	}
	before := exportJSON(t, srv)
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	mdDir := filepath.Join(dir, "metadata")
	if got := readFile(t, filepath.Join(mdDir, "actions.graphql")); got != wantActionsSDL {
		t.Errorf("actions.graphql:\n%s\nwant:\n%s", got, wantActionsSDL)
	}
	yml := readFile(t, filepath.Join(mdDir, "actions.yaml"))
	for _, want := range []string{
		"actions:\n  - name: createOrder\n    definition:\n      kind: asynchronous\n      handler: http://127.0.0.1:1/order\n      forward_client_headers: true\n      headers:\n",
		"      timeout: 12\n    permissions:\n      - role: user\n    comment: places an order\n",
		"  - name: ping\n    definition:\n      kind: synchronous\n      handler: '{{HOME}}/ping'\n",
		"      request_transform:\n",
		"custom_types:\n  enums:\n    - name: Mood\n      description: how it went\n      values:\n",
		"  input_objects:\n    - name: OrderInput\n      description: an order\n    - name: Address\n    - name: Filter\n",
		"  objects:\n    - name: OrderOutput\n      description: the result\n      relationships:\n",
		"  scalars:\n    - name: Date\n      description: ISO date\n",
	} {
		if !strings.Contains(yml, want) {
			t.Errorf("actions.yaml lacks %q:\n%s", want, yml)
		}
	}
	for _, gone := range []string{"output_type", "arguments", "type: mutation", "fields:"} {
		if strings.Contains(yml, gone) {
			t.Errorf("actions.yaml keeps %q, which belongs in actions.graphql:\n%s", gone, yml)
		}
	}

	first, err := readMetadataDir(mdDir)
	if err != nil {
		t.Fatal(err)
	}
	mustCLI(t, env, append([]string{"metadata", "clear"}, p...)...)
	mustCLI(t, env, append([]string{"metadata", "apply"}, p...)...)
	if after := exportJSON(t, srv); !sameActions(before, after) {
		t.Errorf("actions changed across export/apply:\nbefore %v\nafter  %v", before["actions"], after["actions"])
	}
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	second, _ := readMetadataDir(mdDir)
	for f, b := range first {
		if string(second[f]) != string(b) {
			t.Errorf("%s differs after export -> apply -> export:\n%s\n---\n%s", f, b, second[f])
		}
	}
	// The applied actions serve: the query action is in the schema with its arguments.
	r := srv.GraphQL(`{ __type(name: "query_root") { fields { name args { name } } } }`, nil)
	if !strings.Contains(string(r.Body), `{"name":"search","args":[{"name":"filter"},{"name":"moods"}]}`) {
		t.Errorf("search action not served after apply: %s", r.Body)
	}
}

// TestCLIActionsSDLHandWritten: actions.graphql as people write it (extend
// type, arguments on one line, block descriptions) applies, and export
// rewrites it in Hasura's layout.
func TestCLIActionsSDLHandWritten(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}
	md := filepath.Join(dir, "metadata")
	writeFile(t, filepath.Join(md, "actions.graphql"), `# my actions
extend type Mutation {
  """
  Log a user in.
  """
  login(username: String!, password: String!): LoginOutput
}

type LoginOutput {
  accessToken: String!
}
`)
	writeFile(t, filepath.Join(md, "actions.yaml"), `actions:
  - name: login
    definition:
      kind: synchronous
      handler: http://127.0.0.1:1/login
custom_types:
  enums: []
  input_objects: []
  objects:
    - name: LoginOutput
  scalars: []
`)
	mustCLI(t, env, append([]string{"metadata", "apply"}, p...)...)
	got := exportJSON(t, srv)
	want := `[{"definition":{"arguments":[{"name":"username","type":"String!"},{"name":"password","type":"String!"}],"handler":"http://127.0.0.1:1/login","kind":"synchronous","output_type":"LoginOutput","type":"mutation"},"name":"login"}]`
	if b, _ := json.Marshal(got["actions"]); string(b) != want {
		t.Errorf("applied actions:\n%s\nwant\n%s", b, want)
	}
	mustCLI(t, env, append([]string{"metadata", "export"}, p...)...)
	if sdl := readFile(t, filepath.Join(md, "actions.graphql")); !strings.HasPrefix(sdl, "type Mutation {\n  login(\n    username: String!\n    password: String!\n  ): LoginOutput\n}\n") {
		t.Errorf("re-exported SDL:\n%s", sdl)
	}

	// Errors name the file and line.
	cases := []struct{ sdl, yaml, want string }{
		{"type Mutation {\n  login(: String): X\n}\n", "", "metadata/actions.graphql:2:9: syntax error: "},
		{"type Mutation {\n  other: LoginOutput\n}\ntype LoginOutput { a: Int }\n", "",
			"metadata/actions.graphql:2: action other has no entry in metadata/actions.yaml"},
		{"type Query {\n  login: LoginOutput\n}\ntype LoginOutput { a: Int }\ntype LoginOutput { b: Int }\n", "",
			"metadata/actions.graphql:5: type LoginOutput is also defined on line 4"},
		{"interface Node { id: ID }\n", "", "metadata/actions.graphql:1: interface types are not supported"},
		{"type LoginOutput { a: Int }\n", "", "metadata/actions.yaml: action login is not present in metadata/actions.graphql"},
		{"type Query { login: Out }\ntype Out { a: Int }\n", "", "metadata/actions.yaml: custom type LoginOutput (objects) is not present in metadata/actions.graphql"},
	}
	for _, c := range cases {
		writeFile(t, filepath.Join(md, "actions.graphql"), c.sdl)
		failCLI(t, env, c.want, append([]string{"metadata", "apply"}, p...)...)
	}
	if b, _ := json.Marshal(exportJSON(t, srv)["actions"]); string(b) != want {
		t.Errorf("a failed apply changed the server's actions: %s", b)
	}
}

// exportJSON is the server's export_metadata, decoded.
func exportJSON(t *testing.T, srv *testenv.Server) map[string]any {
	t.Helper()
	var v map[string]any
	if r := srv.Metadata(map[string]any{"type": "export_metadata", "args": map[string]any{}}); json.Unmarshal(r.Body, &v) != nil {
		t.Fatalf("export_metadata: %s", r.Body)
	}
	return v
}

// sameActions compares the actions and custom types of two exports.
func sameActions(a, b map[string]any) bool {
	return reflect.DeepEqual(a["actions"], b["actions"]) && reflect.DeepEqual(a["custom_types"], b["custom_types"])
}
