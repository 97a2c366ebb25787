package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

const libSchema = `
CREATE TABLE writer (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, team text NOT NULL);
CREATE TABLE book (id int PRIMARY KEY, title text NOT NULL, writer_id int NOT NULL REFERENCES writer(id),
  published boolean NOT NULL, price numeric NOT NULL, editor_id int);
INSERT INTO writer VALUES (1, 'ada', 'ada@x', 'red'), (2, 'grace', 'grace@x', 'blue');
INSERT INTO book VALUES (1, 'A1', 1, true, 10, 2), (2, 'A2 draft', 1, false, 20, 1), (3, 'G1', 2, true, 30, 2),
  (4, 'G2 draft', 2, false, 40, 2);
CREATE FUNCTION books_by(w text) RETURNS SETOF book AS $$ SELECT b.* FROM book b JOIN writer a ON a.id = b.writer_id WHERE a.name = w $$ LANGUAGE sql STABLE;`

func perm(kind, table, role string, p map[string]any) map[string]any {
	return map[string]any{"type": "pg_create_" + kind + "_permission", "args": map[string]any{"table": table, "role": role, "permission": p}}
}

// startLibrary: role "reader" sees published books and, through the writer
// relationship, only its own team's writers without their email; role
// "editor" sees books it edits (_ceq-free) and drafts.
func startLibrary(t *testing.T) *testenv.Server {
	t.Helper()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, libSchema)
	s := testenv.Start(t, db)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "writer"}},
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "book"}},
		map[string]any{"type": "pg_track_function", "args": map[string]any{"function": "books_by"}},
		map[string]any{"type": "pg_create_object_relationship", "args": map[string]any{"table": "book", "name": "writer", "using": map[string]any{"foreign_key_constraint_on": "writer_id"}}},
		map[string]any{"type": "pg_create_array_relationship", "args": map[string]any{"table": "writer", "name": "books", "using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "book", "column": "writer_id"}}}},
		perm("select", "book", "reader", map[string]any{"columns": []string{"id", "title", "writer_id"}, "allow_aggregations": true,
			"filter": map[string]any{"published": map[string]any{"_eq": true}, "writer": map[string]any{"team": map[string]any{"_eq": "X-Hasura-Team"}}}}),
		perm("select", "writer", "reader", map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{"team": map[string]any{"_eq": "X-Hasura-Team"}}}),
		perm("select", "book", "editor", map[string]any{"columns": []string{"id", "title", "price"},
			"filter": map[string]any{"editor_id": map[string]any{"_ceq": "writer_id"}}}),
		perm("insert", "book", "robot", map[string]any{"columns": "*", "check": map[string]any{}, "backend_only": true}),
		map[string]any{"type": "add_inherited_role", "args": map[string]any{"role_name": "staff", "role_set": []string{"reader", "editor"}}},
	}})
	return s
}

func reader(team string) map[string]string {
	return map[string]string{"X-Hasura-Role": "reader", "X-Hasura-Team": team}
}

func TestPermissionsNeverLeakRows(t *testing.T) {
	t.Parallel()
	s := startLibrary(t)
	red := reader("red")
	cases := []struct{ name, query, want string }{
		{"list", `{ book(order_by: {id: asc}) { id title } }`, `{"data":{"book":[{"id":1,"title":"A1"}]}}`},
		{"by_pk of a hidden row", `{ book_by_pk(id: 3) { id } }`, `{"data":{"book_by_pk":null}}`},
		{"aggregate", `{ book_aggregate { aggregate { count } } }`, `{"data":{"book_aggregate":{"aggregate":{"count":1}}}}`},
		{"relationship", `{ writer { name books { title } } }`, `{"data":{"writer":[{"name":"ada","books":[{"title":"A1"}]}]}}`},
		{"relationship aggregate", `{ writer { books_aggregate { aggregate { count } } } }`, `{"data":{"writer":[{"books_aggregate":{"aggregate":{"count":1}}}]}}`},
		{"distinct_on", `{ book(distinct_on: writer_id, order_by: {writer_id: asc}) { id } }`, `{"data":{"book":[{"id":1}]}}`},
		{"order_by through a relationship", `{ book(order_by: {writer: {name: desc}}) { id } }`, `{"data":{"book":[{"id":1}]}}`},
		{"where through a relationship", `{ book(where: {writer: {name: {_eq: "grace"}}}) { id } }`, `{"data":{"book":[]}}`},
		{"function", `{ books_by(args: {w: "grace"}) { id } }`, `{"data":{"books_by":[]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { mustBody(t, s.GraphQL(c.query, nil, red), c.want) })
	}
	// Columns outside the permission do not exist for the role, anywhere.
	for _, q := range []string{
		`{ book { price } }`, `{ writer { email } }`, `{ book(where: {price: {_gt: 0}}) { id } }`,
		`{ book(order_by: {price: asc}) { id } }`, `{ book_aggregate { aggregate { sum { price } } } }`,
		`{ book(distinct_on: price) { id } }`, `{ book { writer { email } } }`,
	} {
		mustErrorCode(t, s.GraphQL(q, nil, red), "validation-failed")
	}
	// A permission naming a session variable the request lacks is an error.
	mustErrorCode(t, s.GraphQL(`{ book { id } }`, nil, map[string]string{"X-Hasura-Role": "reader"}), "not-found")
}

func TestPermissionsColumnComparisonAndInheritedRoles(t *testing.T) {
	t.Parallel()
	s := startLibrary(t)
	mustBody(t, s.GraphQL(`{ book(order_by: {id: asc}) { id price } }`, nil, map[string]string{"X-Hasura-Role": "editor"}),
		`{"data":{"book":[{"id":2,"price":20},{"id":3,"price":30},{"id":4,"price":40}]}}`)
	// staff = reader + editor: rows either allows; price only where editor allows.
	mustBody(t, s.GraphQL(`{ book(order_by: {id: asc}) { id title price } }`, nil, map[string]string{"X-Hasura-Role": "staff", "X-Hasura-Team": "red"}),
		`{"data":{"book":[{"id":1,"title":"A1","price":null},{"id":2,"title":"A2 draft","price":20},{"id":3,"title":"G1","price":30},{"id":4,"title":"G2 draft","price":40}]}}`)
}

func TestPermissionsBackendOnlyInsert(t *testing.T) {
	t.Parallel()
	s := startLibrary(t)
	q := `mutation { insert_book(objects: [{id: 9, title: "bot", writer_id: 1, published: false, price: 1}]) { affected_rows } }`
	robot := map[string]string{"X-Hasura-Role": "robot"}
	mustErrorCode(t, s.GraphQL(q, nil, robot), "validation-failed")
	robot["X-Hasura-Use-Backend-Only-Permissions"] = "true"
	mustBody(t, s.GraphQL(q, nil, robot), `{"data":{"insert_book":{"affected_rows":1}}}`)
}

func TestPermissionsInjectionThroughValuesAndIdentifiers(t *testing.T) {
	t.Parallel()
	s := startLibrary(t)
	evil := `x'); DROP TABLE book; --`
	mustBody(t, s.GraphQL(`query($t: String) { book(where: {title: {_eq: $t}}) { id } }`, map[string]any{"t": evil}), `{"data":{"book":[]}}`)
	mustBody(t, s.GraphQL(`{ book(where: {title: {_like: "%'; DROP TABLE book; --"}}) { id } }`, nil), `{"data":{"book":[]}}`)
	// Identifiers come only from metadata and are quoted; unknown names are validation errors.
	mustErrorCode(t, s.GraphQL(`{ book(order_by: {title: asc}) { id "; DROP TABLE book; --": title } }`, nil), "validation-failed")
	r := s.Post("/v1/metadata", map[string]any{"type": "pg_track_table", "args": map[string]any{"table": map[string]any{"schema": "public", "name": `book"; DROP TABLE book; --`}}}, testenv.Admin())
	if r.Status != 400 || !strings.Contains(string(r.Body), "not-exists") {
		t.Fatalf("tracking an injected name: %d %s", r.Status, r.Body)
	}
	mustBody(t, s.GraphQL(`{ book_aggregate { aggregate { count } } }`, nil), `{"data":{"book_aggregate":{"aggregate":{"count":4}}}}`)
}

func TestPermissionsSubscriptionRootFieldsAndLegacyDataAPI(t *testing.T) {
	t.Parallel()
	s := startLibrary(t)
	s.Metadata(perm("select", "writer", "viewer", map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{},
		"allow_aggregations": true, "subscription_root_fields": []string{"select_aggregate"}}))
	viewer := map[string]string{"X-Hasura-Role": "viewer"}
	// Queries keep every root field; subscriptions only the aggregate.
	mustBody(t, s.GraphQL(`{ writer(order_by: {id: asc}) { name } }`, nil, viewer), `{"data":{"writer":[{"name":"ada"},{"name":"grace"}]}}`)
	r := s.GraphQL(`{ __schema { subscriptionType { fields { name } } } }`, nil, viewer)
	mustBody(t, r, `{"data":{"__schema":{"subscriptionType":{"fields":[{"name":"writer_aggregate"}]}}}}`)

	// The legacy data API on /v2/query: count, update, delete.
	q := func(body map[string]any, want string) {
		t.Helper()
		mustBody(t, s.Query(body), want)
	}
	q(map[string]any{"type": "count", "args": map[string]any{"table": "book", "where": map[string]any{"published": true}}}, `{"count":2}`)
	q(map[string]any{"type": "update", "args": map[string]any{"table": "book", "where": map[string]any{"id": map[string]any{"$eq": 2}},
		"$set": map[string]any{"title": "A2 final"}}}, `{"affected_rows":1}`)
	q(map[string]any{"type": "delete", "args": map[string]any{"table": "book", "where": map[string]any{"writer_id": 2}}}, `{"affected_rows":2}`)
	q(map[string]any{"type": "select", "args": map[string]any{"table": "book", "columns": []string{"id", "title"}}},
		`[{"id":1,"title":"A1"},{"id":2,"title":"A2 final"}]`)
}
