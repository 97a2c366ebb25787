package integration

import (
	"strings"
	"testing"
)

// Descriptions come from metadata comments first (an empty one hides the
// description), then Postgres comments, then Hasura's generated text; no
// description at all is null.
func TestIntrospectionDescriptions(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE from_db (id serial PRIMARY KEY, name text NOT NULL);
COMMENT ON TABLE from_db IS 'Table comment in the DB';
COMMENT ON COLUMN from_db.name IS 'Column comment in the DB';
CREATE FUNCTION from_db_upper(r from_db) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(r.name) $$;
COMMENT ON FUNCTION from_db_upper(from_db) IS 'Function comment in the DB';
CREATE TABLE plain (id serial PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION plain_upper(r plain) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(r.name) $$;
CREATE TABLE overridden (id serial PRIMARY KEY, name text NOT NULL);
COMMENT ON TABLE overridden IS 'hidden';
COMMENT ON COLUMN overridden.name IS 'hidden';
CREATE FUNCTION overridden_upper(r overridden) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(r.name) $$;
COMMENT ON FUNCTION overridden_upper(overridden) IS 'hidden';
CREATE TABLE emptied (id serial PRIMARY KEY, name text NOT NULL);
COMMENT ON TABLE emptied IS 'hidden';
COMMENT ON COLUMN emptied.name IS 'hidden';
CREATE FUNCTION emptied_upper(r emptied) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(r.name) $$;`,
		op("pg_track_table", map[string]any{"table": "from_db"}),
		op("pg_track_table", map[string]any{"table": "plain"}),
		op("pg_track_table", map[string]any{"table": "overridden", "configuration": map[string]any{
			"comment": "Metadata comment", "column_config": map[string]any{"name": map[string]any{"comment": "Metadata column comment"}}}}),
		op("pg_track_table", map[string]any{"table": "emptied", "configuration": map[string]any{
			"comment": "", "column_config": map[string]any{"name": map[string]any{"comment": ""}}}}),
		op("pg_add_computed_field", map[string]any{"table": "from_db", "name": "upper", "definition": map[string]any{"function": "from_db_upper"}}),
		op("pg_add_computed_field", map[string]any{"table": "plain", "name": "upper", "definition": map[string]any{"function": "plain_upper"}}),
		op("pg_add_computed_field", map[string]any{"table": "overridden", "name": "upper", "definition": map[string]any{"function": "overridden_upper"},
			"comment": "Metadata function comment"}),
		op("pg_add_computed_field", map[string]any{"table": "emptied", "name": "upper", "definition": map[string]any{"function": "emptied_upper"},
			"comment": ""}),
	)
	describe := func(typ string) string {
		return `{ __type(name: "` + typ + `") { name description fields { name description } } }`
	}
	cases := []struct{ typ, want string }{
		{"from_db", `{"__type":{"name":"from_db","description":"Table comment in the DB","fields":[
		  {"name":"id","description":null},{"name":"name","description":"Column comment in the DB"},
		  {"name":"upper","description":"Function comment in the DB"}]}}`},
		{"plain", `{"__type":{"name":"plain","description":"columns and relationships of \"plain\"","fields":[
		  {"name":"id","description":null},{"name":"name","description":null},
		  {"name":"upper","description":"A computed field, executes function \"plain_upper\""}]}}`},
		{"overridden", `{"__type":{"name":"overridden","description":"Metadata comment","fields":[
		  {"name":"id","description":null},{"name":"name","description":"Metadata column comment"},
		  {"name":"upper","description":"Metadata function comment"}]}}`},
		{"emptied", `{"__type":{"name":"emptied","description":null,"fields":[
		  {"name":"id","description":null},{"name":"name","description":null},{"name":"upper","description":null}]}}`},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) { wantData(t, s, describe(c.typ), nil, c.want) })
	}
}

// Root fields take their description from custom_root_fields comments, and
// a tracked function's from its metadata or Postgres comment.
func TestRootFieldDescriptions(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE thing (id serial PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION search_things(q text) RETURNS SETOF thing LANGUAGE sql STABLE AS $$ SELECT * FROM thing WHERE name LIKE q $$;
COMMENT ON FUNCTION search_things(text) IS 'Function comment in the DB';
CREATE FUNCTION all_things() RETURNS SETOF thing LANGUAGE sql STABLE AS $$ SELECT * FROM thing $$;`,
		op("pg_track_table", map[string]any{"table": "thing", "configuration": map[string]any{"custom_root_fields": map[string]any{
			"select":       map[string]any{"name": "Things", "comment": "Explicit select"},
			"select_by_pk": map[string]any{"comment": ""},
			"insert_one":   map[string]any{"name": "AddThing", "comment": "Explicit insert_one"},
		}}}),
		op("pg_track_function", map[string]any{"function": "search_things"}),
		op("pg_track_function", map[string]any{"function": "all_things", "comment": "Metadata function comment"}),
	)
	wantData(t, s, `{ q: __type(name: "query_root") { fields { name description } } }`, nil, `{"q":{"fields":[
	  {"name":"Things","description":"Explicit select"},
	  {"name":"all_things","description":"Metadata function comment"},
	  {"name":"all_things_aggregate","description":"execute function \"all_things\" and query aggregates on result of table type \"thing\""},
	  {"name":"search_things","description":"Function comment in the DB"},
	  {"name":"search_things_aggregate","description":"execute function \"search_things\" and query aggregates on result of table type \"thing\""},
	  {"name":"thing_aggregate","description":"fetch aggregated fields from the table: \"thing\""},
	  {"name":"thing_by_pk","description":null}]}}`)
	r := gql(t, s, `{ __type(name: "mutation_root") { fields { name description } } }`, nil)
	if !strings.Contains(string(r.Body), `{"name":"AddThing","description":"Explicit insert_one"}`) {
		t.Fatalf("insert_one keeps no comment: %s", r.Body)
	}
}
