package integration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

const shopSchema = `
CREATE TABLE author (id serial PRIMARY KEY, name text UNIQUE NOT NULL, session_seen text, born date);
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, author_id int NOT NULL REFERENCES author(id),
  rating int CHECK (rating BETWEEN 0 AND 5), meta jsonb NOT NULL DEFAULT '{}');
CREATE TABLE comment (id serial PRIMARY KEY, body text NOT NULL, article_id int NOT NULL REFERENCES article(id));
-- A trigger reading the session the way Hasura users' triggers do.
CREATE FUNCTION remember_session() RETURNS trigger AS $$
BEGIN NEW.session_seen := current_setting('hasura.user', true); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER author_session BEFORE INSERT ON author FOR EACH ROW EXECUTE FUNCTION remember_session();`

func startShop(t *testing.T) (*testenv.Server, string) {
	t.Helper()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	s.RunSQL(shopSchema)
	track := func(name string) map[string]any {
		return map[string]any{"type": "pg_track_table", "args": map[string]any{"table": name}}
	}
	rel := func(kind, table, name string, using any) map[string]any {
		return map[string]any{"type": "pg_create_" + kind + "_relationship", "args": map[string]any{"table": table, "name": name, "using": using}}
	}
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		track("author"), track("article"), track("comment"),
		rel("object", "article", "author", map[string]any{"foreign_key_constraint_on": "author_id"}),
		rel("array", "author", "articles", map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}),
		rel("object", "comment", "article", map[string]any{"foreign_key_constraint_on": "article_id"}),
		rel("array", "article", "comments", map[string]any{"foreign_key_constraint_on": map[string]any{"table": "comment", "column": "article_id"}}),
	}})
	return s, db
}

// mustBody asserts a GraphQL response body equals want (JSON, key order ignored).
func mustBody(t *testing.T, r *testenv.Response, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("response is not JSON: %s", r.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if string(g) != string(e) {
		t.Fatalf("got  %s\nwant %s", r.Body, want)
	}
}

func count(t *testing.T, db, table string) int {
	t.Helper()
	var n int
	if err := testenv.Pool(t, db).QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMutationNestedInsertThreeLevels(t *testing.T) {
	t.Parallel()
	s, db := startShop(t)
	s.GraphQL(`mutation { insert_author_one(object: {name: "Ada"}) { id } }`, nil)
	// article -> author (object relationship, upserted on its unique name)
	// and article -> comments (array relationship), inside author -> articles.
	r := s.GraphQL(`mutation {
	  insert_article(objects: [{
	    title: "Notes",
	    author: {data: {name: "Ada"}, on_conflict: {constraint: author_name_key, update_columns: [name]}},
	    comments: {data: [{body: "first"}, {body: "second"}]}
	  }]) {
	    affected_rows
	    returning { title author { name } comments(order_by: {id: asc}) { body article { title } } }
	  }
	  insert_author_one(object: {name: "Grace", articles: {data: [{title: "COBOL", comments: {data: [{body: "wow"}]}}]}}) {
	    name articles { title comments { body } }
	  }
	}`, nil)
	mustBody(t, r, `{"data":{
	  "insert_article":{"affected_rows":4,"returning":[{"title":"Notes","author":{"name":"Ada"},
	    "comments":[{"body":"first","article":{"title":"Notes"}},{"body":"second","article":{"title":"Notes"}}]}]},
	  "insert_author_one":{"name":"Grace","articles":[{"title":"COBOL","comments":[{"body":"wow"}]}]}}}`)
	if n := count(t, db, "author"); n != 2 {
		t.Fatalf("authors: got %d, want 2 (Ada upserted, Grace inserted)", n)
	}
	// A child may not set the key its parent determines.
	r = s.GraphQL(`mutation { insert_author(objects: [{name: "X", articles: {data: [{title: "t", author_id: 1}]}}]) { affected_rows } }`, nil)
	mustErrorCode(t, r, "validation-failed")
	if n := count(t, db, "author"); n != 2 {
		t.Fatalf("a failed nested insert left rows behind: %d authors", n)
	}
}

func mustErrorCode(t *testing.T, r *testenv.Response, code string) {
	t.Helper()
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("want error %q, got %s", code, r.Body)
	}
	if body.Errors[0].Extensions.Code != code {
		t.Fatalf("want error code %q, got %s", code, r.Body)
	}
}

func TestMutationUpdateOperatorsAndMany(t *testing.T) {
	t.Parallel()
	s, _ := startShop(t)
	s.GraphQL(`mutation { insert_author(objects: [{name: "Ada"}]) { affected_rows } }`, nil)
	s.GraphQL(`mutation { insert_article(objects: [{title: "a", author_id: 1, rating: 1, meta: {tags: ["x"], keep: 1}},
	  {title: "b", author_id: 1, rating: 2}]) { affected_rows } }`, nil)
	r := s.GraphQL(`mutation {
	  update_article_many(updates: [
	    {where: {title: {_eq: "a"}}, _inc: {rating: 2}, _delete_key: {meta: "tags"}},
	    {where: {rating: {_eq: 2}}, _set: {title: "b2"}}
	  ]) { affected_rows returning { title rating meta } }
	  update_article_by_pk(pk_columns: {id: 2}, _set: {rating: 5}) { id rating }
	}`, nil)
	mustBody(t, r, `{"data":{
	  "update_article_many":[
	    {"affected_rows":1,"returning":[{"title":"a","rating":3,"meta":{"keep":1}}]},
	    {"affected_rows":1,"returning":[{"title":"b2","rating":2,"meta":{}}]}],
	  "update_article_by_pk":{"id":2,"rating":5}}}`)
	// An update that names no operator is an error, as in Hasura.
	mustErrorCode(t, s.GraphQL(`mutation { update_article(where: {}) { affected_rows } }`, nil), "validation-failed")
}

func TestMutationRequestIsAtomic(t *testing.T) {
	t.Parallel()
	s, db := startShop(t)
	r := s.GraphQL(`mutation {
	  a: insert_author_one(object: {name: "Ada"}) { id }
	  b: insert_author_one(object: {name: "Ada"}) { id }
	}`, nil)
	mustErrorCode(t, r, "constraint-violation")
	if !strings.Contains(string(r.Body), "Uniqueness violation") {
		t.Fatalf("want Hasura's uniqueness wording, got %s", r.Body)
	}
	if n := count(t, db, "author"); n != 0 {
		t.Fatalf("the first field's row survived the failed request: %d authors", n)
	}
	// Foreign key, not-null and check violations are constraint-violation too;
	// a bad value for a type is data-exception.
	mustErrorCode(t, s.GraphQL(`mutation { insert_article_one(object: {title: "x", author_id: 99}) { id } }`, nil), "constraint-violation")
	mustErrorCode(t, s.GraphQL(`mutation { insert_author_one(object: {}) { id } }`, nil), "constraint-violation")
	mustBody(t, s.GraphQL(`mutation { insert_author_one(object: {name: "Ada"}) { name } }`, nil), `{"data":{"insert_author_one":{"name":"Ada"}}}`)
	nested := `mutation($a: article_insert_input!) { insert_article_one(object: $a) { id } }`
	ada := map[string]any{"data": map[string]any{"name": "Ada"}, "on_conflict": map[string]any{"constraint": "author_name_key", "update_columns": []string{"name"}}}
	mustErrorCode(t, s.GraphQL(nested, map[string]any{"a": map[string]any{"title": "x", "rating": 9, "author": ada}}), "constraint-violation")
	mustErrorCode(t, s.GraphQL(`mutation { update_author(where: {}, _set: {born: "not a date"}) { affected_rows } }`, nil), "data-exception")
}

func TestMutationPermissionCheckRollsBack(t *testing.T) {
	t.Parallel()
	s, db := startShop(t)
	s.GraphQL(`mutation { insert_author(objects: [{name: "Ada"}, {name: "Grace"}]) { affected_rows } }`, nil)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_create_insert_permission", "args": map[string]any{"table": "article", "role": "user",
			"permission": map[string]any{"check": map[string]any{"author_id": map[string]any{"_eq": "X-Hasura-User-Id"}}, "columns": []string{"title", "author_id"}}}},
		map[string]any{"type": "pg_create_select_permission", "args": map[string]any{"table": "article", "role": "user",
			"permission": map[string]any{"columns": []string{"id", "title"}, "filter": map[string]any{}}}},
	}})
	user := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}
	r := s.GraphQL(`mutation { insert_article(objects: [{title: "mine", author_id: 1}, {title: "not mine", author_id: 2}]) { affected_rows } }`, nil, user)
	mustErrorCode(t, r, "permission-error")
	if n := count(t, db, "article"); n != 0 {
		t.Fatalf("a failed check left %d rows", n)
	}
	r = s.GraphQL(`mutation { insert_article_one(object: {title: "mine", author_id: 1}) { title } }`, nil, user)
	mustBody(t, r, `{"data":{"insert_article_one":{"title":"mine"}}}`)
	// Columns outside the permission do not exist for the role.
	mustErrorCode(t, s.GraphQL(`mutation { insert_article_one(object: {title: "x", author_id: 1, rating: 1}) { id } }`, nil, user), "validation-failed")
	// No delete permission: the field does not exist for the role.
	mustErrorCode(t, s.GraphQL(`mutation { delete_article(where: {}) { affected_rows } }`, nil, user), "validation-failed")
}

func TestMutationCarriesSessionIntoTriggersAndWAL(t *testing.T) {
	t.Parallel()
	s, db := startShop(t)
	pool := testenv.Pool(t, db)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE PUBLICATION graft_test_pub FOR ALL TABLES`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `SELECT pg_create_logical_replication_slot('graft_test_slot', 'pgoutput')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Exec(context.Background(), `SELECT pg_drop_replication_slot('graft_test_slot')`) })

	r := s.GraphQL(`mutation { insert_author_one(object: {name: "Ada"}) { session_seen } }`, nil,
		map[string]string{"X-Hasura-User-Id": "42"})
	var body struct {
		Data struct {
			Insert struct {
				SessionSeen string `json:"session_seen"`
			} `json:"insert_author_one"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	var seen map[string]string
	if err := json.Unmarshal([]byte(body.Data.Insert.SessionSeen), &seen); err != nil {
		t.Fatalf("trigger did not see hasura.user: %s", r.Body)
	}
	if seen["x-hasura-role"] != "admin" || seen["x-hasura-user-id"] != "42" {
		t.Fatalf("hasura.user = %v", seen)
	}

	rows, err := pool.Query(ctx, `SELECT data FROM pg_logical_slot_peek_binary_changes('graft_test_slot', NULL, NULL,
	  'proto_version', '1', 'publication_names', 'graft_test_pub', 'messages', 'true')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			t.Fatal(err)
		}
		// pgoutput v1 message: 'M', flags (1 byte), LSN (8), prefix\0, length (4), content.
		if len(data) > 10 && data[0] == 'M' && strings.HasPrefix(string(data[10:]), "graft\x00") {
			start := 10 + len("graft\x00") + 4
			content := string(data[start:])
			var msg struct {
				SessionVariables map[string]string `json:"session_variables"`
			}
			if err := json.Unmarshal([]byte(content), &msg); err != nil {
				t.Fatalf("logical message is not JSON: %q", content)
			}
			if msg.SessionVariables["x-hasura-user-id"] == "42" && msg.SessionVariables["x-hasura-role"] == "admin" {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("no transactional logical message with the session in the WAL")
	}
}
