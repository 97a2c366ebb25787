package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

const validationSQL = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, age int);
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, author_id int NOT NULL REFERENCES author(id));
INSERT INTO author (name, age) VALUES ('Ada', 36), ('Bob', NULL);
INSERT INTO article (title, author_id) VALUES ('Alpha', 1), ('Beta', 2);
CREATE FUNCTION full_name(a author) RETURNS text AS $$ SELECT a.name $$ LANGUAGE sql STABLE;
CREATE FUNCTION noisy(a author) RETURNS text AS $$ SELECT a.name $$ LANGUAGE sql VOLATILE;
CREATE FUNCTION hello() RETURNS text AS $$ SELECT 'hi'::text $$ LANGUAGE sql STABLE;
CREATE FUNCTION author_articles(a author) RETURNS SETOF article AS $$ SELECT * FROM article WHERE author_id = a.id $$ LANGUAGE sql STABLE;
CREATE FUNCTION article() RETURNS SETOF article AS $$ SELECT * FROM article $$ LANGUAGE sql STABLE;`

func startValidation(t *testing.T) *testenv.Server {
	t.Helper()
	s, _ := startWith(t, validationSQL,
		op("pg_track_table", map[string]any{"table": "author"}),
		op("pg_track_table", map[string]any{"table": "article"}),
		op("pg_create_array_relationship", map[string]any{"table": "author", "name": "articles",
			"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}}),
		op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
			"using": map[string]any{"foreign_key_constraint_on": "author_id"}}))
	return s
}

func TestMetadataValidationFieldConflicts(t *testing.T) {
	t.Parallel()
	s := startValidation(t)

	// A custom column name taking a relationship's field name breaks the
	// relationship: refused as "new inconsistent metadata".
	r := post(t, s, "/v1/query", map[string]any{"type": "set_table_custom_fields", "version": 2, "args": map[string]any{
		"table": "author", "custom_root_fields": map[string]any{}, "custom_column_names": map[string]any{"name": "articles"}}}, admin())
	wantAdminError(t, r, 400, "unexpected", "cannot continue due to new inconsistent metadata")
	if field(t, r.Body, "internal", 0, "type") != "array_relation" {
		t.Fatalf("internal: %s", r.Body)
	}
	// A relationship named like a custom column name is itself refused.
	mustMeta(t, s, op("pg_set_table_customization", map[string]any{"table": "author",
		"configuration": map[string]any{"custom_column_names": map[string]any{"id": "AuthorId"}}}))
	r = meta(t, s, op("pg_create_array_relationship", map[string]any{"table": "author", "name": "AuthorId",
		"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}}))
	wantAdminError(t, r, 400, "constraint-violation", `custom field name for postgres column "id"`)
	// A computed field named like a column.
	r = meta(t, s, op("pg_add_computed_field", map[string]any{"table": "author", "name": "age",
		"definition": map[string]any{"function": "full_name"}}))
	wantAdminError(t, r, 400, "constraint-violation", "conflicts with postgres column")
	// Two columns with one GraphQL name.
	r = meta(t, s, op("pg_set_table_customization", map[string]any{"table": "author",
		"configuration": map[string]any{"custom_column_names": map[string]any{"name": "age"}}}))
	wantStatus(t, r, 400)
	wantData(t, s, `{ author(order_by: {AuthorId: asc}) { AuthorId name articles { title } } }`, nil,
		`{"author":[{"AuthorId":1,"name":"Ada","articles":[{"title":"Alpha"}]},{"AuthorId":2,"name":"Bob","articles":[{"title":"Beta"}]}]}`)
}

func TestMetadataValidationComputedFields(t *testing.T) {
	t.Parallel()
	s := startValidation(t)
	cf := func(name, fn string) map[string]any {
		return op("pg_add_computed_field", map[string]any{"table": "author", "name": name, "definition": map[string]any{"function": fn}})
	}
	wantAdminError(t, meta(t, s, cf("x", "missing_fn")), 400, "constraint-violation", "no such function")
	wantAdminError(t, meta(t, s, cf("x", "noisy")), 400, "constraint-violation", "VOLATILE")
	wantAdminError(t, meta(t, s, cf("x", "hello")), 400, "constraint-violation", "no input arguments")
	mustMeta(t, s, cf("full_name", "full_name"))
	mustMeta(t, s, cf("my_articles", "author_articles"))

	perm := func(cfs ...string) map[string]any {
		return op("pg_create_select_permission", map[string]any{"table": "author", "role": "user",
			"permission": map[string]any{"columns": "*", "computed_fields": cfs, "filter": map[string]any{}}})
	}
	wantAdminError(t, meta(t, s, perm("full_name", "random")), 400, "constraint-violation", `computed field "random" does not exist`)
	wantAdminError(t, meta(t, s, perm("my_articles")), 400, "constraint-violation", "auto-derived")
	wantAdminError(t, meta(t, s, op("pg_create_select_permission", map[string]any{"table": "author", "role": "user",
		"permission": map[string]any{"columns": []string{"id", "nope"}, "filter": map[string]any{}}})), 400, "constraint-violation", `column "nope"`)
	wantAdminError(t, meta(t, s, op("pg_create_select_permission", map[string]any{"table": "author", "role": "admin",
		"permission": map[string]any{"columns": "*", "filter": map[string]any{}}})), 400, "constraint-violation", "admin role")
	mustMeta(t, s, perm("full_name"))
	wantData(t, s, `{ author(order_by: {id: asc}) { full_name } }`, nil, `{"author":[{"full_name":"Ada"},{"full_name":"Bob"}]}`)
	// A table-returning computed field follows the role's access to that table.
	user := map[string]string{"X-Hasura-Role": "user"}
	wantGQLError(t, gql(t, s, `{ author { my_articles { title } } }`, nil, user), "validation-failed", "$.selectionSet.author.selectionSet.my_articles", "")
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "article", "role": "user",
		"permission": map[string]any{"columns": []string{"title"}, "filter": map[string]any{"title": map[string]any{"_eq": "Alpha"}}}}))
	r := gql(t, s, `{ author(order_by: {id: asc}) { full_name my_articles { title } } }`, nil, user)
	wantJSON(t, r.Body, `{"data":{"author":[{"full_name":"Ada","my_articles":[{"title":"Alpha"}]},{"full_name":"Bob","my_articles":[]}]}}`)

	// The permission depends on the computed field: cascade drops both.
	drop := map[string]any{"table": "author", "name": "full_name"}
	wantAdminError(t, meta(t, s, op("pg_drop_computed_field", drop)), 400, "dependency-error", "permission author.user.select")
	drop["cascade"] = true
	mustMeta(t, s, op("pg_drop_computed_field", drop))
	wantGQLError(t, gql(t, s, `{ author { id } }`, nil, map[string]string{"X-Hasura-Role": "user"}), "validation-failed", "$.selectionSet.author", "")
}

func TestMetadataValidationTrackAndUntrack(t *testing.T) {
	t.Parallel()
	s := startValidation(t)

	// A function and a table of one name would claim the same root fields.
	wantAdminError(t, meta(t, s, op("pg_track_function", map[string]any{"function": "article"})), 400, "not-supported", `table with name "article"`)
	mustMeta(t, s, op("pg_untrack_table", map[string]any{"table": "article", "cascade": true}))
	wantAdminError(t, meta(t, s, op("pg_track_function", map[string]any{"function": "article"})), 400, "invalid-configuration", "")

	// Untracking a table that other objects point at needs cascade; the
	// relationship on author's own foreign key counts too.
	mustMeta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "article"}),
		op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
			"using": map[string]any{"foreign_key_constraint_on": "author_id"}}),
	}))
	r := meta(t, s, op("pg_untrack_table", map[string]any{"table": "author"}))
	wantAdminError(t, r, 400, "dependency-error", "relationship article.author")
	mustMeta(t, s, op("pg_untrack_table", map[string]any{"table": "author", "cascade": true}))
	wantData(t, s, `{ article(order_by: {id: asc}) { title } }`, nil, `{"article":[{"title":"Alpha"},{"title":"Beta"}]}`)
	wantGQLError(t, gql(t, s, `{ article { author { name } } }`, nil), "validation-failed", "$.selectionSet.article.selectionSet.author", "")
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "author"}))
	wantAdminError(t, meta(t, s, op("pg_track_table", map[string]any{"table": "article"})), 400, "already-tracked", "")
}

func TestMetadataValidationEnumValues(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `
CREATE TABLE color (value text PRIMARY KEY, comment text);
INSERT INTO color VALUES ('red', 'Warm');
CREATE TABLE shirt (id serial PRIMARY KEY, color text NOT NULL REFERENCES color(value));`,
		op("pg_track_table", map[string]any{"table": "color", "is_enum": true}),
		op("pg_track_table", map[string]any{"table": "shirt"}),
		op("pg_create_object_relationship", map[string]any{"table": "shirt", "name": "color_info",
			"using": map[string]any{"foreign_key_constraint_on": "color"}}))

	// Data, not DDL: run_sql succeeds, and the reload reports the enum.
	wantStatus(t, runSQL(t, s, `INSERT INTO color (value, comment) VALUES ('not+valid', '')`), 200)
	r := mustMeta(t, s, op("reload_metadata", map[string]any{}))
	if field(t, r.Body, "is_consistent") != false {
		t.Fatalf("reload: %s", r.Body)
	}
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if field(t, r.Body, "inconsistent_objects", 0, "type") != "table" || field(t, r.Body, "inconsistent_objects", 1, "type") != "object_relation" {
		t.Fatalf("inconsistent objects: %s", r.Body)
	}
	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
	wantData(t, s, `{ shirt { id color } }`, nil, `{"shirt":[]}`)
}
