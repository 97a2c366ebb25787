package graphql_test

// Tests of the compiled-SQL cache (sqlcache.go, reuse.go): a request whose
// statements come from the cache must get exactly what a fresh compile
// gives it, SQL and bind arguments, and only the operations and variables
// the rules allow may share a compile.

import (
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

// reuseCase is one operation compiled for a sequence of requests, each
// checked against a fresh compile after the ones before it filled the cache.
type reuseCase struct {
	name     string
	query    string
	reusable bool
	requests []reuseRequest
}

type reuseRequest struct {
	vars string
	sess map[string]string // nil: admin; else session variables with x-hasura-role
}

func user(id string) map[string]string {
	return map[string]string{"x-hasura-role": "user", "x-hasura-user-id": id}
}

var reuseCases = []reuseCase{
	{name: "by pk", query: `query ($id: Int!) { author_by_pk(id: $id) { id name } }`, reusable: true,
		requests: []reuseRequest{{vars: `{"id": 1}`}, {vars: `{"id": 2}`}, {vars: `{"id": 3}`}}},
	{name: "where, order, limit", reusable: true,
		query: `query ($a: Int!, $r: Int) { article(where: {author_id: {_eq: $a}, rating: {_gte: $r}}, order_by: {published_at: desc}, limit: 20) { id title } }`,
		requests: []reuseRequest{{vars: `{"a": 1, "r": 2}`}, {vars: `{"a": 3, "r": 1}`},
			{vars: `{"a": 3, "r": null}`}, {vars: `{"a": 4}`}, {vars: `{"a": 5, "r": 3}`}, {vars: `{"a": 6, "r": null}`}}},
	{name: "nested with aggregate", query: benchNestedQuery, reusable: true,
		requests: []reuseRequest{{vars: `{"after": 0}`}, {vars: `{"after": 5}`}}},
	{name: "keyed limit and include", reusable: true,
		query: `query ($a: Int!, $n: Int, $withAuthor: Boolean!) { article(where: {author_id: {_eq: $a}}, limit: $n) { id author @include(if: $withAuthor) { name } } }`,
		requests: []reuseRequest{{vars: `{"a": 1, "n": 2, "withAuthor": true}`}, {vars: `{"a": 2, "n": 2, "withAuthor": true}`},
			{vars: `{"a": 2, "n": 3, "withAuthor": false}`}, {vars: `{"a": 4, "n": 2, "withAuthor": false}`}, {vars: `{"a": 4, "withAuthor": true}`}}},
	{name: "enum operand and enum order", reusable: true,
		query: `query ($s: article_status_enum!, $dir: order_by) { article(where: {status: {_eq: $s}}, order_by: {id: $dir}, limit: 3) { id status } }`,
		requests: []reuseRequest{{vars: `{"s": "published", "dir": "asc"}`}, {vars: `{"s": "draft", "dir": "asc"}`},
			{vars: `{"s": "draft", "dir": "desc"}`}, {vars: `{"s": "archived", "dir": "asc"}`}}},
	{name: "string and jsonb operands", reusable: true,
		query: `query ($t: String!, $p: jsonb) { author(where: {name: {_ilike: $t}, profile: {_contains: $p}}) { id } }`,
		requests: []reuseRequest{{vars: `{"t": "%1%", "p": {"k": 1}}`}, {vars: `{"t": "Author 2", "p": ["a", {"b": null}]}`},
			{vars: `{"t": "x'y\"z", "p": "str"}`}}},
	{name: "variable in a fragment and a _cast", reusable: true,
		query: `query ($n: String!, $t: String!) { author(where: {profile: {_cast: {String: {_ilike: $n}}}}) { ...F } }
fragment F on author { id articles(where: {title: {_eq: $t}}) { id } }`,
		requests: []reuseRequest{{vars: `{"n": "%a%", "t": "Article 1"}`}, {vars: `{"n": "%b%", "t": "Article 2"}`}}},
	{name: "session variables in permissions", reusable: true,
		query: `query ($a: Int!) { article(where: {author_id: {_gte: $a}}) { id author { name } } author { id } comment { id } }`,
		requests: []reuseRequest{{vars: `{"a": 1}`, sess: user("4")}, {vars: `{"a": 2}`, sess: user("7")},
			{vars: `{"a": 2}`, sess: map[string]string{"x-hasura-role": "user"}}, {vars: `{"a": 3}`, sess: user("5")}}},
	{name: "literal values only", query: `{ article(where: {id: {_in: [1, 2]}}, limit: 2) { id } }`, reusable: true,
		requests: []reuseRequest{{}, {}, {sess: user("4")}, {sess: user("5")}}},
	{name: "whole where object", query: `query ($w: article_bool_exp) { article(where: $w) { id } }`,
		requests: []reuseRequest{{vars: `{"w": {"id": {"_eq": 1}}}`}, {vars: `{"w": {"rating": {"_gt": 3}}}`}}},
	{name: "list operand", query: `query ($ids: [Int!]) { article(where: {id: {_in: $ids}}) { id } }`,
		requests: []reuseRequest{{vars: `{"ids": [1, 2]}`}, {vars: `{"ids": [3]}`}}},
	{name: "string at a keyed position", query: `query ($s: String!) { search_articles(args: {search: $s}, where: {title: {_eq: $s}}) { id } }`,
		requests: []reuseRequest{{vars: `{"s": "Article 1"}`}, {vars: `{"s": "Article 2"}`}}},
}

func TestCompiledSQLReuse(t *testing.T) {
	srv := benchFixture(t)
	engine := srv.App.Engine
	for _, rc := range reuseCases {
		t.Run(rc.name, func(t *testing.T) {
			// Role and shape key -> the SQL text its first request compiled;
			// a metadata reload (as after run_sql, through NOTIFY) starts over.
			type firstCompile struct {
				snap *metadata.Snapshot
				sql  *byte
			}
			shared := map[string]firstCompile{}
			for i, r := range rc.requests {
				snap := srv.App.Meta.Snapshot()
				sess := graphql.Session{Role: "admin", Vars: map[string]string{}}
				for k, v := range r.sess {
					if k == "x-hasura-role" {
						sess.Role = v
					} else {
						sess.Vars[k] = v
					}
				}
				req := &graphql.Request{Query: rc.query, Variables: json.RawMessage(r.vars)}
				if r.vars == "" {
					req.Variables = nil
				}
				reusable, shape := engine.Reusable(sess, req)
				if reusable != rc.reusable {
					t.Fatalf("request %d: reusable %v, want %v", i, reusable, rc.reusable)
				}
				got, gotErr := engine.Compile(t.Context(), sess, req)
				want, wantErr := engine.CompileFresh(sess, req)
				if string(gotErr) != string(wantErr) {
					t.Fatalf("request %d: error %s, a fresh compile says %s", i, gotErr, wantErr)
				}
				if len(want) == 0 && wantErr == nil {
					t.Fatalf("request %d: no statement", i)
				}
				if g, w := statementsJSON(t, got), statementsJSON(t, want); g != w {
					t.Errorf("request %d (vars %s, session %v):\n got: %s\nwant: %s", i, r.vars, r.sess, g, w)
				}
				if !reusable || gotErr != nil {
					continue
				}
				// The same text, not an equal one: the statement came from the cache.
				sql, key := unsafe.StringData(got[0].SQL), sess.Role+"/"+shape
				if srv.App.Meta.Snapshot() != snap {
					continue
				}
				if first, ok := shared[key]; ok && first.snap == snap && first.sql != sql {
					t.Errorf("request %d: shape %q compiled again", i, key)
				} else if !ok || first.snap != snap {
					shared[key] = firstCompile{snap, sql}
				}
			}
		})
	}
}

func statementsJSON(t *testing.T, stmts []graphql.Statement) string {
	t.Helper()
	b, err := json.Marshal(stmts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
