package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// Hasura's handling of input and output values: numeric stringification,
// 32-bit Int literals, repeated directives, update operator overlap, the
// json path argument, array session variables, the backend-only header and
// upsert presets.

const valuesSQL = `
CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0,
  price numeric, ratio float8, small real, big bigint, doc jsonb, raw json);
INSERT INTO item (name, qty, price, ratio, small, big, doc, raw) VALUES
  ('a', 1, 123.45, 16.0001220703125, 0.5, 9223372036854775807, '{"k": {"l": [10, 20]}, "tags": ["x"]}', '{"k": {"l": [1]}}'),
  ('b', 2, 1.5, 2.5, 1.5, 1, '{"other": true}', null);`

func TestStringifyNumericTypes(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, valuesSQL)
	query := `{ item_by_pk(id: 1) { price ratio small big qty } item_aggregate { aggregate { max { price ratio } } } }`
	on := testenv.Start(t, db, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "true"}})
	mustMeta(t, on, op("pg_track_table", map[string]any{"table": "item"}))
	wantData(t, on, query, nil, `{"item_by_pk":{"price":"123.45","ratio":"16.0001220703125","small":0.5,"big":"9223372036854775807","qty":1},`+
		`"item_aggregate":{"aggregate":{"max":{"price":"123.45","ratio":"16.0001220703125"}}}}`)
	wantData(t, on, `mutation { insert_item_one(object: {name: "c", price: 2.50}) { price } }`, nil, `{"insert_item_one":{"price":"2.50"}}`)

	off := testenv.Start(t, db)
	wantData(t, off, query, nil, `{"item_by_pk":{"price":123.45,"ratio":16.0001220703125,"small":0.5,"big":"9223372036854775807","qty":1},`+
		`"item_aggregate":{"aggregate":{"max":{"price":123.45,"ratio":16.0001220703125}}}}`)
}

func TestIntLiteralsAre32Bits(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}),
		op("pg_create_select_permission", map[string]any{"table": "item", "role": "reader", "permission": map[string]any{
			"columns": "*", "filter": map[string]any{}}}))
	r := gql(t, s, `{ item(limit: 3000000000) { id } }`, nil)
	wantGQLError(t, r, "parse-failed", "$.selectionSet.item.args.limit", "The value 3.0e9 lies outside the bounds")
	r = gql(t, s, `{ rows: item(where: {_or: [{qty: {_in: [1, 2147483648]}}]}) { id } }`, nil)
	wantGQLError(t, r, "parse-failed", "$.selectionSet.rows.args.where._or[0].qty._in[1]", "2.147483648e9")
	r = gql(t, s, `mutation { update_item(where: {}, _inc: {qty: -2147483649}) { affected_rows } }`, nil)
	wantGQLError(t, r, "parse-failed", "$.selectionSet.update_item.args._inc.qty", "outside the bounds")
	// A role without mutations gets the usual validation error.
	r = gql(t, s, `mutation { update_item(where: {}, _inc: {qty: 1}) { affected_rows } }`, nil, map[string]string{"X-Hasura-Role": "reader"})
	wantGQLError(t, r, "validation-failed", "", "")
	// The bounds themselves and bigint columns are fine.
	wantData(t, s, `{ item(where: {qty: {_lt: 2147483647, _gt: -2147483648}, big: {_gt: 3000000000}}) { id } }`, nil, `{"item":[{"id":1}]}`)
}

func TestRepeatedDirectiveIsAnError(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}))
	r := gql(t, s, `{ item { id @include(if: true) @include(if: true) name } }`, nil)
	wantGQLError(t, r, "validation-failed", "$.selectionSet.item.selectionSet", "the following directives are used more than once: include")
	r = gql(t, s, `query { item { ...f } } fragment f on item { id @skip(if: false) @include(if: true) @skip(if: true) }`, nil)
	wantGQLError(t, r, "validation-failed", "", "used more than once: skip")
	wantData(t, s, `{ item(order_by: {id: asc}) { id @include(if: true) @skip(if: false) } }`, nil, `{"item":[{"id":1},{"id":2}]}`)
}

func TestUpdateColumnUnderTwoOperators(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}))
	r := gql(t, s, `mutation { update_item(where: {}, _set: {qty: 5}, _inc: {qty: 1}) { affected_rows } }`, nil)
	wantGQLError(t, r, "validation-failed", "$.selectionSet.update_item.args", "Column found in multiple operators: ['qty'].")
	r = gql(t, s, `mutation { update_item_many(updates: [{where: {}, _append: {doc: {a: 1}}, _delete_key: {doc: "tags"}}]) { affected_rows } }`, nil)
	wantGQLError(t, r, "validation-failed", "$.selectionSet.update_item_many.args.updates[0].args", "['doc']")
	wantData(t, s, `{ item(order_by: {id: asc}) { qty } }`, nil, `{"item":[{"qty":1},{"qty":2}]}`)
	wantData(t, s, `mutation { update_item_by_pk(pk_columns: {id: 1}, _set: {name: "z"}, _inc: {qty: 1}) { name qty } }`, nil,
		`{"update_item_by_pk":{"name":"z","qty":2}}`)
}

func TestJSONPathArgument(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}))
	wantData(t, s, `{ item(order_by: {id: asc}) { l: doc(path: "$.k.l[1]") k: doc(path: "k") t: doc(path: "$['tags'][0]") raw(path: "k.l") doc } }`, nil,
		`{"item":[{"l":20,"k":{"l":[10,20]},"t":"x","raw":[1],"doc":{"k":{"l":[10,20]},"tags":["x"]}},`+
			`{"l":null,"k":null,"t":null,"raw":null,"doc":{"other":true}}]}`)
	wantData(t, s, `query ($p: String) { item_by_pk(id: 1) { doc(path: $p) } }`, map[string]any{"p": "tags"}, `{"item_by_pk":{"doc":["x"]}}`)
	r := gql(t, s, `{ item { doc(path: "$.k[x") } }`, nil)
	wantGQLError(t, r, "validation-failed", "$.selectionSet.item.selectionSet.doc.args.path", "parse json path error")
}

func TestArraySessionVariableHasKeys(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}),
		op("pg_create_select_permission", map[string]any{"table": "item", "role": "any", "permission": map[string]any{
			"columns": []string{"id"}, "filter": map[string]any{"doc": map[string]any{"_has_keys_any": "X-Hasura-Keys"}}}}),
		op("pg_create_select_permission", map[string]any{"table": "item", "role": "all", "permission": map[string]any{
			"columns": []string{"id"}, "filter": map[string]any{"doc": map[string]any{"$has_keys_all": "X-Hasura-Keys"}}}}))
	as := func(role, keys string) map[string]string {
		return map[string]string{"X-Hasura-Role": role, "X-Hasura-Keys": keys}
	}
	cases := []struct{ role, keys, want string }{
		{"any", "{tags,other}", `[{"id":1},{"id":2}]`},
		{"any", "{other}", `[{"id":2}]`},
		{"any", "{}", `[]`},
		{"all", "{k,tags}", `[{"id":1}]`},
		{"all", "{k,other}", `[]`},
	}
	for _, c := range cases {
		r := gql(t, s, `{ item(order_by: {id: asc}) { id } }`, nil, as(c.role, c.keys))
		wantOrdered(t, r.Body, `{"data":{"item":`+c.want+`}}`)
	}
}

func TestBackendOnlyHeaderMustBeBoolean(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}))
	for _, v := range []string{"true", "False", "y", "n"} {
		wantStatus(t, gql(t, s, `{ item { id } }`, nil, map[string]string{"X-Hasura-Use-Backend-Only-Permissions": v}), 200)
	}
	// A request error: 200 on /v1/graphql, as every session error there.
	r := gql(t, s, `{ item { id } }`, nil, map[string]string{"X-Hasura-Use-Backend-Only-Permissions": "maybe"})
	wantStatus(t, r, 200)
	wantGQLError(t, r, "bad-request", "$", "x-hasura-use-backend-only-permissions:  Not a valid boolean text")
}

func TestUpsertReturningAndUpdatePresets(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL+`
CREATE TABLE blog (id int PRIMARY KEY, title text, author_id int, updated_by int, updated_at timestamptz);
INSERT INTO blog VALUES (1, 'first', 1, NULL, NULL);`,
		op("pg_track_table", map[string]any{"table": "blog"}),
		op("pg_create_select_permission", map[string]any{"table": "blog", "role": "user", "permission": map[string]any{
			"columns": "*", "filter": map[string]any{"author_id": "X-Hasura-User-Id"}}}),
		op("pg_create_insert_permission", map[string]any{"table": "blog", "role": "user", "permission": map[string]any{
			"columns": "*", "check": map[string]any{}}}),
		op("pg_create_update_permission", map[string]any{"table": "blog", "role": "user", "permission": map[string]any{
			"columns": []string{"title"}, "filter": map[string]any{},
			"set": map[string]any{"updated_by": "X-Hasura-User-Id", "updated_at": "NOW()"}}}))
	user2 := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "2"}
	// The updated row is returned although user 2's select filter does not
	// match it (Hasura returns what an insert wrote), with the presets set.
	r := gql(t, s, `mutation { insert_blog(objects: [{id: 1, title: "edited"}], on_conflict: {constraint: blog_pkey, update_columns: [title]}) {
	  affected_rows returning { id title author_id updated_by } } }`, nil, user2)
	wantOrdered(t, r.Body, `{"data":{"insert_blog":{"affected_rows":1,"returning":[{"id":1,"title":"edited","author_id":1,"updated_by":2}]}}}`)
	wantData(t, s, `{ blog(where: {updated_at: {_is_null: false}}) { title updated_by } }`, nil, `{"blog":[{"title":"edited","updated_by":2}]}`)
}

func TestInvalidLikeEscapeIsBadRequest(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, valuesSQL, op("pg_track_table", map[string]any{"table": "item"}))
	r := gql(t, s, `{ item(where: {name: {_like: "\\"}}) { id } }`, nil)
	wantGQLError(t, r, "bad-request", "$", "LIKE pattern must not end with escape character")
}
