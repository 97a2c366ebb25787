package integration

import (
	"encoding/json"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// selectJSON reads rows back through /v1/query as admin.
func selectJSON(t *testing.T, s *testenv.Server, table string, where map[string]any, cols ...string) string {
	t.Helper()
	r := v1(t, s, "select", map[string]any{"table": table, "columns": cols, "where": where, "order_by": "id"})
	wantStatus(t, r, 200)
	return string(r.Body)
}

func TestV1QueryInsert(t *testing.T) {
	t.Parallel()
	s := startBlogWithUser(t)

	t.Run("returning", func(t *testing.T) {
		r := v1(t, s, "insert", map[string]any{"table": "author", "returning": []string{"id", "name", "bio"},
			"objects": []any{map[string]any{"name": "Dee", "bio": map[string]any{"k": []int{1}}}, map[string]any{"name": "Eve"}}})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":2,"returning":[{"id":4,"name":"Dee","bio":{"k":[1]}},{"id":5,"name":"Eve","bio":null}]}`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "objects": []any{map[string]any{"name": "Fay"}}})
		wantJSON(t, r.Body, `{"affected_rows":1}`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "objects": []any{}, "returning": []string{"id"}})
		wantJSON(t, r.Body, `{"affected_rows":0,"returning":[]}`)
	})
	t.Run("on_conflict", func(t *testing.T) {
		r := v1(t, s, "insert", map[string]any{"table": "author", "returning": []string{"id", "name"},
			"objects":     []any{map[string]any{"id": 1, "name": "Ada L."}},
			"on_conflict": map[string]any{"constraint": "author_pkey", "action": "update"}})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":1,"name":"Ada L."}]}`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "returning": []string{"id", "name"},
			"objects":     []any{map[string]any{"id": 1, "name": "ignored"}},
			"on_conflict": map[string]any{"constraint_on": []string{"id"}, "action": "ignore"}})
		wantJSON(t, r.Body, `{"affected_rows":0,"returning":[]}`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "returning": []string{"name"},
			"objects":     []any{map[string]any{"id": 1, "name": "Ada"}},
			"on_conflict": map[string]any{"constraint_on": []string{"id"}, "action": "update"}})
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"name":"Ada"}]}`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "objects": []any{map[string]any{"id": 1, "name": "x"}},
			"on_conflict": map[string]any{"constraint": "no_such_constraint", "action": "update"}})
		wantStatus(t, r, 400)
		r = v1(t, s, "insert", map[string]any{"table": "author", "objects": []any{map[string]any{"id": 1, "name": "x"}}})
		wantAdminError(t, r, 400, "constraint-violation", "Uniqueness violation")
	})
	t.Run("role: check, columns and returning", func(t *testing.T) {
		r := v1(t, s, "insert", map[string]any{"table": "article", "returning": []string{"id", "title", "author_id"},
			"objects": []any{map[string]any{"title": "Mine", "author_id": 1}}}, v1User)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":4,"title":"Mine","author_id":1}]}`)
		r = v1(t, s, "insert", map[string]any{"table": "article", "objects": []any{
			map[string]any{"title": "Also mine", "author_id": 1}, map[string]any{"title": "Not mine", "author_id": 2}}}, v1User)
		wantAdminError(t, r, 400, "permission-error", "check constraint")
		if got := selectJSON(t, s, "article", map[string]any{"title": map[string]any{"$ilike": "%mine"}}, "title"); !jsonEqual(got, `[{"title":"Mine"}]`) {
			t.Fatalf("a failed check must insert nothing: %s", got)
		}
		r = v1(t, s, "insert", map[string]any{"table": "article", "objects": []any{map[string]any{"title": "T", "author_id": 1, "views": 5}}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `insert column "views"`)
		r = v1(t, s, "insert", map[string]any{"table": "article", "returning": []string{"views"},
			"objects": []any{map[string]any{"title": "T", "author_id": 1}}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `select column "views"`)
		r = v1(t, s, "insert", map[string]any{"table": "author", "objects": []any{map[string]any{"name": "Z"}}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `insert on "author" for role "user" is not allowed`)
	})
}

func TestV1QueryUpdateDelete(t *testing.T) {
	t.Parallel()
	s := startBlogWithUser(t)
	wantStatus(t, runSQL(t, s, `ALTER TABLE author ALTER COLUMN email SET DEFAULT 'none@example.org'`), 200)

	t.Run("$set $inc $mul $default with returning", func(t *testing.T) {
		r := v1(t, s, "update", map[string]any{"table": "author", "where": map[string]any{"id": 1},
			"$set": map[string]any{"name": "Ada L.", "bio": map[string]any{"lang": "en"}}, "$inc": map[string]any{"rating": 2},
			"$mul": map[string]any{"score": 2}, "$default": []string{"email"},
			"returning": []string{"id", "name", "rating", "score", "email", "bio"}})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":1,"name":"Ada L.","rating":7,"score":25.00,"email":"none@example.org","bio":{"lang":"en"}}]}`)
		r = v1(t, s, "update", map[string]any{"table": "author", "where": map[string]any{"id": map[string]any{"$gt": 100}},
			"$set": map[string]any{"name": "nobody"}, "returning": []string{"id"}})
		wantJSON(t, r.Body, `{"affected_rows":0,"returning":[]}`)
		r = v1(t, s, "update", map[string]any{"table": "author", "where": map[string]any{}})
		wantAdminError(t, r, 400, "unexpected-payload", "atleast one")
		r = v1(t, s, "update", map[string]any{"table": "author", "$set": map[string]any{"name": "x"}})
		wantAdminError(t, r, 400, "parse-failed", "where")
	})
	t.Run("role: filter, columns and presets", func(t *testing.T) {
		// Article 3 is Bob's: out of reach of user 1.
		r := v1(t, s, "update", map[string]any{"table": "article", "where": map[string]any{"id": 3},
			"$set": map[string]any{"title": "taken"}, "returning": []string{"id"}}, v1User)
		wantJSON(t, r.Body, `{"affected_rows":0,"returning":[]}`)
		r = v1(t, s, "update", map[string]any{"table": "article", "where": map[string]any{"id": 1},
			"$set": map[string]any{"title": "Alpha 2"}, "returning": []string{"id", "title"}}, v1User)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":1,"title":"Alpha 2"}]}`)
		if got := selectJSON(t, s, "article", map[string]any{"id": map[string]any{"$in": []int{1, 3}}}, "id", "title", "views"); !jsonEqual(got,
			`[{"id":1,"title":"Alpha 2","views":99},{"id":3,"title":"Gamma","views":5}]`) {
			t.Fatalf("after update: %s", got)
		}
		r = v1(t, s, "update", map[string]any{"table": "article", "where": map[string]any{"id": 1}, "$set": map[string]any{"views": 1}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `update column "views"`)
	})
	t.Run("delete", func(t *testing.T) {
		r := v1(t, s, "delete", map[string]any{"table": "article", "where": map[string]any{"id": 2}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `delete on "article" for role "user" is not allowed`)
		r = v1(t, s, "delete", map[string]any{"table": "article", "where": map[string]any{"id": 2}, "returning": []string{"id", "title"}})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":2,"title":"Beta"}]}`)
		if n := tableCount(t, s, "article"); n != "2" {
			t.Fatalf("articles after delete: %s", n)
		}
	})
	t.Run("bulk is one transaction", func(t *testing.T) {
		r := post(t, s, "/v1/query", op("bulk", []any{
			op("update", map[string]any{"table": "article", "where": map[string]any{"id": 1}, "$set": map[string]any{"title": "rolled back"}}),
			op("insert", map[string]any{"table": "article", "objects": []any{map[string]any{"title": "x", "author_id": 2}}}),
		}), admin(v1User))
		wantAdminError(t, r, 400, "permission-error", "check constraint")
		if got := selectJSON(t, s, "article", map[string]any{"id": 1}, "title"); !jsonEqual(got, `[{"title":"Alpha 2"}]`) {
			t.Fatalf("bulk must roll back: %s", got)
		}
		r = post(t, s, "/v2/query", op("bulk", []any{
			op("update", map[string]any{"table": "article", "where": map[string]any{"id": 1}, "$set": map[string]any{"title": "Alpha 3"}}),
			op("count", map[string]any{"table": "article"}),
		}), admin(v1User))
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `[{"affected_rows":1},{"count":1}]`)
	})
}

// TestV1QuerySessionWAL: a write through /v1/query carries the caller's
// session into event payloads, as a GraphQL mutation does.
func TestV1QuerySessionWAL(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	s.RunSQL(`CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "note"}},
		perm("insert", "note", "user", map[string]any{"columns": []string{"id", "body"}, "check": map[string]any{}}),
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "note_events", "table": "note", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}},
	}})
	r := v1(t, s, "insert", map[string]any{"table": "note", "objects": []any{map[string]any{"id": 1, "body": "as user 5"}}},
		map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "5"})
	wantStatus(t, r, 200)
	d := rcv.next(t)
	var p struct {
		Event struct {
			SessionVariables json.RawMessage `json:"session_variables"`
		} `json:"event"`
	}
	if err := json.Unmarshal(d.Raw, &p); err != nil {
		t.Fatalf("payload: %v: %s", err, d.Raw)
	}
	if !jsonEqual(string(p.Event.SessionVariables), `{"x-hasura-role":"user","x-hasura-user-id":"5"}`) {
		t.Fatalf("event.session_variables = %s", p.Event.SessionVariables)
	}
}

func jsonEqual(a, b string) bool {
	x, err1 := decodeNormalized([]byte(a))
	y, err2 := decodeNormalized([]byte(b))
	return err1 == nil && err2 == nil && mustJSON(x) == mustJSON(y)
}

// TestV1QueryUpsertPreset: an upsert updating a column the role inserts
// and its update permission presets assigns the column once, the preset.
func TestV1QueryUpsertPreset(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE note (id int PRIMARY KEY, body text, owner text);`,
		op("pg_track_table", map[string]any{"table": "note"}),
		op("bulk", []any{
			perm("insert", "note", "user", map[string]any{"columns": []string{"id", "body", "owner"}, "check": map[string]any{}}),
			perm("update", "note", "user", map[string]any{"columns": []string{"body"}, "filter": map[string]any{},
				"set": map[string]any{"owner": "X-Hasura-User-Id"}}),
			perm("select", "note", "user", map[string]any{"columns": []string{"id", "body", "owner"}, "filter": map[string]any{}}),
		}))
	r := v1(t, s, "insert", map[string]any{"table": "note", "objects": []any{map[string]any{"id": 1, "body": "a", "owner": "x"}}}, v1User)
	wantStatus(t, r, 200)
	for _, oc := range []map[string]any{
		{"constraint": "note_pkey", "action": "update"},
		{"constraint_on": []string{"id"}, "action": "update"},
	} {
		r = v1(t, s, "insert", map[string]any{"table": "note", "returning": []string{"id", "body", "owner"},
			"objects": []any{map[string]any{"id": 1, "body": "b", "owner": "y"}}, "on_conflict": oc}, v1User)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"affected_rows":1,"returning":[{"id":1,"body":"b","owner":"1"}]}`)
	}
}
