package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

func TestMetadataResourceVersion(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)`)

	v0 := resourceVersion(t, s)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "a"}))
	if v := resourceVersion(t, s); v != v0+1 {
		t.Fatalf("resource_version after one change = %d, want %d", v, v0+1)
	}
	// Reads and failed changes leave it alone.
	exportMetadata(t, s)
	wantAdminError(t, meta(t, s, op("pg_track_table", map[string]any{"table": "a"})), 400, "already-tracked", "")
	if v := resourceVersion(t, s); v != v0+1 {
		t.Fatalf("resource_version after a read and a failed change = %d, want %d", v, v0+1)
	}
	// A request stating the current version succeeds; a stale one conflicts.
	r := meta(t, s, map[string]any{"type": "pg_track_table", "resource_version": v0 + 1, "args": map[string]any{"table": "b"}})
	wantStatus(t, r, 200)
	if v := resourceVersion(t, s); v != v0+2 {
		t.Fatalf("resource_version = %d, want %d", v, v0+2)
	}
	r = meta(t, s, map[string]any{"type": "pg_untrack_table", "resource_version": v0 + 1, "args": map[string]any{"table": "b"}})
	wantAdminError(t, r, 409, "conflict", "resource version")
	wantData(t, s, `{ b { id } }`, nil, `{"b":[]}`) // the stale request changed nothing
}

func TestMetadataExportReplaceRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	mustMeta(t, s, op("pg_set_table_customization", map[string]any{"table": "comment",
		"configuration": map[string]any{"custom_name": "remark", "column_config": map[string]any{"body": map[string]any{"custom_name": "text"}}}}))
	first := exportMetadata(t, s)
	r := mustMeta(t, s, op("replace_metadata", jsonRaw(first)))
	wantJSON(t, r.Body, `{"message":"success"}`)
	if second := exportMetadata(t, s); string(second) != string(first) {
		t.Fatalf("export -> replace -> export differs:\n%s\n%s", first, second)
	}
	wantData(t, s, `{ remark(where: {id: {_eq: 3}}) { text } }`, nil, `{"remark":[{"text":"hm"}]}`)
}

func TestMetadataTableCustomization(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id serial PRIMARY KEY, name text); INSERT INTO author (name) VALUES ('Ada')`)

	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "author", "configuration": map[string]any{
		"custom_name":        "writer",
		"custom_root_fields": map[string]any{"select": "writers", "select_by_pk": "writer", "select_aggregate": "writer_stats"},
		"column_config":      map[string]any{"name": map[string]any{"custom_name": "fullName"}},
	}}))
	wantData(t, s, `{ writers { id fullName __typename } writer(id: 1) { fullName } writer_stats { aggregate { count } } }`, nil,
		`{"writers":[{"id":1,"fullName":"Ada","__typename":"writer"}],"writer":{"fullName":"Ada"},"writer_stats":{"aggregate":{"count":1}}}`)
	wantGQLError(t, gql(t, s, `{ author { id } }`, nil), "validation-failed", "$.selectionSet.author", "not found in type: 'query_root'")
	wantGQLError(t, gql(t, s, `{ writers { name } }`, nil), "validation-failed", "$.selectionSet.writers.selectionSet.name", "not found in type: 'writer'")

	// set_table_customization replaces the whole configuration.
	mustMeta(t, s, op("pg_set_table_customization", map[string]any{"table": "author", "configuration": map[string]any{
		"custom_root_fields": map[string]any{"select": "people"},
		"column_config":      map[string]any{"id": map[string]any{"custom_name": "key"}},
	}}))
	wantData(t, s, `{ people { key name __typename } author_by_pk(key: 1) { name } }`, nil,
		`{"people":[{"key":1,"name":"Ada","__typename":"author"}],"author_by_pk":{"name":"Ada"}}`)
	wantGQLError(t, gql(t, s, `{ writers { id } }`, nil), "validation-failed", "$.selectionSet.writers", "")
}

func TestMetadataEnumTable(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE color (value text PRIMARY KEY, comment text);
INSERT INTO color VALUES ('red', 'Warm'), ('blue', 'Cold');
CREATE TABLE shirt (id serial PRIMARY KEY, color text NOT NULL REFERENCES color(value));
INSERT INTO shirt (color) VALUES ('red'), ('blue'), ('red');`,
		op("pg_track_table", map[string]any{"table": "color"}),
		op("pg_track_table", map[string]any{"table": "shirt"}))

	// Not an enum yet: the column is a String.
	wantData(t, s, `{ __type(name: "shirt") { fields { name type { kind ofType { name kind } } } } }`, nil,
		`{"__type":{"fields":[{"name":"color","type":{"kind":"NON_NULL","ofType":{"name":"String","kind":"SCALAR"}}},{"name":"id","type":{"kind":"NON_NULL","ofType":{"name":"Int","kind":"SCALAR"}}}]}}`)

	mustMeta(t, s, op("pg_set_table_is_enum", map[string]any{"table": "color", "is_enum": true}))
	wantData(t, s, `{ __type(name: "color_enum") { kind enumValues { name description } } }`, nil,
		`{"__type":{"kind":"ENUM","enumValues":[{"name":"blue","description":"Cold"},{"name":"red","description":"Warm"}]}}`)
	wantData(t, s, `{ shirt(where: {color: {_eq: red}}, order_by: {id: asc}) { id color } }`, nil,
		`{"shirt":[{"id":1,"color":"red"}, {"id":3,"color":"red"}]}`)
	wantData(t, s, `{ shirt(where: {color: {_in: [blue]}}) { id } }`, nil, `{"shirt":[{"id":2}]}`)
	// An enum value that does not exist is a validation error, not SQL.
	wantGQLError(t, gql(t, s, `{ shirt(where: {color: {_eq: green}}) { id } }`, nil), "validation-failed", "$.selectionSet.shirt", "color_enum")

	mustMeta(t, s, op("pg_set_table_is_enum", map[string]any{"table": "color", "is_enum": false}))
	wantData(t, s, `{ shirt(where: {color: {_eq: "blue"}}) { id } }`, nil, `{"shirt":[{"id":2}]}`)
}

func TestMetadataRelationships(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id serial PRIMARY KEY, author_id int REFERENCES author(id), editor int, title text);
INSERT INTO author (name) VALUES ('Ada'), ('Bob');
INSERT INTO article (author_id, editor, title) VALUES (1, 2, 'Alpha'), (1, NULL, 'Beta');`,
		op("pg_track_table", map[string]any{"table": "author"}),
		op("pg_track_table", map[string]any{"table": "article"}))

	mustMeta(t, s, op("bulk", []any{
		op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
			"using": map[string]any{"foreign_key_constraint_on": "author_id"}}),
		op("pg_create_array_relationship", map[string]any{"table": "author", "name": "articles",
			"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}}),
		op("pg_create_object_relationship", map[string]any{"table": "article", "name": "editor_info",
			"using": map[string]any{"manual_configuration": map[string]any{"remote_table": "author", "column_mapping": map[string]any{"editor": "id"}}}}),
		op("pg_create_array_relationship", map[string]any{"table": "author", "name": "edited",
			"using": map[string]any{"manual_configuration": map[string]any{"remote_table": "article", "column_mapping": map[string]any{"id": "editor"}}}}),
	}))
	wantData(t, s, `{ article(order_by: {id: asc}) { title author { name } editor_info { name } } }`, nil,
		`{"article":[{"title":"Alpha","author":{"name":"Ada"},"editor_info":{"name":"Bob"}}, {"title":"Beta","author":{"name":"Ada"},"editor_info":null}]}`)
	wantData(t, s, `{ author(order_by: {id: asc}) { name articles(order_by: {id: asc}) { title } edited { title } } }`, nil,
		`{"author":[{"name":"Ada","articles":[{"title":"Alpha"}, {"title":"Beta"}],"edited":[]}, {"name":"Bob","articles":[],"edited":[{"title":"Alpha"}]}]}`)

	r := meta(t, s, op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
		"using": map[string]any{"foreign_key_constraint_on": "author_id"}}))
	wantAdminError(t, r, 400, "already-exists", "author")
	r = meta(t, s, op("pg_create_object_relationship", map[string]any{"table": "article", "name": "bad",
		"using": map[string]any{"foreign_key_constraint_on": "title"}}))
	wantStatus(t, r, 400)

	mustMeta(t, s, op("pg_rename_relationship", map[string]any{"table": "author", "name": "articles", "new_name": "posts"}))
	wantData(t, s, `{ author_by_pk(id: 1) { posts_aggregate { aggregate { count } } posts(limit: 1) { title } } }`, nil,
		`{"author_by_pk":{"posts_aggregate":{"aggregate":{"count":2}},"posts":[{"title":"Alpha"}]}}`)
	wantGQLError(t, gql(t, s, `{ author { articles { title } } }`, nil), "validation-failed", "$.selectionSet.author.selectionSet.articles", "")

	mustMeta(t, s, op("pg_drop_relationship", map[string]any{"table": "article", "relationship": "editor_info"}))
	wantGQLError(t, gql(t, s, `{ article { editor_info { name } } }`, nil), "validation-failed", "$.selectionSet.article.selectionSet.editor_info", "")
	wantAdminError(t, meta(t, s, op("pg_drop_relationship", map[string]any{"table": "article", "relationship": "editor_info"})), 400, "not-exists", "")
}

func TestMetadataFunctionsAndComputedFields(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE author (id serial PRIMARY KEY, first text, last text);
INSERT INTO author (first, last) VALUES ('Ada', 'Lovelace');
CREATE FUNCTION author_full_name(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.first || ' ' || a.last $$;
CREATE FUNCTION authors_named(q text) RETURNS SETOF author LANGUAGE sql STABLE AS $$ SELECT * FROM author WHERE first = q $$;`,
		op("pg_track_table", map[string]any{"table": "author"}))

	mustMeta(t, s, op("pg_track_function", map[string]any{"function": "authors_named"}))
	wantData(t, s, `{ authors_named(args: {q: "Ada"}) { last } }`, nil, `{"authors_named":[{"last":"Lovelace"}]}`)
	wantAdminError(t, meta(t, s, op("pg_track_function", map[string]any{"function": "authors_named"})), 400, "already-tracked", "")
	wantAdminError(t, meta(t, s, op("pg_track_function", map[string]any{"function": "nope"})), 400, "not-exists", "")
	mustMeta(t, s, op("pg_untrack_function", map[string]any{"function": map[string]any{"schema": "public", "name": "authors_named"}}))
	wantGQLError(t, gql(t, s, `{ authors_named(args: {q: "Ada"}) { last } }`, nil), "validation-failed", "$.selectionSet.authors_named", "")

	mustMeta(t, s, op("pg_add_computed_field", map[string]any{"table": "author", "name": "full_name",
		"definition": map[string]any{"function": "author_full_name"}}))
	wantData(t, s, `{ author { full_name } }`, nil, `{"author":[{"full_name":"Ada Lovelace"}]}`)
	mustMeta(t, s, op("pg_drop_computed_field", map[string]any{"table": "author", "name": "full_name"}))
	wantGQLError(t, gql(t, s, `{ author { full_name } }`, nil), "validation-failed", "$.selectionSet.author.selectionSet.full_name", "")
	wantAdminError(t, meta(t, s, op("pg_drop_computed_field", map[string]any{"table": "author", "name": "full_name"})), 400, "not-exists", "")
}

func TestMetadataTrackErrorsAndBulk(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY)`)

	r := meta(t, s, op("pg_track_table", map[string]any{"table": "missing"}))
	wantAdminError(t, r, 400, "not-exists", "missing")
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "a"}))
	r = meta(t, s, op("pg_track_table", map[string]any{"table": map[string]any{"schema": "public", "name": "a"}}))
	wantAdminError(t, r, 400, "already-tracked", "a")

	// A bulk answers one result per item, and fails as a whole.
	r = mustMeta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "b"}),
		op("export_metadata", map[string]any{}),
	}))
	if field(t, r.Body, 0, "message") != "success" || field(t, r.Body, 1, "version") != float64(3) {
		t.Fatalf("bulk result %s", r.Body)
	}
	mustMeta(t, s, op("pg_untrack_table", map[string]any{"table": "b"}))
	r = meta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "b"}),
		op("pg_track_table", map[string]any{"table": "missing"}),
	}))
	wantAdminError(t, r, 400, "not-exists", "missing")
	wantGQLError(t, gql(t, s, `{ b { id } }`, nil), "validation-failed", "$.selectionSet.b", "") // rolled back
}

func TestMetadataClearReloadInconsistent(t *testing.T) {
	t.Parallel()
	s, db := startWith(t, `CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); INSERT INTO a VALUES (1)`,
		op("pg_track_table", map[string]any{"table": "a"}),
		op("pg_track_table", map[string]any{"table": "b"}))

	// DDL behind Graft's back is seen after reload_metadata.
	testenv.Exec(t, db, `ALTER TABLE a ADD COLUMN note text DEFAULT 'hi'`)
	wantGQLError(t, gql(t, s, `{ a { note } }`, nil), "validation-failed", "$.selectionSet.a.selectionSet.note", "")
	r := mustMeta(t, s, op("reload_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"message":"success"}`)
	wantData(t, s, `{ a { id note } }`, nil, `{"a":[{"id":1,"note":"hi"}]}`)

	testenv.Exec(t, db, `DROP TABLE b`)
	mustMeta(t, s, op("reload_metadata", map[string]any{}))
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if field(t, r.Body, "is_consistent") != false || field(t, r.Body, "inconsistent_objects", 0, "type") != "table" ||
		field(t, r.Body, "inconsistent_objects", 0, "name") != "table b" {
		t.Fatalf("get_inconsistent_metadata: %s", r.Body)
	}
	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	wantJSON(t, mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{})).Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
	wantData(t, s, `{ a { id } }`, nil, `{"a":[{"id":1}]}`)

	mustMeta(t, s, op("clear_metadata", map[string]any{}))
	if tables := field(t, exportMetadata(t, s), "sources", 0, "tables").([]any); len(tables) != 0 {
		t.Fatalf("tables after clear_metadata: %v", tables)
	}
	wantGQLError(t, gql(t, s, `{ a { id } }`, nil), "validation-failed", "$.selectionSet.a", "")
}

func TestMetadataEndpoints(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id serial PRIMARY KEY, name text, rating int); INSERT INTO author (name, rating) VALUES ('Ada', 5), ('Bob', 3)`)

	// /v2/query takes data operations only.
	r := post(t, s, "/v2/query", op("pg_track_table", map[string]any{"table": "author"}), admin())
	wantAdminError(t, r, 400, "parse-failed", "")
	r = post(t, s, "/v2/query", op("track_table", map[string]any{"table": "author"}), admin())
	wantAdminError(t, r, 400, "parse-failed", "")

	// /v1/query takes unprefixed metadata operations and the legacy data API.
	r = post(t, s, "/v1/query", op("track_table", map[string]any{"schema": "public", "name": "author"}), admin())
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"message":"success"}`)
	r = post(t, s, "/v1/query", op("insert", map[string]any{"table": "author",
		"objects": []any{map[string]any{"name": "Cy", "rating": 4}}, "returning": []string{"id", "name"}}), admin())
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":3,"name":"Cy"}]}`)
	r = post(t, s, "/v1/query", op("select", map[string]any{"table": "author", "columns": []string{"id", "name"},
		"where": map[string]any{"rating": map[string]any{"$gt": 3}}}), admin())
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `[{"id":1,"name":"Ada"},{"id":3,"name":"Cy"}]`)
	r = post(t, s, "/v1/query", op("count", map[string]any{"table": "author", "where": map[string]any{"name": "Bob"}}), admin())
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"count":1}`)
	r = post(t, s, "/v2/query", op("count", map[string]any{"table": "author"}), admin())
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"count":3}`)
	wantData(t, s, `{ author_aggregate { aggregate { count } } }`, nil, `{"author_aggregate":{"aggregate":{"count":3}}}`)

	// An unknown operation and an unparsable body.
	wantAdminError(t, meta(t, s, op("pg_no_such_op", map[string]any{})), 400, "parse-failed", "")
	r = post(t, s, "/v1/metadata", `{"type": `, admin())
	wantStatus(t, r, 400)
}
