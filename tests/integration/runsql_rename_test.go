package integration

import (
	"strings"
	"testing"
)

func TestRunSQLRenameCarriesMetadata(t *testing.T) {
	t.Parallel()
	s := startValidation(t)
	mustMeta(t, s, op("bulk", []any{
		op("pg_set_table_customization", map[string]any{"table": "article",
			"configuration": map[string]any{"custom_column_names": map[string]any{"title": "headline"}}}),
		op("pg_create_select_permission", map[string]any{"table": "article", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "title", "author_id"}, "filter": map[string]any{"author_id": map[string]any{"_gt": 0}}}}),
	}))

	// Renaming the table and columns keeps everything working under the new
	// names: customization, both relationships, the permission.
	wantStatus(t, runSQL(t, s, `ALTER TABLE article RENAME TO post; ALTER TABLE post RENAME COLUMN title TO heading;
ALTER TABLE post RENAME COLUMN author_id TO writer_id`), 200)
	wantData(t, s, `{ post(order_by: {id: asc}) { headline author { name } } }`, nil,
		`{"post":[{"headline":"Alpha","author":{"name":"Ada"}},{"headline":"Beta","author":{"name":"Bob"}}]}`)
	wantData(t, s, `{ author(order_by: {id: asc}) { articles { headline } } }`, nil,
		`{"author":[{"articles":[{"headline":"Alpha"}]},{"articles":[{"headline":"Beta"}]}]}`)
	user := map[string]string{"X-Hasura-Role": "user"}
	wantData(t, s, `{ post(order_by: {id: asc}) { headline } }`, nil, `{"post":[{"headline":"Alpha"},{"headline":"Beta"}]}`)
	r := gql(t, s, `{ post(order_by: {id: asc}) { headline } }`, nil, user)
	wantJSON(t, r.Body, `{"data":{"post":[{"headline":"Alpha"},{"headline":"Beta"}]}}`)
	md := string(exportMetadata(t, s))
	for _, want := range []string{`"name":"post"`, `"heading":"headline"`, `"heading","writer_id"]`, `"writer_id":{"_gt":0}`,
		`"foreign_key_constraint_on":"writer_id"`, `{"column":"writer_id","table":{"schema":"public","name":"post"}}`} {
		if !strings.Contains(md, want) {
			t.Fatalf("exported metadata lacks %s: %s", want, md)
		}
	}
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"inconsistent_objects":[]}`)

	// Dropping a tracked table untracks it; what other tables had on it is
	// a dependency error unless cascade.
	r = runSQL(t, s, `DROP TABLE post CASCADE`)
	wantAdminError(t, r, 400, "dependency-error", "relationship author.articles")
	wantStatus(t, runSQL(t, s, `DROP TABLE post CASCADE`, map[string]any{"cascade": true}), 200)
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
	wantData(t, s, `{ author(order_by: {id: asc}) { name } }`, nil, `{"author":[{"name":"Ada"},{"name":"Bob"}]}`)
}

func TestRunSQLNoTransaction(t *testing.T) {
	t.Parallel()
	s := startValidation(t)
	script := `CREATE TABLE users (id serial PRIMARY KEY, note text DEFAULT 'a;b');
-- a comment; with a semicolon
CREATE INDEX CONCURRENTLY users_note ON users (note);`
	r := runSQL(t, s, script)
	wantAdminError(t, r, 400, "postgres-error", "")
	if field(t, r.Body, "internal", "error", "status_code") != "25001" {
		t.Fatalf("in a transaction: %s", r.Body)
	}
	r = runSQL(t, s, script, map[string]any{"no_transaction": true})
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"result_type":"CommandOk","result":null}`)
	r = runSQL(t, s, `SELECT indexname FROM pg_indexes WHERE indexname = 'users_note'`)
	wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["indexname"],["users_note"]]}`)
	// Metadata still follows the DDL: a rename outside a transaction too.
	wantStatus(t, runSQL(t, s, `ALTER TABLE author RENAME COLUMN name TO fullname; SELECT $$;$$`, map[string]any{"no_transaction": true}), 200)
	wantData(t, s, `{ author(order_by: {id: asc}) { fullname } }`, nil, `{"author":[{"fullname":"Ada"},{"fullname":"Bob"}]}`)
}

func TestRunSQLFunctionTurnedVolatile(t *testing.T) {
	t.Parallel()
	s := startValidation(t)
	mustMeta(t, s, op("pg_untrack_table", map[string]any{"table": "article", "cascade": true}))
	wantStatus(t, runSQL(t, s, `ALTER FUNCTION article() RENAME TO all_articles`), 200)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "article"}))
	mustMeta(t, s, op("pg_track_function", map[string]any{"function": "all_articles"}))
	r := runSQL(t, s, `CREATE OR REPLACE FUNCTION all_articles() RETURNS SETOF article AS $$ SELECT * FROM article $$ LANGUAGE sql VOLATILE`)
	wantAdminError(t, r, 400, "not-supported", "VOLATILE")
	wantData(t, s, `{ all_articles(order_by: {id: asc}) { title } }`, nil, `{"all_articles":[{"title":"Alpha"},{"title":"Beta"}]}`)
}
