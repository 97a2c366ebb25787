package integration

import (
	"testing"
)

// TestSingleRowFunctionIsAnObject: a tracked function returning one row
// of a table (not SETOF) is a nullable object field, as in Hasura, and its
// query answers that object, or null when the arguments filter it out.
func TestSingleRowFunctionIsAnObject(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO author VALUES (1, 'Ada'), (2, 'Brian');
		CREATE FUNCTION author_named(n text) RETURNS author AS $$ SELECT * FROM author WHERE name = n $$ LANGUAGE sql STABLE;
		CREATE FUNCTION authors_named(n text) RETURNS SETOF author AS $$ SELECT * FROM author WHERE name = n $$ LANGUAGE sql STABLE;`,
		op("pg_track_table", map[string]any{"table": "author"}),
		op("pg_track_function", map[string]any{"function": "author_named"}),
		op("pg_track_function", map[string]any{"function": "authors_named"}),
	)
	wantData(t, s, `{ author_named(args: {n: "Brian"}) { id name } }`, nil, `{"author_named":{"id":2,"name":"Brian"}}`)
	wantData(t, s, `{ author_named(args: {n: "Ada"}, where: {id: {_eq: 2}}) { id } }`, nil, `{"author_named":null}`)
	wantData(t, s, `{ authors_named(args: {n: "Ada"}) { id } }`, nil, `{"authors_named":[{"id":1}]}`)
	wantData(t, s, `{ author_named_aggregate(args: {n: "Ada"}) { aggregate { count } } }`, nil, `{"author_named_aggregate":{"aggregate":{"count":1}}}`)
	r := gql(t, s, `{ __type(name: "query_root") { fields { name type { kind name } } } }`, nil)
	wantStatus(t, r, 200)
	kinds := map[string]string{}
	for _, f := range field(t, r.Body, "data", "__type", "fields").([]any) {
		f := f.(map[string]any)
		typ := f["type"].(map[string]any)
		name, _ := typ["name"].(string)
		kinds[f["name"].(string)] = typ["kind"].(string) + " " + name
	}
	if kinds["author_named"] != "OBJECT author" || kinds["authors_named"] != "NON_NULL " {
		t.Fatalf("function field types: author_named %q, authors_named %q", kinds["author_named"], kinds["authors_named"])
	}
}

// TestQueryVersionMustBeOneOrTwo: /v1/query refuses another body version
// as Hasura's parser does.
func TestQueryVersionMustBeOneOrTwo(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY)`)
	r := post(t, s, "/v1/query", map[string]any{"type": "track_table", "version": 3, "args": map[string]any{"table": "author"}}, admin())
	wantAdminError(t, r, 400, "parse-failed", "expected 1 or 2, encountered 3")
	if p := field(t, r.Body, "path"); p != "$.version" {
		t.Fatalf("path %v, want $.version", p)
	}
	r = post(t, s, "/v1/query", op("bulk", []any{map[string]any{"type": "track_table", "version": 7, "args": map[string]any{"table": "author"}}}), admin())
	wantAdminError(t, r, 400, "parse-failed", "expected 1 or 2, encountered 7")
	if p := field(t, r.Body, "path"); p != "$.args[0].version" {
		t.Fatalf("path %v, want $.args[0].version", p)
	}
	r = post(t, s, "/v1/query", map[string]any{"type": "track_table", "version": 2, "args": map[string]any{"table": "author"}}, admin())
	wantStatus(t, r, 200)
}

// TestV1BulkKeepsCompletedRunSQL: in a /v1/query bulk, the run_sql steps
// before a failing step stay applied while no metadata change does, as in
// Hasura v2 (each run_sql commits on its own); a /v2/query bulk is one
// transaction (migrations are applied and recorded by one bulk there).
func TestV1BulkKeepsCompletedRunSQL(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY)`)
	sqlStep := func(sql string) map[string]any { return op("run_sql", map[string]any{"sql": sql}) }
	exists := func(table string) bool {
		t.Helper()
		r := post(t, s, "/v1/query", sqlStep("SELECT to_regclass('public."+table+"') IS NOT NULL"), admin())
		wantStatus(t, r, 200)
		return field(t, r.Body, "result", 1, 0) == "t"
	}

	r := post(t, s, "/v1/query", op("bulk", []any{
		sqlStep("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1)"),
		op("track_table", map[string]any{"table": "kept"}),
		op("track_table", map[string]any{"table": "missing"}),
	}), admin())
	wantAdminError(t, r, 400, "not-exists", "missing")
	if !exists("kept") {
		t.Fatal("the run_sql before the failing step was rolled back")
	}
	// Its track_table was not kept, and the server serves the new catalog:
	// tracking the table now works.
	wantGQLError(t, gql(t, s, `{ kept { id } }`, nil), "validation-failed", "$.selectionSet.kept", "")
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "kept"}))
	wantData(t, s, `{ kept { id } }`, nil, `{"kept":[{"id":1}]}`)

	// A failing run_sql is undone by itself; the steps before it stay.
	r = post(t, s, "/v1/query", op("bulk", []any{
		sqlStep("CREATE TABLE kept_too (id int)"),
		sqlStep("CREATE TABLE half_done (id int); SELECT * FROM no_such_table"),
	}), admin())
	wantAdminError(t, r, 400, "postgres-error", "")
	if !exists("kept_too") || exists("half_done") {
		t.Fatalf("after a failing run_sql step: kept_too %v (want true), half_done %v (want false)", exists("kept_too"), exists("half_done"))
	}

	// /v2/query: all or nothing.
	r = post(t, s, "/v2/query", op("bulk", []any{
		sqlStep("CREATE TABLE atomic_v2 (id int)"),
		sqlStep("SELECT * FROM no_such_table"),
	}), admin())
	wantAdminError(t, r, 400, "postgres-error", "")
	if exists("atomic_v2") {
		t.Fatal("a failing /v2/query bulk kept its first step")
	}
}
