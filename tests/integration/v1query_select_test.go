package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// v1 posts a legacy data command to /v1/query with the admin secret plus
// headers (a role picks that role's permissions).
func v1(t testing.TB, s *testenv.Server, typ string, args any, headers ...map[string]string) *testenv.Response {
	t.Helper()
	return post(t, s, "/v1/query", op(typ, args), admin(headers...))
}

// v1User is role "user" with user id 1.
var v1User = map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}

// startBlogWithUser is the blog with role "user": it reads its own
// articles (no views column) and authors' id and name, counts, inserts
// articles only for itself, updates their titles (views preset to 99) and
// may not delete.
func startBlogWithUser(t *testing.T) *testenv.Server {
	t.Helper()
	s, _ := startBlog(t)
	mustMeta(t, s, op("bulk", []any{
		perm("select", "article", "user", map[string]any{"columns": []string{"id", "title", "author_id", "status"},
			"filter": map[string]any{"author_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}),
		perm("select", "author", "user", map[string]any{"columns": []string{"id", "name"}, "filter": map[string]any{}}),
		perm("insert", "article", "user", map[string]any{"columns": []string{"title", "author_id"},
			"check": map[string]any{"author_id": map[string]any{"_eq": "X-Hasura-User-Id"}}}),
		perm("update", "article", "user", map[string]any{"columns": []string{"title"},
			"filter": map[string]any{"author_id": map[string]any{"_eq": "X-Hasura-User-Id"}}, "set": map[string]any{"views": 99}}),
	}))
	return s
}

func TestV1QuerySelect(t *testing.T) {
	t.Parallel()
	s := startBlogWithUser(t)

	t.Run("array relationship with where, order_by and limit", func(t *testing.T) {
		r := v1(t, s, "select", map[string]any{"table": "author", "order_by": "+id", "limit": 2,
			"columns": []any{"id", "name", map[string]any{"name": "articles", "columns": []string{"id", "title"},
				"where": map[string]any{"views": map[string]any{"$gt": 5}}, "order_by": "-id"}}})
		wantStatus(t, r, 200)
		wantOrdered(t, r.Body, `[{"id":1,"name":"Ada","articles":[{"id":2,"title":"Beta"},{"id":1,"title":"Alpha"}]},`+
			`{"id":2,"name":"Bob","articles":[]}]`)
	})
	t.Run("object relationship and order_by through it", func(t *testing.T) {
		r := v1(t, s, "select", map[string]any{"table": "article",
			"columns":  []any{"id", map[string]any{"name": "author", "columns": []string{"name"}}},
			"order_by": []any{map[string]any{"column": "author.name", "type": "desc"}, "id"}})
		wantStatus(t, r, 200)
		wantOrdered(t, r.Body, `[{"id":3,"author":{"name":"Bob"}},{"id":1,"author":{"name":"Ada"}},{"id":2,"author":{"name":"Ada"}}]`)
		r = v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id"},
			"order_by": []any{map[string]any{"column": "rating", "type": "asc", "nulls": "first"}}})
		wantOrdered(t, r.Body, `[{"id":3},{"id":2},{"id":1}]`)
	})
	t.Run("operators", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			where map[string]any
			want  string
		}{
			{"shorthand", map[string]any{"name": "Bob"}, `[{"id":2}]`},
			{"$eq", map[string]any{"id": map[string]any{"$eq": 2}}, `[{"id":2}]`},
			{"_eq", map[string]any{"id": map[string]any{"_eq": 2}}, `[{"id":2}]`},
			{"$ne", map[string]any{"id": map[string]any{"$ne": 1}}, `[{"id":2},{"id":3}]`},
			{"$neq", map[string]any{"id": map[string]any{"$neq": 1}}, `[{"id":2},{"id":3}]`},
			{"$gte $lt", map[string]any{"id": map[string]any{"$gte": 2, "$lt": 3}}, `[{"id":2}]`},
			{"$lte", map[string]any{"rating": map[string]any{"$lte": 3}}, `[{"id":2}]`},
			{"$in", map[string]any{"id": map[string]any{"$in": []int{1, 3}}}, `[{"id":1},{"id":3}]`},
			{"$nin", map[string]any{"id": map[string]any{"$nin": []int{1, 3}}}, `[{"id":2}]`},
			{"$is_null", map[string]any{"email": map[string]any{"$is_null": true}}, `[{"id":2}]`},
			{"$like", map[string]any{"name": map[string]any{"$like": "A%"}}, `[{"id":1}]`},
			{"$nlike", map[string]any{"name": map[string]any{"$nlike": "A%"}}, `[{"id":2},{"id":3}]`},
			{"$ilike", map[string]any{"name": map[string]any{"$ilike": "b%"}}, `[{"id":2}]`},
			{"$nilike", map[string]any{"name": map[string]any{"$nilike": "b%"}}, `[{"id":1},{"id":3}]`},
			{"$similar", map[string]any{"name": map[string]any{"$similar": "(Ada|Cy)"}}, `[{"id":1},{"id":3}]`},
			{"$nsimilar", map[string]any{"name": map[string]any{"$nsimilar": "(Ada|Cy)"}}, `[{"id":2}]`},
			{"$contains", map[string]any{"bio": map[string]any{"$contains": map[string]any{"lang": "en"}}}, `[{"id":1}]`},
			{"$contained_in", map[string]any{"bio": map[string]any{"$contained_in": map[string]any{"lang": "de", "x": 1}}}, `[{"id":2}]`},
			{"$has_key", map[string]any{"bio": map[string]any{"$has_key": "age"}}, `[{"id":1}]`},
			{"$has_keys_any", map[string]any{"bio": map[string]any{"$has_keys_any": []string{"lang"}}}, `[{"id":1},{"id":2}]`},
			{"$has_keys_all", map[string]any{"bio": map[string]any{"$has_keys_all": []string{"lang", "age"}}}, `[{"id":1}]`},
			{"$and", map[string]any{"$and": []any{map[string]any{"id": map[string]any{"$gt": 1}}, map[string]any{"rating": 3}}}, `[{"id":2}]`},
			{"$or", map[string]any{"$or": []any{map[string]any{"id": 1}, map[string]any{"rating": map[string]any{"$lt": 4}}}}, `[{"id":1},{"id":2}]`},
			{"$not", map[string]any{"$not": map[string]any{"id": map[string]any{"$gte": 2}}}, `[{"id":1}]`},
			{"$cast", map[string]any{"bio": map[string]any{"$cast": map[string]any{"text": map[string]any{"$like": "%de%"}}}}, `[{"id":2}]`},
			{"relationship path", map[string]any{"articles": map[string]any{"title": "Gamma"}}, `[{"id":2}]`},
		} {
			r := v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id"}, "where": tc.where, "order_by": "id"})
			if r.Status != 200 {
				t.Fatalf("%s: status %d: %s", tc.name, r.Status, r.Body)
			}
			wantOrdered(t, r.Body, tc.want)
		}
	})
	t.Run("column values as Hasura renders them", func(t *testing.T) {
		r := v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"big", "score", "tags"}, "where": map[string]any{"id": 1}})
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `[{"big":"9007199254740993","score":12.50,"tags":["math","poetry"]}]`)
	})
	t.Run("role sees its rows and columns only", func(t *testing.T) {
		r := v1(t, s, "select", map[string]any{"table": "article", "columns": []any{"*", map[string]any{"name": "author", "columns": []string{"name"}}}, "order_by": "id"}, v1User)
		wantStatus(t, r, 200)
		wantOrdered(t, r.Body, `[{"id":1,"author_id":1,"title":"Alpha","status":"published","author":{"name":"Ada"}},`+
			`{"id":2,"author_id":1,"title":"Beta","status":"draft","author":{"name":"Ada"}}]`)
		r = v1(t, s, "select", map[string]any{"table": "article", "columns": []string{"id", "views"}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `does not have permission to select column "views"`)
		r = v1(t, s, "select", map[string]any{"table": "article", "columns": []string{"id"}, "where": map[string]any{"views": 10}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `"views"`)
		r = v1(t, s, "select", map[string]any{"table": "comment", "columns": []string{"id"}}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `select on "comment" for role "user" is not allowed`)
	})
	t.Run("count", func(t *testing.T) {
		for _, tc := range []struct {
			args    map[string]any
			headers map[string]string
			want    string
		}{
			{map[string]any{"table": "article"}, nil, `{"count":3}`},
			{map[string]any{"table": "article", "distinct": []string{"author_id"}}, nil, `{"count":2}`},
			{map[string]any{"table": "article", "where": map[string]any{"status": "published"}}, nil, `{"count":2}`},
			{map[string]any{"table": "article", "where": map[string]any{"author": map[string]any{"name": "Ada"}}}, nil, `{"count":2}`},
			{map[string]any{"table": "article"}, v1User, `{"count":2}`},
			{map[string]any{"table": "article", "distinct": []string{"author_id"}}, v1User, `{"count":1}`},
		} {
			r := v1(t, s, "count", tc.args, tc.headers)
			wantStatus(t, r, 200)
			wantJSON(t, r.Body, tc.want)
		}
		r := v1(t, s, "count", map[string]any{"table": "comment"}, v1User)
		wantAdminError(t, r, 400, "permission-denied", `"count" is only allowed`)
	})
	t.Run("errors", func(t *testing.T) {
		r := v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id"}, "limit": "1"})
		wantAdminError(t, r, 400, "parse-failed", "expected Number")
		r = v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id"}, "offset": -1})
		wantAdminError(t, r, 400, "not-supported", "negative")
		r = v1(t, s, "select", map[string]any{"table": "nope", "columns": []string{"id"}})
		wantAdminError(t, r, 400, "not-exists", "nope")
		r = v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id", "nope"}})
		wantAdminError(t, r, 400, "not-exists", "nope")
		r = v1(t, s, "select", map[string]any{"table": "author", "columns": []string{"id"}, "where": map[string]any{"id": map[string]any{"$bogus": 1}}})
		wantStatus(t, r, 400)
		r = post(t, s, "/v1/query", `{"type":"count","args":"table: author"}`, admin())
		wantAdminError(t, r, 400, "parse-failed", "expected Object")
		// Only data commands run for roles.
		r = post(t, s, "/v1/query", op("run_sql", map[string]any{"sql": "SELECT 1"}), admin(v1User))
		wantAdminError(t, r, 400, "access-denied", "admin only")
		r = post(t, s, "/v1/query", op("bulk", []any{op("select", map[string]any{"table": "author", "columns": []string{"id"}}),
			op("run_sql", map[string]any{"sql": "SELECT 1"})}), admin(v1User))
		wantAdminError(t, r, 400, "access-denied", "admin only")
	})
}
