package integration

import (
	"os"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// librarySQL is the added source's database: books and their reviews.
const librarySQL = `
CREATE TABLE book (id int PRIMARY KEY, title text NOT NULL, pages int NOT NULL);
CREATE TABLE review (id int PRIMARY KEY, book_id int NOT NULL REFERENCES book(id), stars int NOT NULL);
INSERT INTO book VALUES (1, 'Dune', 412), (2, 'Pamphlet', 12);
INSERT INTO review VALUES (1, 1, 5), (2, 1, 4), (3, 2, 1);`

// sourceConfig is a pg_add_source configuration reaching url.
func sourceConfig(url any) map[string]any {
	return map[string]any{"connection_info": map[string]any{"database_url": url}}
}

// trackLibrary tracks the library tables in source src, with a
// relationship and a select permission for role user.
func trackLibrary(t *testing.T, s *testenv.Server, src string) {
	t.Helper()
	for _, tbl := range []string{"book", "review"} {
		mustMeta(t, s, op("pg_track_table", map[string]any{"source": src, "table": tbl}))
	}
	mustMeta(t, s, op("pg_create_array_relationship", map[string]any{"source": src, "table": "book", "name": "reviews",
		"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "review", "column": "book_id"}}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"source": src, "table": "book", "role": "user",
		"permission": map[string]any{"columns": []string{"id", "title"}, "filter": map[string]any{"pages": map[string]any{"_gt": 100}},
			"allow_aggregations": true}}))
}

// startTwoSources serves a default database with author and an added
// source "library" (a second real database, given by URL).
func startTwoSources(t *testing.T) (*testenv.Server, string) {
	t.Helper()
	s, _ := startWith(t, `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL); INSERT INTO author VALUES (1, 'Ann')`,
		op("pg_track_table", map[string]any{"table": "author"}))
	lib := testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL)
	r := mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(lib)}))
	wantJSON(t, r.Body, `{"message":"success"}`)
	trackLibrary(t, s, "library")
	return s, lib
}

func TestSourcesQueriesMutationsAndPermissions(t *testing.T) {
	t.Parallel()
	s, lib := startTwoSources(t)

	wantData(t, s, `{ book(order_by: {id: asc}) { id title reviews(order_by: {id: asc}) { stars } } }`, nil,
		`{"book":[{"id":1,"title":"Dune","reviews":[{"stars":5},{"stars":4}]},{"id":2,"title":"Pamphlet","reviews":[{"stars":1}]}]}`)
	wantData(t, s, `{ book_by_pk(id: 2) { title __typename } review_aggregate { aggregate { count sum { stars } } } }`, nil,
		`{"book_by_pk":{"title":"Pamphlet","__typename":"book"},"review_aggregate":{"aggregate":{"count":3,"sum":{"stars":10}}}}`)
	// One request reading both sources.
	wantData(t, s, `query ($id: Int!) { author { name } book_by_pk(id: $id) { title } a: author_by_pk(id: 1) { id } }`,
		map[string]any{"id": 1}, `{"author":[{"name":"Ann"}],"book_by_pk":{"title":"Dune"},"a":{"id":1}}`)

	// Mutations write the added source's database.
	wantData(t, s, `mutation { insert_book_one(object: {id: 3, title: "Atlas", pages: 300}) { id title } }`, nil,
		`{"insert_book_one":{"id":3,"title":"Atlas"}}`)
	if got := testenv.Pool(t, lib).QueryRow(t.Context(), `SELECT title FROM book WHERE id = 3`).Scan(new(string)); got != nil {
		t.Fatalf("the inserted book is not in the added source's database: %v", got)
	}
	// One mutation writing both sources: each in its own transaction, in order.
	wantData(t, s, `mutation { insert_author_one(object: {id: 2, name: "Bo"}) { id }
	  update_book_by_pk(pk_columns: {id: 3}, _set: {title: "Atlas II"}) { title }
	  delete_review(where: {stars: {_lt: 2}}) { affected_rows } }`, nil,
		`{"insert_author_one":{"id":2},"update_book_by_pk":{"title":"Atlas II"},"delete_review":{"affected_rows":1}}`)
	wantData(t, s, `{ author(order_by: {id: asc}) { name } book_aggregate { aggregate { count } } review_aggregate { aggregate { count } } }`, nil,
		`{"author":[{"name":"Ann"},{"name":"Bo"}],"book_aggregate":{"aggregate":{"count":3}},"review_aggregate":{"aggregate":{"count":2}}}`)
	// A failing write on the added source is rolled back there, with Hasura's error.
	wantGQLError(t, gql(t, s, `mutation { insert_book_one(object: {id: 1, title: "Dup", pages: 1}) { id } }`, nil),
		"constraint-violation", "$", "Uniqueness violation")

	// Role user: its permission on the added source filters rows and columns.
	user := map[string]string{"X-Hasura-Role": "user"}
	r := gql(t, s, `{ book(order_by: {id: asc}) { id title } book_aggregate { aggregate { count } } }`, nil, user)
	wantOrdered(t, r.Body, `{"data":{"book":[{"id":1,"title":"Dune"},{"id":3,"title":"Atlas II"}],"book_aggregate":{"aggregate":{"count":2}}}}`)
	wantGQLError(t, gql(t, s, `{ book { pages } }`, nil, user), "validation-failed", "$.selectionSet.book.selectionSet.pages", "pages")
	wantGQLError(t, gql(t, s, `{ review { id } }`, nil, user), "validation-failed", "$.selectionSet.review", "review")

	// Explain runs each field's EXPLAIN on its own source's database
	// (book does not exist in the default one).
	r = post(t, s, "/v1/graphql/explain", map[string]any{"query": map[string]any{"query": `{ book_by_pk(id: 1) { id } author { id } }`}}, admin())
	wantStatus(t, r, 200)
	if plan := field(t, r.Body, 0, "plan", 0); plan == nil || !strings.Contains(string(r.Body), "book") {
		t.Fatalf("explain over two sources: %s", r.Body)
	}
	// dump_internal_state names each table's source.
	r = mustMeta(t, s, op("dump_internal_state", map[string]any{}))
	if field(t, r.Body, "tables", 1, "source") != "library" || field(t, r.Body, "tables", 1, "table", "name") != "book" {
		t.Fatalf("dump_internal_state: %s", r.Body)
	}

	// Dropping the source removes its fields; the default source still serves.
	mustMeta(t, s, op("pg_drop_source", map[string]any{"name": "library"}))
	wantGQLError(t, gql(t, s, `{ book { id } }`, nil), "validation-failed", "$.selectionSet.book", "book")
	wantData(t, s, `{ author_by_pk(id: 1) { name } }`, nil, `{"author_by_pk":{"name":"Ann"}}`)
}

func TestSourcesCustomizationAndNamespace(t *testing.T) {
	t.Parallel()
	s, lib := startTwoSources(t)
	// The same database again, from an environment variable, customized.
	env := "GRAFT_TEST_LIBRARY_" + strings.ToUpper(strings.TrimPrefix(s.Slot, "graft_test_"))
	os.Setenv(env, lib)
	t.Cleanup(func() { os.Unsetenv(env) })
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "lib2", "configuration": sourceConfig(map[string]any{"from_env": env}),
		"customization": map[string]any{"root_fields": map[string]any{"prefix": "lib_", "suffix": "_x"},
			"type_names": map[string]any{"prefix": "Lib", "suffix": "T"}}}))
	trackLibrary(t, s, "lib2")
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "shop", "configuration": sourceConfig(lib),
		"customization": map[string]any{"root_fields": map[string]any{"namespace": "shop"}, "type_names": map[string]any{"prefix": "S_"}}}))
	trackLibrary(t, s, "shop")

	// Root field prefix/suffix, and type prefix/suffix around whole type
	// names, shared types included; GraphQL's own scalars keep theirs.
	wantData(t, s, `{ lib_book_by_pk_x(id: 1) { title __typename reviews { __typename } }
	  lib_book_aggregate_x { __typename aggregate { __typename count } } book_by_pk(id: 1) { __typename } }`, nil,
		`{"lib_book_by_pk_x":{"title":"Dune","__typename":"LibbookT","reviews":[{"__typename":"LibreviewT"},{"__typename":"LibreviewT"}]},`+
			`"lib_book_aggregate_x":{"__typename":"Libbook_aggregateT","aggregate":{"__typename":"Libbook_aggregate_fieldsT","count":2}},`+
			`"book_by_pk":{"__typename":"book"}}`)
	wantData(t, s, `{ a: __type(name: "Libbook_bool_expT") { name } b: __type(name: "LibInt_comparison_expT") { name }
	  c: __type(name: "Liborder_byT") { name } d: __type(name: "Int_comparison_exp") { name } e: __type(name: "LibIntT") { name }
	  f: __type(name: "S_shop_query") { fields { name } } }`, nil,
		`{"a":{"name":"Libbook_bool_expT"},"b":{"name":"LibInt_comparison_expT"},"c":{"name":"Liborder_byT"},`+
			`"d":{"name":"Int_comparison_exp"},"e":null,"f":{"fields":[{"name":"book"},{"name":"book_aggregate"},{"name":"book_by_pk"},`+
			`{"name":"review"},{"name":"review_aggregate"},{"name":"review_by_pk"}]}}`)
	// Fragments on customized type names; filters and order by through the
	// customized input types.
	wantData(t, s, `query ($w: Libbook_bool_expT) { lib_book_x(where: $w, order_by: {id: desc}) { ...B } }
	  fragment B on LibbookT { id }`, map[string]any{"w": map[string]any{"pages": map[string]any{"_gt": 0}}},
		`{"lib_book_x":[{"id":2},{"id":1}]}`)

	// The namespace holds the source's root fields, answered nested.
	wantData(t, s, `{ shop { __typename book_by_pk(id: 1) { title } n: review_aggregate { aggregate { count } } } author { id } }`, nil,
		`{"shop":{"__typename":"S_shop_query","book_by_pk":{"title":"Dune"},"n":{"aggregate":{"count":3}}},"author":[{"id":1}]}`)
	// Twice with other variables: the cached SQL of a namespace re-binds them.
	for id, title := range map[int]string{1: "Dune", 2: "Pamphlet"} {
		wantData(t, s, `query ($id: Int!) { shop { book_by_pk(id: $id) { title } } lib_book_by_pk_x(id: $id) { title } }`,
			map[string]any{"id": id}, `{"shop":{"book_by_pk":{"title":"`+title+`"}},"lib_book_by_pk_x":{"title":"`+title+`"}}`)
	}
	// A namespaced source's live queries sit in <namespace>_subscription.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "n", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { shop { __typename book_by_pk(id: 2) { title } } }`}})
	c.expect("next", "n", `{"data":{"shop":{"__typename":"S_shop_subscription","book_by_pk":{"title":"Pamphlet"}}}}`)
	wantAdminError(t, meta(t, s, op("pg_update_source", map[string]any{"name": "shop",
		"customization": map[string]any{"type_names": map[string]any{"prefix": "not a name"}}})), 400, "parse-failed", "type_names.prefix")
	wantData(t, s, `mutation { shop { insert_book_one(object: {id: 7, title: "Seven", pages: 7}) { id __typename } __typename } }`, nil,
		`{"shop":{"insert_book_one":{"id":7,"__typename":"S_book"},"__typename":"S_shop_mutation_frontend"}}`)
	wantData(t, s, `{ lib_book_by_pk_x(id: 7) { title } }`, nil, `{"lib_book_by_pk_x":{"title":"Seven"}}`)
	user := map[string]string{"X-Hasura-Role": "user"}
	r := gql(t, s, `{ shop { book(order_by: {id: asc}) { id } } }`, nil, user)
	wantOrdered(t, r.Body, `{"data":{"shop":{"book":[{"id":1}]}}}`)
}

func TestSourcesConflictsAndUnreachable(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE book (id int PRIMARY KEY); INSERT INTO book VALUES (1)`,
		op("pg_track_table", map[string]any{"table": "book"}))
	lib := testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL)
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(lib)}))

	// A source Graft cannot reach is refused, as in Hasura.
	wantAdminError(t, meta(t, s, op("pg_add_source", map[string]any{"name": "nowhere",
		"configuration": sourceConfig("postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2")})),
		400, "unexpected", "connection error")

	// book is the default source's already: refused, and nothing changes.
	r := meta(t, s, op("pg_track_table", map[string]any{"source": "library", "table": "book"}))
	wantAdminError(t, r, 400, "invalid-configuration", "conflicting definitions")
	wantData(t, s, `{ book { id } }`, nil, `{"book":[{"id":1}]}`)
	// With a prefix on its names, it can be tracked.
	mustMeta(t, s, op("pg_update_source", map[string]any{"name": "library",
		"customization": map[string]any{"root_fields": map[string]any{"prefix": "lib_"}, "type_names": map[string]any{"prefix": "lib_"}}}))
	mustMeta(t, s, op("pg_track_table", map[string]any{"source": "library", "table": "book"}))
	wantData(t, s, `{ book { id } lib_book(where: {id: {_eq: 2}}) { title } }`, nil, `{"book":[{"id":1}],"lib_book":[{"title":"Pamphlet"}]}`)

	// A metadata document whose source is unreachable: that source is
	// inconsistent, the rest is served.
	md := exportMetadata(t, s)
	dead := strings.Replace(string(md), `"name":"library"`, `"name":"dead"`, 1)
	dead = strings.Replace(dead, lib, "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2", 1)
	r = meta(t, s, map[string]any{"type": "replace_metadata", "version": 2,
		"args": map[string]any{"allow_inconsistent_metadata": true, "metadata": jsonRaw([]byte(dead))}})
	wantStatus(t, r, 200)
	if field(t, r.Body, "is_consistent") != false || field(t, r.Body, "inconsistent_objects", 0, "type") != "source" ||
		field(t, r.Body, "inconsistent_objects", 0, "name") != "source dead" {
		t.Fatalf("replace_metadata with an unreachable source: %s", r.Body)
	}
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if field(t, r.Body, "inconsistent_objects", 0, "name") != "source dead" {
		t.Fatalf("get_inconsistent_metadata: %s", r.Body)
	}
	wantData(t, s, `{ book { id } }`, nil, `{"book":[{"id":1}]}`)
	wantGQLError(t, gql(t, s, `{ lib_book { id } }`, nil), "validation-failed", "$.selectionSet.lib_book", "lib_book")
	mustMeta(t, s, op("drop_inconsistent_metadata", map[string]any{}))
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, `"dead"`) {
		t.Fatalf("drop_inconsistent_metadata kept the unreachable source: %s", exp)
	}
}

func TestSourcesFunctionsComputedFieldsAndSessions(t *testing.T) {
	t.Parallel()
	s, lib := startTwoSources(t)
	testenv.Exec(t, lib, `
CREATE FUNCTION search_books(q text) RETURNS SETOF book LANGUAGE sql STABLE AS $$ SELECT * FROM book WHERE title ILIKE '%' || q || '%' $$;
CREATE FUNCTION book_label(b book) RETURNS text LANGUAGE sql STABLE AS $$ SELECT b.title || ' (' || b.pages || 'p)' $$;`)
	mustMeta(t, s, op("pg_track_function", map[string]any{"source": "library", "function": "search_books"}))
	mustMeta(t, s, op("pg_add_computed_field", map[string]any{"source": "library", "table": "book", "name": "label",
		"definition": map[string]any{"function": "book_label"}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"source": "library", "table": "review", "role": "user",
		"permission": map[string]any{"columns": []string{"id", "stars"}, "filter": map[string]any{"stars": map[string]any{"_eq": "X-Hasura-User-Id"}}}}))

	wantData(t, s, `{ search_books(args: {q: "dun"}) { id label } search_books_aggregate(args: {q: "e"}) { aggregate { count } } }`, nil,
		`{"search_books":[{"id":1,"label":"Dune (412p)"}],"search_books_aggregate":{"aggregate":{"count":2}}}`)
	user := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "4"}
	r := gql(t, s, `{ review { id stars } book { reviews { id } } }`, nil, user)
	wantOrdered(t, r.Body, `{"data":{"review":[{"id":2,"stars":4}],"book":[{"reviews":[{"id":2}]}]}}`)

	// Live queries on the added source (and the default one next to it):
	// Graft's own write to the added source refetches them at once.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "s", "type": "subscribe", "payload": map[string]any{
		"query": `subscription ($id: Int!) { book_by_pk(id: $id) { title label } }`, "variables": map[string]any{"id": 1}}})
	c.expect("next", "s", `{"data":{"book_by_pk":{"title":"Dune","label":"Dune (412p)"}}}`)
	c.send(map[string]any{"id": "t", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { book_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id } }`}})
	c.expect("next", "t", `{"data":{"book_stream":[{"id":1},{"id":2}]}}`)
	wantData(t, s, `mutation { update_book_by_pk(pk_columns: {id: 1}, _set: {title: "Dune Messiah"}) { id } insert_book_one(object: {id: 5, title: "Five", pages: 5}) { id } }`, nil,
		`{"update_book_by_pk":{"id":1},"insert_book_one":{"id":5}}`)
	got := map[string]string{}
	for range 2 {
		f := c.next()
		got[f.ID] = string(f.Payload)
	}
	if !strings.Contains(got["s"], `"title":"Dune Messiah"`) || !strings.Contains(got["t"], `[{"id":5}]`) {
		t.Fatalf("live query and stream on the added source after a write: %v", got)
	}
	c.send(map[string]any{"id": "d", "type": "subscribe", "payload": map[string]any{"query": `subscription { author { name } }`}})
	c.expect("next", "d", `{"data":{"author":[{"name":"Ann"}]}}`)
}

// Two sources generating one type name that the metadata check does not
// foresee (a default table named like the added source's customized
// order_by): the default source is still served.
func TestSourcesTypeClashKeepsDefaultServed(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE lib_order_by (id int PRIMARY KEY); INSERT INTO lib_order_by VALUES (1)`,
		op("pg_track_table", map[string]any{"table": "lib_order_by"}))
	lib := testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL)
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(lib),
		"customization": map[string]any{"root_fields": map[string]any{"prefix": "l_"}, "type_names": map[string]any{"prefix": "lib_"}}}))
	trackLibrary(t, s, "library")
	wantData(t, s, `{ lib_order_by { id } }`, nil, `{"lib_order_by":[{"id":1}]}`)
	wantGQLError(t, gql(t, s, `{ l_book { id } }`, nil), "validation-failed", "$.selectionSet.l_book", "l_book")
}

// naming_convention graphql-default: camelCase fields and arguments,
// PascalCase types, UPPERCASE enum values, in literals and variables.
func TestSourcesNamingConventionGraphQLDefault(t *testing.T) {
	t.Parallel()
	s, lib := startTwoSources(t)
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "camel", "configuration": sourceConfig(lib),
		"customization": map[string]any{"root_fields": map[string]any{"namespace": "cam"}, "naming_convention": "graphql-default"}}))
	trackLibrary(t, s, "camel")

	wantData(t, s, `{ cam { __typename bookByPk(id: 1) { title __typename reviewsAggregate { aggregate { count } } }
	  book(orderBy: {id: DESC}, where: {pages: {_gt: 100}, title: {_isNull: false}}) { id }
	  x: reviewAggregate(distinctOn: [BOOK_ID]) { aggregate { count(columns: [BOOK_ID], distinct: true) } } } }`, nil,
		`{"cam":{"__typename":"CamQuery","bookByPk":{"title":"Dune","__typename":"Book","reviewsAggregate":{"aggregate":{"count":2}}},`+
			`"book":[{"id":1}],"x":{"aggregate":{"count":2}}}}`)
	wantData(t, s, `query ($o: [BookOrderBy!], $w: BookBoolExp, $d: OrderBy = ASC) { cam { book(orderBy: $o, where: $w) { id }
	  first: book(orderBy: {id: $d}, limit: 1) { id } } }`,
		map[string]any{"o": []any{map[string]any{"id": "DESC"}}, "w": map[string]any{"_and": []any{map[string]any{"pages": map[string]any{"_gt": 10}}}}},
		`{"cam":{"book":[{"id":2},{"id":1}],"first":[{"id":1}]}}`)
	wantData(t, s, `mutation { cam { insertBookOne(object: {id: 9, title: "Nine", pages: 9}) { id }
	  updateBookByPk(pkColumns: {id: 9}, _set: {pages: 99}) { pages } deleteReview(where: {bookId: {_eq: 2}}) { affectedRows } } }`, nil,
		`{"cam":{"insertBookOne":{"id":9},"updateBookByPk":{"pages":99},"deleteReview":{"affectedRows":1}}}`)
	// Fragments and inline fragments on the renamed types; update_many's
	// nested inputs.
	wantData(t, s, `query { cam { bookByPk(id: 1) { ...F ... on Book { reviews(orderBy: [{stars: ASC}]) { stars } } } } }
	  fragment F on Book { pagesCount: pages title }`, nil,
		`{"cam":{"bookByPk":{"pagesCount":412,"title":"Dune","reviews":[{"stars":4},{"stars":5}]}}}`)
	wantData(t, s, `mutation { cam { updateBookMany(updates: [{where: {id: {_eq: 9}}, _inc: {pages: 1}}]) { affectedRows returning { pages } } } }`, nil,
		`{"cam":{"updateBookMany":[{"affectedRows":1,"returning":[{"pages":100}]}]}}`)
	r := gql(t, s, `{ a: __type(name: "IntComparisonExp") { inputFields { name } } b: __type(name: "OrderBy") { enumValues { name } }
	  c: __type(name: "Int_comparison_exp") { name } }`, nil)
	for _, part := range []string{`{"name":"_isNull"}`, `{"name":"ASC_NULLS_FIRST"}`, `"c":{"name":"Int_comparison_exp"}`} {
		if !strings.Contains(string(r.Body), part) {
			t.Fatalf("introspection lacks %s: %s", part, r.Body)
		}
	}
	// The default-named source next to it is untouched.
	wantData(t, s, `{ book_by_pk(id: 1) { __typename reviews_aggregate { aggregate { count } } } }`, nil,
		`{"book_by_pk":{"__typename":"book","reviews_aggregate":{"aggregate":{"count":2}}}}`)
}

// The default source can take graphql-default too: its live queries keep
// working under the new names.
func TestSourcesDefaultSourceGraphQLDefault(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE author_note (note_id int PRIMARY KEY, body_text text NOT NULL); INSERT INTO author_note VALUES (1, 'hi')`,
		op("pg_track_table", map[string]any{"table": "author_note"}))
	mustMeta(t, s, op("pg_update_source", map[string]any{"name": "default",
		"customization": map[string]any{"naming_convention": "graphql-default"}}))
	wantData(t, s, `{ authorNoteByPk(noteId: 1) { bodyText __typename } authorNoteAggregate { aggregate { max { noteId } } } }`, nil,
		`{"authorNoteByPk":{"bodyText":"hi","__typename":"AuthorNote"},"authorNoteAggregate":{"aggregate":{"max":{"noteId":1}}}}`)
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription ($o: [AuthorNoteOrderBy!]) { authorNote(orderBy: $o) { noteId } }`, "variables": map[string]any{"o": []any{map[string]any{"noteId": "DESC"}}}}})
	c.expect("next", "1", `{"data":{"authorNote":[{"noteId":1}]}}`)
	wantData(t, s, `mutation { insertAuthorNoteOne(object: {noteId: 2, bodyText: "yo"}) { noteId } }`, nil, `{"insertAuthorNoteOne":{"noteId":2}}`)
	c.expect("next", "1", `{"data":{"authorNote":[{"noteId":2},{"noteId":1}]}}`)
}

// A write to an added source's database that Graft did not make reaches its
// live queries on the fallback tick: Graft reads the default database's
// WAL only.
func TestSourcesLiveQueryPollsAddedSource(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{LiveFallbackMS: "300"})
	lib := testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL)
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(lib)}))
	mustMeta(t, s, op("pg_track_table", map[string]any{"source": "library", "table": "book"}))
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { book_aggregate { aggregate { count } } }`}})
	c.expect("next", "1", `{"data":{"book_aggregate":{"aggregate":{"count":2}}}}`)
	testenv.Exec(t, lib, `INSERT INTO book VALUES (3, 'Outside', 1)`)
	c.expect("next", "1", `{"data":{"book_aggregate":{"aggregate":{"count":3}}}}`)
}
