package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// storeSQL is the default source of the cross-source tests: customers and
// their purchases of books that live in the added source.
const storeSQL = `
CREATE TABLE customer (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO customer VALUES (1, 'Cy'), (2, 'Di'), (3, 'Ed');
CREATE TABLE purchase (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, book_id int, edition int, qty int NOT NULL);
INSERT INTO purchase VALUES (1, 1, 1, 1, 2), (2, 1, 1, 2, 1), (3, 2, 2, 1, 5), (4, 3, NULL, NULL, 1), (5, 2, 1, 2, 3);`

// libraryEditionsSQL adds to the library database editions (keyed on two
// columns) and the customer who wrote each review.
const libraryEditionsSQL = `
ALTER TABLE review ADD COLUMN reviewer_id int;
UPDATE review SET reviewer_id = id;
CREATE TABLE edition (book_id int NOT NULL REFERENCES book, no int NOT NULL, isbn text NOT NULL, PRIMARY KEY (book_id, no));
INSERT INTO edition VALUES (1, 1, 'D-1'), (1, 2, 'D-2'), (2, 1, 'P-1');`

// crossSources is a server whose default source and added source
// "library" are separate real databases, each reached through a
// statement counter.
type crossSources struct {
	s          *testenv.Server
	store, lib *statementCounter
	libURL     string
}

// toSourceRel is a pg_create_remote_relationship with a to_source
// definition on source's table.
func toSourceRel(source, table, name, targetSource, targetTable, kind string, mapping map[string]any) map[string]any {
	return op("pg_create_remote_relationship", map[string]any{"source": source, "table": table, "name": name,
		"definition": map[string]any{"to_source": map[string]any{"source": targetSource, "table": targetTable,
			"relationship_type": kind, "field_mapping": mapping}}})
}

// startCrossSources serves the store (default) and the library (added),
// with to_source relationships both ways.
func startCrossSources(t *testing.T) *crossSources {
	t.Helper()
	storeDB := testenv.NewDatabase(t)
	testenv.Exec(t, storeDB, storeSQL)
	libDB := testenv.NewDatabase(t)
	testenv.Exec(t, libDB, librarySQL+libraryEditionsSQL)
	x := &crossSources{store: startStatementCounter(t, storeDB), lib: startStatementCounter(t, libDB)}
	x.libURL = x.lib.url
	x.s = testenv.Start(t, x.store.url)
	s := x.s
	for _, tbl := range []string{"customer", "purchase"} {
		mustMeta(t, s, op("pg_track_table", map[string]any{"table": tbl}))
	}
	mustMeta(t, s, op("pg_create_object_relationship", map[string]any{"table": "purchase", "name": "customer",
		"using": map[string]any{"foreign_key_constraint_on": "customer_id"}}))
	mustMeta(t, s, op("pg_create_array_relationship", map[string]any{"table": "customer", "name": "purchases",
		"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "purchase", "column": "customer_id"}}}))
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(x.libURL)}))
	trackLibrary(t, s, "library")
	mustMeta(t, s, op("pg_track_table", map[string]any{"source": "library", "table": "edition"}))
	mustMeta(t, s, op("pg_create_object_relationship", map[string]any{"source": "library", "table": "edition", "name": "book",
		"using": map[string]any{"foreign_key_constraint_on": "book_id"}}))
	for _, b := range []map[string]any{
		// default -> library, on two columns and on one.
		toSourceRel("default", "purchase", "edition_info", "library", "edition", "object", map[string]any{"book_id": "book_id", "edition": "no"}),
		toSourceRel("default", "purchase", "book", "library", "book", "object", map[string]any{"book_id": "id"}),
		toSourceRel("default", "customer", "reviews", "library", "review", "array", map[string]any{"id": "reviewer_id"}),
		// library -> default.
		toSourceRel("library", "review", "reviewer", "default", "customer", "object", map[string]any{"reviewer_id": "id"}),
		toSourceRel("library", "book", "purchases", "default", "purchase", "array", map[string]any{"id": "book_id"}),
	} {
		mustMeta(t, s, b)
	}
	return x
}

// wantStatements runs query and checks its whole body and how many
// statements each source's database ran for it.
func (x *crossSources) wantStatements(t *testing.T, query string, store, lib int, data string, hdr ...map[string]string) {
	t.Helper()
	ms, ml := x.store.mark(), x.lib.mark()
	r := gql(t, x.s, query, nil, hdr...)
	wantOrdered(t, r.Body, `{"data":`+data+`}`)
	gotStore, gotLib := x.store.since(ms), x.lib.since(ml)
	if len(gotStore) != store || len(gotLib) != lib {
		t.Fatalf("%s\nran %d statements on the default source (want %d) and %d on library (want %d):\ndefault: %s\nlibrary: %s",
			query, len(gotStore), store, len(gotLib), lib, strings.Join(gotStore, "\n  "), strings.Join(gotLib, "\n  "))
	}
}

// Table -> table joins across two databases: object and array, a mapping
// on two columns, the target's own relationships and a hop back to the
// first source, each relationship one statement per level whatever the
// rows.
func TestRemoteRelSourcesJoins(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)

	// default -> library (two columns) -> library's own relationships ->
	// default again: one statement per source per level.
	x.wantStatements(t, `{ purchase(order_by: {id: asc}) { id edition_info { isbn book { title
		reviews(order_by: {id: asc}) { stars reviewer { name } } } } } }`, 2, 1,
		`{"purchase":[`+
			`{"id":1,"edition_info":{"isbn":"D-1","book":{"title":"Dune","reviews":[{"stars":5,"reviewer":{"name":"Cy"}},{"stars":4,"reviewer":{"name":"Di"}}]}}},`+
			`{"id":2,"edition_info":{"isbn":"D-2","book":{"title":"Dune","reviews":[{"stars":5,"reviewer":{"name":"Cy"}},{"stars":4,"reviewer":{"name":"Di"}}]}}},`+
			`{"id":3,"edition_info":{"isbn":"P-1","book":{"title":"Pamphlet","reviews":[{"stars":1,"reviewer":{"name":"Ed"}}]}}},`+
			`{"id":4,"edition_info":null},`+
			`{"id":5,"edition_info":{"isbn":"D-2","book":{"title":"Dune","reviews":[{"stars":5,"reviewer":{"name":"Cy"}},{"stars":4,"reviewer":{"name":"Di"}}]}}}]}`)
	// Two relationships at one level: one statement each.
	x.wantStatements(t, `{ purchase(where: {id: {_in: [2, 3]}}, order_by: {id: asc}) { id b: book { pages } edition_info { isbn } } }`, 1, 2,
		`{"purchase":[{"id":2,"b":{"pages":412},"edition_info":{"isbn":"D-2"}},{"id":3,"b":{"pages":12},"edition_info":{"isbn":"P-1"}}]}`)
	// An array relationship at level one and an object one at level two
	// (under a local array relationship), with arguments on the array.
	x.wantStatements(t, `{ customer(order_by: {id: asc}) { name reviews(order_by: {stars: desc}) { stars }
		purchases(order_by: {id: asc}) { id book { title pages } } } }`, 1, 2,
		`{"customer":[`+
			`{"name":"Cy","reviews":[{"stars":5}],"purchases":[{"id":1,"book":{"title":"Dune","pages":412}},{"id":2,"book":{"title":"Dune","pages":412}}]},`+
			`{"name":"Di","reviews":[{"stars":4}],"purchases":[{"id":3,"book":{"title":"Pamphlet","pages":12}},{"id":5,"book":{"title":"Dune","pages":412}}]},`+
			`{"name":"Ed","reviews":[{"stars":1}],"purchases":[{"id":4,"book":null}]}]}`)
	x.wantStatements(t, `{ customer_by_pk(id: 1) { reviews(where: {stars: {_lt: 5}}) { stars } } }`, 1, 1,
		`{"customer_by_pk":{"reviews":[]}}`)
	// library -> default, from a root field of the added source.
	x.wantStatements(t, `{ book(order_by: {id: asc}) { title purchases(order_by: {id: asc}) { id qty customer { name } } } }`, 1, 1,
		`{"book":[{"title":"Dune","purchases":[{"id":1,"qty":2,"customer":{"name":"Cy"}},{"id":2,"qty":1,"customer":{"name":"Cy"}},`+
			`{"id":5,"qty":3,"customer":{"name":"Di"}}]},{"title":"Pamphlet","purchases":[{"id":3,"qty":5,"customer":{"name":"Di"}}]}]}`)
	// Root fields of both sources in one request, each joined to the other.
	x.wantStatements(t, `{ book_by_pk(id: 2) { purchases { id } } purchase_by_pk(id: 1) { book { title } } }`, 2, 2,
		`{"book_by_pk":{"purchases":[{"id":3}]},"purchase_by_pk":{"book":{"title":"Dune"}}}`)
	// No rows to join: no statement on the target.
	x.wantStatements(t, `{ purchase(where: {id: {_gt: 100}}) { book { title } } }`, 1, 0, `{"purchase":[]}`)
	// Null join keys only: nothing to ask either.
	x.wantStatements(t, `{ purchase(where: {id: {_eq: 4}}) { book { title } } }`, 1, 0, `{"purchase":[{"book":null}]}`)
}

// A role's select permission on the target applies: its filter leaves
// rows out (the relationship's value is null), its columns are the only
// ones it may select, and a relationship whose join columns it cannot
// read is not in its schema.
func TestRemoteRelSourcesPermissions(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)
	s := x.s
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "purchase", "role": "user",
		"permission": map[string]any{"columns": []string{"id", "book_id", "edition", "qty"}, "filter": map[string]any{}}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "customer", "role": "user",
		"permission": map[string]any{"columns": []string{"name"}, "filter": map[string]any{}}}))
	mustMeta(t, s, op("pg_create_select_permission", map[string]any{"source": "library", "table": "edition", "role": "user",
		"permission": map[string]any{"columns": []string{"isbn", "book_id"}, "filter": map[string]any{"no": map[string]any{"_eq": 1}}}}))
	user := map[string]string{"X-Hasura-Role": "user"}
	// book: pages > 100 only, and no pages column (trackLibrary).
	x.wantStatements(t, `{ purchase(order_by: {id: asc}) { id book { id title } edition_info { isbn } } }`, 1, 2,
		`{"purchase":[{"id":1,"book":{"id":1,"title":"Dune"},"edition_info":{"isbn":"D-1"}},`+
			`{"id":2,"book":{"id":1,"title":"Dune"},"edition_info":null},{"id":3,"book":null,"edition_info":{"isbn":"P-1"}},`+
			`{"id":4,"book":null,"edition_info":null},{"id":5,"book":{"id":1,"title":"Dune"},"edition_info":null}]}`, user)
	wantGQLError(t, gql(t, s, `{ purchase { book { pages } } }`, nil, user), "validation-failed",
		"$.selectionSet.purchase.selectionSet.book.selectionSet.pages", "pages")
	// edition.book's target allows it; book.reviews has no permission for user.
	wantGQLError(t, gql(t, s, `{ purchase { book { reviews { stars } } } }`, nil, user), "validation-failed",
		"$.selectionSet.purchase.selectionSet.book.selectionSet.reviews", "reviews")
	// customer.id is not readable: no reviews relationship.
	wantGQLError(t, gql(t, s, `{ customer { reviews { stars } } }`, nil, user), "validation-failed",
		"$.selectionSet.customer.selectionSet.reviews", "reviews")
	// library.book.purchases needs purchase for user: it has it.
	x.wantStatements(t, `{ book { title purchases(order_by: {id: asc}) { id } } }`, 1, 1,
		`{"book":[{"title":"Dune","purchases":[{"id":1},{"id":2},{"id":5}]}]}`, user)
	// The schema agrees.
	wantData(t, s, `{ p: __type(name: "purchase") { fields { name } } c: __type(name: "customer") { fields { name } } }`, nil,
		`{"p":{"fields":[{"name":"book"},{"name":"book_id"},{"name":"customer"},{"name":"customer_id"},{"name":"edition"},`+
			`{"name":"edition_info"},{"name":"id"},{"name":"qty"}]},"c":{"fields":[{"name":"id"},{"name":"name"},{"name":"purchases"},`+
			`{"name":"purchases_aggregate"},{"name":"reviews"}]}}`)
	r := gql(t, s, `{ p: __type(name: "purchase") { fields { name } } c: __type(name: "customer") { fields { name } } }`, nil, user)
	wantOrdered(t, r.Body, `{"data":{"p":{"fields":[{"name":"book"},{"name":"book_id"},{"name":"customer"},{"name":"edition"},`+
		`{"name":"edition_info"},{"name":"id"},{"name":"qty"}]},"c":{"fields":[{"name":"name"},{"name":"purchases"}]}}}`)
}

// Mutations: the returning rows of a write on either source are joined to
// the other after the write, one statement per relationship.
func TestRemoteRelSourcesMutations(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)
	x.wantStatements(t, `mutation { insert_purchase(objects: [{id: 6, customer_id: 3, book_id: 2, edition: 1, qty: 1},
		{id: 7, customer_id: 1, book_id: 1, edition: 2, qty: 4}]) { returning { id book { title } edition_info { isbn } } } }`, 2, 2,
		`{"insert_purchase":{"returning":[{"id":6,"book":{"title":"Pamphlet"},"edition_info":{"isbn":"P-1"}},`+
			`{"id":7,"book":{"title":"Dune"},"edition_info":{"isbn":"D-2"}}]}}`)
	x.wantStatements(t, `mutation { insert_review_one(object: {id: 4, book_id: 2, stars: 3, reviewer_id: 1}) { id reviewer { name } }
		update_purchase_by_pk(pk_columns: {id: 7}, _set: {qty: 5}) { qty book { reviews(order_by: {id: asc}) { id reviewer { name } } } } }`, 4, 3,
		`{"insert_review_one":{"id":4,"reviewer":{"name":"Cy"}},`+
			`"update_purchase_by_pk":{"qty":5,"book":{"reviews":[{"id":1,"reviewer":{"name":"Cy"}},{"id":2,"reviewer":{"name":"Di"}}]}}}`)
	// The joined rows are the committed ones.
	x.wantStatements(t, `{ book_by_pk(id: 2) { reviews(order_by: {id: asc}) { id reviewer { name } } purchases(order_by: {id: asc}) { id } } }`, 2, 1,
		`{"book_by_pk":{"reviews":[{"id":3,"reviewer":{"name":"Ed"}},{"id":4,"reviewer":{"name":"Cy"}}],"purchases":[{"id":3},{"id":6}]}}`)
}

// A to_source relationship to a source whose names are customized (a
// namespace and a type name prefix), and from it: the joined rows carry
// the target source's type names.
func TestRemoteRelSourcesCustomized(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)
	s := x.s
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "shop", "configuration": sourceConfig(x.libURL),
		"customization": map[string]any{"root_fields": map[string]any{"namespace": "shop"}, "type_names": map[string]any{"prefix": "S_"}}}))
	trackLibrary(t, s, "shop")
	mustMeta(t, s, toSourceRel("default", "purchase", "shop_book", "shop", "book", "object", map[string]any{"book_id": "id"}))
	mustMeta(t, s, toSourceRel("shop", "book", "buyers", "default", "purchase", "array", map[string]any{"id": "book_id"}))
	x.wantStatements(t, `{ purchase(where: {id: {_eq: 3}}) { shop_book { __typename title reviews { __typename stars } } } }`, 1, 1,
		`{"purchase":[{"shop_book":{"__typename":"S_book","title":"Pamphlet","reviews":[{"__typename":"S_review","stars":1}]}}]}`)
	x.wantStatements(t, `{ shop { book_by_pk(id: 2) { title buyers { id __typename shop_book { pages } } } } }`, 1, 2,
		`{"shop":{"book_by_pk":{"title":"Pamphlet","buyers":[{"id":3,"__typename":"purchase","shop_book":{"pages":12}}]}}}`)
	x.wantStatements(t, `mutation { shop { update_book_by_pk(pk_columns: {id: 2}, _set: {pages: 13}) { pages buyers { qty } } } }`, 1, 2,
		`{"shop":{"update_book_by_pk":{"pages":13,"buyers":[{"qty":5}]}}}`)
}

// to_source relationships are checked against the target source's
// catalog, with Hasura's errors; nothing refused is stored.
func TestRemoteRelSourcesMetadata(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)
	s := x.s
	wantAdminError(t, meta(t, s, toSourceRel("default", "purchase", "bad1", "nope", "book", "object", map[string]any{"book_id": "id"})),
		400, "invalid-configuration", `source "nope" does not exist`)
	wantAdminError(t, meta(t, s, toSourceRel("default", "purchase", "bad2", "library", "nope", "object", map[string]any{"book_id": "id"})),
		400, "invalid-configuration", `"nope" is not tracked`)
	wantAdminError(t, meta(t, s, toSourceRel("default", "purchase", "bad3", "library", "book", "object", map[string]any{"book_id": "nocol"})),
		400, "invalid-configuration", `"nocol" does not exist`)
	wantAdminError(t, meta(t, s, toSourceRel("library", "book", "bad4", "default", "purchase", "array", map[string]any{"nocol": "book_id"})),
		400, "invalid-configuration", `"nocol" does not exist`)
	wantAdminError(t, meta(t, s, toSourceRel("library", "book", "title", "default", "purchase", "array", map[string]any{"id": "book_id"})),
		400, "already-exists", "title")
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, "bad") || !strings.Contains(exp, `"reviewer"`) {
		t.Fatalf("export should hold the added source's relationships and no refused one: %s", exp)
	}
	// update and delete on the added source's table.
	mustMeta(t, s, op("pg_update_remote_relationship", map[string]any{"source": "library", "table": "review", "name": "reviewer",
		"definition": map[string]any{"to_source": map[string]any{"source": "default", "table": "customer", "relationship_type": "array",
			"field_mapping": map[string]any{"reviewer_id": "id"}}}}))
	x.wantStatements(t, `{ review_by_pk(id: 2) { reviewer { name } } }`, 1, 1, `{"review_by_pk":{"reviewer":[{"name":"Di"}]}}`)
	mustMeta(t, s, op("pg_delete_remote_relationship", map[string]any{"source": "library", "table": "review", "name": "reviewer"}))
	wantGQLError(t, gql(t, s, `{ review { reviewer { name } } }`, nil), "validation-failed", "$.selectionSet.review.selectionSet.reviewer", "reviewer")
	// The target source cannot go while joined to, unless cascade
	// removes the relationships to it; the rest is served.
	wantAdminError(t, meta(t, s, op("pg_drop_source", map[string]any{"name": "library"})), 400, "dependency-error",
		"remote_relationship reviews in table customer in source default")
	mustMeta(t, s, op("pg_drop_source", map[string]any{"name": "library", "cascade": true}))
	wantData(t, s, `{ purchase_by_pk(id: 1) { qty customer { name } } }`, nil, `{"purchase_by_pk":{"qty":2,"customer":{"name":"Cy"}}}`)
	wantGQLError(t, gql(t, s, `{ purchase { book { id } } }`, nil), "validation-failed", "$.selectionSet.purchase.selectionSet.book", "book")
	if exp := string(exportMetadata(t, s)); strings.Contains(exp, "to_source") || strings.Contains(exp, "library") {
		t.Fatalf("cascade should remove the relationships to the dropped source: %s", exp)
	}
	r := mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"inconsistent_objects":[],"is_consistent":true}`)
}

// An added source's table joined to a remote schema, from its own root
// field and from a to_source hop: one remote call per level either way.
func TestRemoteRelSourcesToRemoteSchema(t *testing.T) {
	t.Parallel()
	x := startCrossSources(t)
	s := x.s
	remote := startJoinRemote(t)
	mustMeta(t, s, addRemote("profiles", remote.URL, nil))
	mustMeta(t, s, op("pg_create_remote_relationship", map[string]any{"source": "library", "table": "book", "name": "profile",
		"definition": map[string]any{"to_remote_schema": map[string]any{"remote_schema": "profiles", "lhs_fields": []string{"id"},
			"remote_field": field1("profile", map[string]any{"user_id": "$id"})}}}))
	wantCalls(t, s, remote, `{ book(order_by: {id: asc}) { title profile { bio } } }`, 1,
		`{"book":[{"title":"Dune","profile":{"bio":"bio of 1"}},{"title":"Pamphlet","profile":{"bio":"bio of 2"}}]}`)
	m := x.lib.mark()
	wantCalls(t, s, remote, `{ purchase(where: {id: {_in: [1, 3]}}, order_by: {id: asc}) { id book { profile { user_id } } } }`, 1,
		`{"purchase":[{"id":1,"book":{"profile":{"user_id":1}}},{"id":3,"book":{"profile":{"user_id":2}}}]}`)
	if got := x.lib.since(m); len(got) != 1 {
		t.Fatalf("the to_source hop ran %d statements on library, want 1: %v", len(got), got)
	}
}
