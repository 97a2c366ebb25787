package integration

import (
	"testing"
)

// compatFilterSQL: authors and their articles, a SETOF computed field
// without user arguments (articles_of) and one with (search_articles).
const compatFilterSQL = `
CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id int PRIMARY KEY, title text NOT NULL, published boolean NOT NULL, author_id int NOT NULL REFERENCES author(id));
INSERT INTO author VALUES (1, 'Ada'), (2, 'Brian'), (3, 'Cleo');
INSERT INTO article VALUES (1, 'Article 1', true, 1), (2, 'Draft 2', false, 2), (3, 'Article 3', true, 2);
CREATE FUNCTION articles_of(author_row author) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE author_id = author_row.id
$$ LANGUAGE sql STABLE;
CREATE FUNCTION search_articles(author_row author, search text) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE author_id = author_row.id AND title ILIKE '%' || search || '%'
$$ LANGUAGE sql STABLE;
`

// TestTableComputedFieldInBoolExp: a table-returning computed field is a
// <target>_bool_exp field of its table's bool_exp (Hasura), true when one
// of the function's rows matches, counting only rows the role may read;
// permission filters may use it too.
func TestTableComputedFieldInBoolExp(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, compatFilterSQL,
		op("pg_track_table", map[string]any{"table": "author"}),
		op("pg_track_table", map[string]any{"table": "article"}),
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "articles",
			"definition": map[string]any{"function": "articles_of", "table_argument": "author_row"}}),
		op("pg_add_computed_field", map[string]any{"table": "author", "name": "search",
			"definition": map[string]any{"function": "search_articles", "table_argument": "author_row"}}),
		op("pg_create_select_permission", map[string]any{"table": "article", "role": "user",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{"published": map[string]any{"_eq": true}}}}),
		op("pg_create_select_permission", map[string]any{"table": "author", "role": "user",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{}}}),
		// Only the authors with a published article.
		op("pg_create_select_permission", map[string]any{"table": "author", "role": "published",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{"articles": map[string]any{"published": map[string]any{"_eq": true}}}}}),
		op("pg_create_select_permission", map[string]any{"table": "article", "role": "published",
			"permission": map[string]any{"columns": "*", "filter": map[string]any{}}}),
	)
	user := map[string]string{"X-Hasura-Role": "user"}

	wantData(t, s, `{ author(where: {articles: {title: {_ilike: "%draft%"}}}) { id } }`, nil, `{"author":[{"id":2}]}`)
	wantData(t, s, `{ author(where: {_not: {articles: {}}}, order_by: {id: asc}) { id } }`, nil, `{"author":[{"id":3}]}`)
	// The user cannot read the draft: no author has a draft it sees.
	r := gql(t, s, `{ author(where: {articles: {title: {_ilike: "%draft%"}}}) { id } }`, nil, user)
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"data":{"author":[]}}`)
	r = gql(t, s, `{ author(where: {articles: {title: {_ilike: "%article%"}}}, order_by: {id: asc}) { id } }`, nil, user)
	wantJSON(t, r.Body, `{"data":{"author":[{"id":1},{"id":2}]}}`)
	// In a permission filter.
	r = gql(t, s, `{ author(order_by: {id: asc}) { id } }`, nil, map[string]string{"X-Hasura-Role": "published"})
	wantJSON(t, r.Body, `{"data":{"author":[{"id":1},{"id":2}]}}`)
	// A computed field with arguments of its own is not in the bool_exp.
	wantGQLError(t, gql(t, s, `{ author(where: {search: {id: {_eq: 1}}}) { id } }`, nil), "validation-failed", "", `"search"`)
}

// TestPermissionFiltersUsePostgresColumnNames: Hasura's permission filter,
// check and columns name a renamed column by its Postgres name, even where
// GraphQL shows the custom name; the custom name there does not exist.
func TestPermissionFiltersUsePostgresColumnNames(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL, owner_id int NOT NULL);
		INSERT INTO note VALUES (1, 'mine', 1), (2, 'theirs', 2)`,
		op("pg_track_table", map[string]any{"table": "note", "configuration": map[string]any{
			"column_config": map[string]any{"owner_id": map[string]any{"custom_name": "ownerId"}, "body": map[string]any{"custom_name": "text"}}}}),
		op("pg_create_select_permission", map[string]any{"table": "note", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "body", "owner_id"},
			"filter":  map[string]any{"_and": []any{map[string]any{"owner_id": map[string]any{"_eq": "X-Hasura-User-Id"}}, map[string]any{"body": map[string]any{"_is_null": false}}}}}}),
		op("pg_create_insert_permission", map[string]any{"table": "note", "role": "user", "permission": map[string]any{
			"columns": []string{"id", "body", "owner_id"},
			"check":   map[string]any{"owner_id": "X-Hasura-User-Id"}}}),
	)
	r := gql(t, s, `{ note { id text ownerId } }`, nil, userHeaders("1"))
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"data":{"note":[{"id":1,"text":"mine","ownerId":1}]}}`)

	r = gql(t, s, `mutation { insert_note_one(object: {id: 3, text: "forged", ownerId: 2}) { id } }`, nil, userHeaders("1"))
	wantGQLError(t, r, "permission-error", "", "check constraint of an insert/update permission has failed")
	r = gql(t, s, `mutation { insert_note_one(object: {id: 3, text: "new", ownerId: 1}) { id text } }`, nil, userHeaders("1"))
	wantJSON(t, r.Body, `{"data":{"insert_note_one":{"id":3,"text":"new"}}}`)

	// Update presets name the column by its Postgres name too.
	mustMeta(t, s, op("pg_create_update_permission", map[string]any{"table": "note", "role": "user", "permission": map[string]any{
		"columns": []string{"id"}, "filter": map[string]any{"owner_id": map[string]any{"_eq": "X-Hasura-User-Id"}},
		"set": map[string]any{"body": "edited by its owner"}}}))
	r = gql(t, s, `mutation { update_note(where: {}, _set: {id: 2}) { affected_rows returning { id text } } }`, nil, userHeaders("2"))
	wantJSON(t, r.Body, `{"data":{"update_note":{"affected_rows":1,"returning":[{"id":2,"text":"edited by its owner"}]}}}`)
	r = meta(t, s, op("pg_create_delete_permission", map[string]any{"table": "note", "role": "user", "permission": map[string]any{
		"filter": map[string]any{"_or": []any{map[string]any{"id": map[string]any{"_eq": 1}}, map[string]any{"text": map[string]any{"_eq": "x"}}}}}}))
	wantAdminError(t, r, 400, "constraint-violation", `"text" does not exist`)
	r = meta(t, s, op("pg_create_insert_permission", map[string]any{"table": "note", "role": "other", "permission": map[string]any{
		"columns": []string{"id"}, "check": map[string]any{}, "set": map[string]any{"ownerId": "X-Hasura-User-Id"}}}))
	wantAdminError(t, r, 400, "constraint-violation", `column "ownerId" does not exist`)

	// The GraphQL name in a filter is no field of the table.
	r = meta(t, s, op("pg_create_select_permission", map[string]any{"table": "note", "role": "other", "permission": map[string]any{
		"columns": []string{"id"}, "filter": map[string]any{"ownerId": map[string]any{"_eq": 1}}}}))
	wantAdminError(t, r, 400, "constraint-violation", `in table "note": in permission for role "other": "ownerId" does not exist`)
	r = meta(t, s, op("pg_create_select_permission", map[string]any{"table": "note", "role": "other", "permission": map[string]any{
		"columns": []string{"text"}, "filter": map[string]any{}}}))
	wantAdminError(t, r, 400, "constraint-violation", `column "text" does not exist`)
}
