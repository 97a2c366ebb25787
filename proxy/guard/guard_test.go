package guard

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

func TestNormaliseIgnoresFormattingAndTypename(t *testing.T) {
	base := analyse(`query q($id: Int!) { author(where: {id: {_eq: $id}}) { id name } }`)
	if !base.parsed {
		t.Fatal("not parsed")
	}
	for _, same := range []string{
		"query q($id:Int!){author(where:{id:{_eq:$id}}){id name}}",
		"# a comment\nquery q(\n  $id: Int!\n) {\n  author(where: { id: { _eq: $id } }) {\n    id\n    name\n    __typename\n  }\n  __typename\n}\n",
		"query q($id: Int!) { author(where: {id: {_eq: $id}}) { id, name } }",
	} {
		if d := analyse(same); d.normalised != base.normalised {
			t.Errorf("%q normalises to\n%s\nwant\n%s", same, d.normalised, base.normalised)
		}
	}
	for _, other := range []string{
		`query q($id: Int!) { author(where: {id: {_eq: $id}}) { id } }`,                      // a field less
		`query r($id: Int!) { author(where: {id: {_eq: $id}}) { id name } }`,                 // operation name
		`query q($id: Int!) { author(where: {id: {_eq: 1}}) { id name } }`,                   // argument
		`query q($id: Int!) { a: author(where: {id: {_eq: $id}}) { id name } }`,              // alias
		`query q($id: Int!) { author(where: {id: {_eq: $id}}) { name id } }`,                 // order
		`query q($id: Int) { author(where: {id: {_eq: $id}}) { id name } }`,                  // variable type
		`query q($id: Int!) { author(where: {id: {_eq: null}}) { id name } }`,                // null is a value
		`query q($id: Int!) { author(where: {id: {}}) { id name } }`,                         // not the same as null
		`mutation q($id: Int!) { author(where: {id: {_eq: $id}}) { id name } }`,              // kind
		`query q($id: Int!) { author(where: {id: {_eq: $id}}) { id name @skip(if: true) } }`, // directive
	} {
		if d := analyse(other); d.normalised == base.normalised {
			t.Errorf("%q normalises like the base query", other)
		}
	}
	if analyse(`query { author { `).parsed {
		t.Error("a broken query parsed")
	}
}

func TestDepthAndNodes(t *testing.T) {
	for _, c := range []struct {
		query        string
		depth, nodes int
	}{
		{`{ viewer { name } }`, 1, 1},
		{`{ viewer { ... on User { name } } }`, 1, 1},
		{`{ viewer { albums { title } } }`, 2, 2},
		{`{ author { name articles { id title } } homepage_entries { article_id } }`, 2, 3}, // Hasura's docs: 3 nodes
		{`query { viewer { albums { ...music } } } fragment music on Album { songs { name } }`, 3, 3},
		{`{ __schema { types { name fields { name } } } author { id } }`, 1, 1}, // introspection is exempt
		{`{ __typename }`, 0, 0},
		{`{ a { ...f } } fragment f on A { b { ...f } }`, 2, 2}, // a cycle ends
	} {
		d := analyse(c.query)
		if d.single == nil {
			t.Fatalf("%s: no operation", c.query)
		}
		if d.single.depth != c.depth || d.single.nodes != c.nodes {
			t.Errorf("%s: depth %d nodes %d, want %d and %d", c.query, d.single.depth, d.single.nodes, c.depth, c.nodes)
		}
	}
	d := analyse(`query a { x { y } } query b { x { y { z } } }`)
	if d.single != nil || d.find("b").depth != 2 || d.find("a").depth != 1 || d.find("c") != nil {
		t.Fatalf("operations by name: %+v", d.ops)
	}
}

func TestMemoryLimiterSlidingWindow(t *testing.T) {
	m := newMemoryLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _ := m.allow(ctx, "k", 3); !ok {
			t.Fatalf("request %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	if ok, _ := m.allow(ctx, "k", 3); ok {
		t.Fatal("4th request within the minute admitted")
	}
	if ok, _ := m.allow(ctx, "other", 3); !ok {
		t.Fatal("keys share a count")
	}
	now = now.Add(31 * time.Second) // the first request left the window
	if ok, _ := m.allow(ctx, "k", 3); !ok {
		t.Fatal("sliding window did not slide")
	}
	if ok, _ := m.allow(ctx, "k", 3); ok {
		t.Fatal("only one request left the window")
	}
}

// snap serves one fixed snapshot.
type snap struct{ s *metadata.Snapshot }

func (s snap) Snapshot() *metadata.Snapshot { return s.s }

func testGuard(t testing.TB, md string, allowlist bool) *Guard {
	t.Helper()
	m, err := metadata.ParseMetadata([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	return New(snap{&metadata.Snapshot{Metadata: m}}, allowlist, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

const guardMetadata = `{"version": 3, "sources": [],
  "query_collections": [
    {"name": "all", "definition": {"queries": [{"name": "authors", "query": "query authors { author { id name } }"}]}},
    {"name": "editors", "definition": {"queries": [{"name": "deep", "query": "{ author { articles { id } } }"}]}}],
  "allowlist": [{"collection": "all"}, {"collection": "editors", "scope": {"global": false, "roles": ["editor"]}}],
  "api_limits": {"depth_limit": {"global": 1, "per_role": {"editor": 2}},
    "rate_limit": {"global": {"max_reqs_per_min": 2, "unique_params": ["x-hasura-user-id"]}, "per_role": {}},
    "time_limit": {"global": 0.5}}}`

func refusal(err error) string {
	var r *graphql.Refusal
	if errors.As(err, &r) {
		return r.Code + ": " + r.Message
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestAdmit(t *testing.T) {
	g := testGuard(t, guardMetadata, true)
	ctx := context.Background()
	user := func(id string) authz.Session {
		return authz.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": id}}
	}
	admit := func(sess authz.Session, q string) string {
		run, release, err := g.Admit(ctx, sess, &graphql.Request{Query: q})
		defer release()
		if err == nil && run == ctx {
			return "no time limit"
		}
		return refusal(err)
	}
	if got := admit(user("1"), "query authors {\n author { id, name __typename } }"); got != "" {
		t.Fatalf("allowed query: %s", got)
	}
	if got := admit(user("1"), "{ author { id } }"); got != "validation-failed: query is not allowed" {
		t.Fatalf("other query: %s", got)
	}
	if got := admit(user("2"), "{ author { articles { id } } }"); got != "validation-failed: query is not allowed" {
		t.Fatalf("role-scoped query for another role: %s", got)
	}
	editor := authz.Session{Role: "editor", Vars: map[string]string{}}
	if got := admit(editor, "{ author { articles { id } } }"); got != "" {
		t.Fatalf("role-scoped query for its role: %s", got)
	}
	// The third request of user 1 within the minute (the first was above).
	if got := admit(user("1"), "query authors { author { id name } }"); got != "" {
		t.Fatalf("second request: %s", got)
	}
	if got := admit(user("1"), "query authors { author { id name } }"); got != "rate-limit-exceeded: rate limit exceeded: more than 2 requests per minute" {
		t.Fatalf("third request: %s", got)
	}
	if got := admit(user("3"), "query authors { author { id name } }"); got != "" {
		t.Fatalf("another user id has its own count: %s", got)
	}
	if got := admit(authz.Session{Role: "admin"}, "{ anything { deep { deeper } } }"); got != "no time limit" {
		t.Fatalf("admin: %s", got)
	}
	if got := admit(user("4"), "{ broken "); got != "no time limit" {
		t.Fatalf("a parse error is the engine's to report: %s", got)
	}
}

func TestAdmitLimits(t *testing.T) {
	g := testGuard(t, guardMetadata, false)
	sess := authz.Session{Role: "user", Vars: map[string]string{}}
	_, _, err := g.Admit(context.Background(), sess, &graphql.Request{Query: "{ author { articles { id } } }"})
	if got := refusal(err); got != "validation-failed: depth limit exceeded: the operation's depth is 2, the limit is 1" {
		t.Fatalf("depth: %s", got)
	}
	run, release, err := g.Admit(context.Background(), sess, &graphql.Request{Query: "{ author { id } }"})
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := run.Deadline(); !ok {
		t.Fatal("time limit not set")
	}
	run, release2, _ := g.Admit(context.Background(), sess, &graphql.Request{Query: "subscription { author { id } }"})
	defer release2()
	if _, ok := run.Deadline(); ok {
		t.Fatal("a subscription got a time limit")
	}
	if err := g.CheckBatch(sess, []byte(`[{"query":"{a}"},{"query":"{b}"}]`)); err != nil {
		t.Fatalf("no batch limit set: %v", err)
	}
	var md map[string]json.RawMessage
	json.Unmarshal([]byte(guardMetadata), &md)
	md["api_limits"] = json.RawMessage(`{"batch_limit": {"global": 1}}`)
	b, _ := json.Marshal(md)
	g = testGuard(t, string(b), false)
	if got := refusal(g.CheckBatch(sess, []byte(` [{"query":"{a}"},{"query":"{b}"}]`))); got != "validation-failed: batch limit exceeded: the batch has 2 operations, the limit is 1" {
		t.Fatalf("batch: %s", got)
	}
	if err := g.CheckBatch(sess, []byte(`{"query":"{a}"}`)); err != nil {
		t.Fatalf("a single request is no batch: %v", err)
	}
}
