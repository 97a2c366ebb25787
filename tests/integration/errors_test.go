package integration

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)

	t.Run("unknown root field", func(t *testing.T) {
		r := gql(t, s, `{ nope { id } }`, nil)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"errors":[{"extensions":{"path":"$.selectionSet.nope","code":"validation-failed"},"message":"field \"nope\" not found in type: 'query_root'"}]}`)
	})
	t.Run("unknown nested field", func(t *testing.T) {
		r := gql(t, s, `{ author { id articles { nope } } }`, nil)
		wantJSON(t, r.Body, `{"errors":[{"extensions":{"path":"$.selectionSet.author.selectionSet.articles.selectionSet.nope","code":"validation-failed"},"message":"field \"nope\" not found in type: 'article'"}]}`)
	})
	t.Run("unknown field under an alias and in a fragment", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ a: author { b: nope } }`, nil), "validation-failed", "$.selectionSet.a.selectionSet.b", `field "nope" not found in type: 'author'`)
		wantGQLError(t, gql(t, s, `{ author { ...F } } fragment F on author { nope }`, nil), "validation-failed", "", `field "nope" not found in type: 'author'`)
	})
	t.Run("unknown argument", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ author(filter: {}) { id } }`, nil), "validation-failed", "$.selectionSet.author", "filter")
	})
	t.Run("malformed JSON body", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", `{"query": "{ author { id } }"`, admin())
		wantStatus(t, r, 200)
		wantGQLError(t, r, "invalid-json", "$", "")
		r = post(t, s, "/v1alpha1/graphql", `{"query": `, admin())
		wantStatus(t, r, 400)
		wantGQLError(t, r, "invalid-json", "$", "")
		r = post(t, s, "/v1/metadata", `{"type": "export_metadata", `, admin())
		wantAdminError(t, r, 400, "invalid-json", "")
	})
	t.Run("body that is JSON but not a request", func(t *testing.T) {
		r := post(t, s, "/v1/graphql", `{"query": 42}`, admin())
		wantStatus(t, r, 200)
		wantGQLError(t, r, "parse-failed", "$", "")
	})
	t.Run("query syntax error", func(t *testing.T) {
		r := gql(t, s, `{ author { id `, nil)
		wantStatus(t, r, 200)
		wantGQLError(t, r, "validation-failed", "$.query", "not a valid graphql query")
	})
	t.Run("postgres data exception", func(t *testing.T) {
		// bigint takes strings in GraphQL; Postgres rejects this one.
		r := gql(t, s, `{ author(where: {big: {_eq: "abc"}}) { id } }`, nil)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"errors":[{"extensions":{"path":"$","code":"data-exception"},"message":"invalid input syntax for type bigint: \"abc\""}]}`)
		r = gql(t, s, `{ author(where: {created_at: {_gt: "yesterday-ish"}}) { id } }`, nil)
		wantGQLError(t, r, "data-exception", "$", "timestamp")
	})
	t.Run("wrong literal type is a validation error", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ author(where: {id: {_eq: "abc"}}) { id } }`, nil), "validation-failed", "$.selectionSet.author", "Int")
	})
	t.Run("v1alpha1 reports request errors with HTTP 400", func(t *testing.T) {
		body := map[string]any{"query": `{ nope }`}
		r := post(t, s, "/v1alpha1/graphql", body, admin())
		wantStatus(t, r, 400)
		wantGQLError(t, r, "validation-failed", "$.selectionSet.nope", "")
		r = post(t, s, "/v1/graphql", body, admin())
		wantStatus(t, r, 200)
		r = post(t, s, "/v1alpha1/graphql", map[string]any{"query": `{ author_by_pk(id: 1) { name } }`}, admin())
		wantStatus(t, r, 200)
		wantOrdered(t, r.Body, `{"data":{"author_by_pk":{"name":"Ada"}}}`)
		r = post(t, s, "/v1alpha1/graphql", body, nil)
		if r.Status != 401 || !strings.Contains(string(r.Body), "access-denied") {
			t.Fatalf("v1alpha1 without secret: %d %s", r.Status, r.Body)
		}
	})
	t.Run("explain", func(t *testing.T) {
		secret := "Ada'; DROP TABLE author; --"
		r := post(t, s, "/v1/graphql/explain", map[string]any{"query": map[string]any{
			"query":     `query ($n: String!) { author(where: {name: {_eq: $n}}) { id articles { title } } one: author_by_pk(id: 1) { name } }`,
			"variables": map[string]any{"n": secret},
		}}, admin())
		wantStatus(t, r, 200)
		var out []struct {
			Field string   `json:"field"`
			SQL   string   `json:"sql"`
			Plan  []string `json:"plan"`
		}
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("explain body: %v: %s", err, r.Body)
		}
		if len(out) != 2 || out[0].Field != "author" || out[1].Field != "one" {
			t.Fatalf("explain fields: %s", r.Body)
		}
		for _, f := range out {
			if !strings.Contains(f.SQL, "$1") || strings.Contains(f.SQL, "DROP TABLE") || strings.Contains(f.SQL, "Ada") || len(f.Plan) == 0 {
				t.Fatalf("explain of %s: want $1 placeholders, no spliced values and a plan: %+v", f.Field, f)
			}
		}
		if tableCount(t, s, "author") != "3" {
			t.Fatal("author table changed")
		}
		// Explain is admin only, and reports query errors.
		r = post(t, s, "/v1/graphql/explain", map[string]any{"query": map[string]any{"query": `{ author { id } }`}},
			admin(map[string]string{"X-Hasura-Role": "user"}))
		wantAdminError(t, r, 400, "access-denied", "admin only")
		r = post(t, s, "/v1/graphql/explain", map[string]any{"query": map[string]any{"query": `{ nope }`}}, admin())
		wantStatus(t, r, 400)
		wantGQLError(t, r, "validation-failed", "$.selectionSet.nope", "")
	})
}
