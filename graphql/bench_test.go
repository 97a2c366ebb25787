package graphql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchNestedQuery is query (c) of the tests/bench program: authors with
// their latest articles and an aggregate over all of them.
const benchNestedQuery = `query ($after: Int!) {
  author(where: {id: {_gt: $after}}, order_by: {id: asc}, limit: 10) {
    id name
    articles(order_by: {published_at: desc}, limit: 5) { id title rating }
    articles_aggregate { aggregate { count avg { rating } } }
  }
}`

// benchQuery is one of the tests/bench program's three queries, on the
// golden fixture (12 authors, 60 articles): the variables of call i vary
// as the program's do.
type benchQuery struct {
	name  string
	query string
	vars  func(i int) string
}

var benchQueries = []benchQuery{
	{"by_pk", `query ($id: Int!) { author_by_pk(id: $id) { id name } }`,
		func(i int) string { return fmt.Sprintf(`{"id": %d}`, 1+i%12) }},
	{"list", `query ($a: Int!) {
  article(where: {author_id: {_eq: $a}, rating: {_gte: 2}}, order_by: {published_at: desc}, limit: 20) {
    id title rating published_at
  }
}`, func(i int) string { return fmt.Sprintf(`{"a": %d}`, 1+i%12) }},
	{"nested", benchNestedQuery, func(i int) string { return fmt.Sprintf(`{"after": %d}`, i%12) }},
}

// benchFixture starts Graft on the golden fixture schema and metadata.
// Tests and benchmarks are skipped when DATABASE_URL is unset.
func benchFixture(b testing.TB) *testenv.Server {
	db := testenv.NewDatabase(b)
	srv := testenv.Start(b, db)
	// As `graft serve` by default (and tests/bench): http-log on, query-log off.
	srv.App.Engine.LogQueries = false
	srv.RunSQL(readFile(b, filepath.Join(goldenDir, "schema.sql")))
	srv.Metadata(map[string]any{
		"type": "replace_metadata",
		"args": json.RawMessage(readFile(b, filepath.Join(goldenDir, "metadata.json"))),
	})
	return srv
}

// BenchmarkCompile measures Engine.Compile (cached parse and validation,
// variable coercion, SQL generation) for query (c) on the golden fixture
// schema, with variables varying per call as in the benchmark program.
// Skipped when DATABASE_URL is unset: the schema comes from a database.
//
//	go test ./graphql -run '^$' -bench Compile -benchmem -cpuprofile /tmp/compile.prof
func BenchmarkCompile(b *testing.B) {
	srv := benchFixture(b)
	ctx := context.Background()
	sess := graphql.Session{Role: "admin", Vars: map[string]string{}}
	reqs := make([]graphql.Request, 64)
	for i := range reqs {
		reqs[i] = graphql.Request{Query: benchNestedQuery, Variables: json.RawMessage(fmt.Sprintf(`{"after": %d}`, i))}
	}
	if _, errBody := srv.App.Engine.Compile(ctx, sess, &reqs[0]); errBody != nil {
		b.Fatalf("compile: %s", errBody)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		stmts, errBody := srv.App.Engine.Compile(ctx, sess, &reqs[i%len(reqs)])
		if errBody != nil || len(stmts) != 1 {
			b.Fatalf("compile: %d statements, %s", len(stmts), errBody)
		}
	}
}

// BenchmarkCompileCold is BenchmarkCompile on a query text seen for the
// first time (a comment makes each call's text new): parse, the fragment
// checks and skips, validation against the role's schema, and SQL. The
// fragments case adds a named fragment, one that applies and two that are
// skipped (another table's type, an unknown one).
func BenchmarkCompileCold(b *testing.B) {
	srv := benchFixture(b)
	ctx := context.Background()
	sess := graphql.Session{Role: "admin", Vars: map[string]string{}}
	fragments := `query ($after: Int!) {
  author(where: {id: {_gt: $after}}, order_by: {id: asc}, limit: 10) {
    ...authorFields
    ... on article { title }
    ... on no_such_type { x }
    articles(order_by: {published_at: desc}, limit: 5) { id title rating }
  }
}
fragment authorFields on author { id name }`
	for _, c := range []struct{ name, query string }{{"plain", benchNestedQuery}, {"fragments", fragments}} {
		b.Run(c.name, func(b *testing.B) {
			compile := func(req *graphql.Request) {
				stmts, errBody := srv.App.Engine.Compile(ctx, sess, req)
				if errBody != nil || len(stmts) != 1 {
					b.Fatalf("compile: %d statements, %s", len(stmts), errBody)
				}
			}
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				compile(&graphql.Request{Query: c.query + fmt.Sprintf("\n# %s %d", b.Name(), i), Variables: json.RawMessage(`{"after": 1}`)})
			}
			cold := time.Since(start) / time.Duration(b.N)
			// The floor: the same text compiled again (parse and
			// validation cached), as many times.
			cached := graphql.Request{Query: c.query, Variables: json.RawMessage(`{"after": 1}`)}
			compile(&cached)
			start = time.Now()
			for range b.N {
				compile(&cached)
			}
			b.ReportMetric(float64(cold)/float64(time.Since(start)/time.Duration(b.N)), "cold/cached")
		})
	}
}

// BenchmarkRequestPath measures, for each of the bench program's queries,
// the layers of one request: floor (the compiled SQL through pgx QueryRow,
// what Postgres and the driver cost), compile (Engine.Compile), engine
// (Engine.ExecuteBody: compile, pgx and the response body) and handler (the
// whole HTTP handler: body, session, engine, response, http-log; no
// network). handler - floor is Graft's own CPU per request. For stable
// numbers on a shared machine count instructions instead of timing:
//
//	go test -c -o /tmp/graphql.test ./graphql
//	valgrind --tool=callgrind --toggle-collect='*benchLoop*' /tmp/graphql.test \
//	  -test.run '^$' -test.bench 'RequestPath/handler/by_pk' -test.benchtime 2000x
func BenchmarkRequestPath(b *testing.B) {
	srv := benchFixture(b)
	ctx := context.Background()
	sess := graphql.Session{Role: "admin", Vars: map[string]string{}}
	handler := srv.App.Server.Handler()
	pool := srv.App.Pool
	for _, q := range benchQueries {
		reqs := make([]graphql.Request, 64)
		bodies := make([][]byte, len(reqs))
		stmts := make([]graphql.Statement, len(reqs))
		for i := range reqs {
			reqs[i] = graphql.Request{Query: q.query, Variables: json.RawMessage(q.vars(i))}
			bodies[i], _ = json.Marshal(reqs[i])
			st, errBody := srv.App.Engine.Compile(ctx, sess, &reqs[i])
			if errBody != nil || len(st) != 1 {
				b.Fatalf("%s: compile: %d statements, %s", q.name, len(st), errBody)
			}
			stmts[i] = st[0]
		}
		layers := []struct {
			name string
			do   func(i int) error
		}{
			{"floor", func(i int) error { return floorQuery(ctx, pool, stmts[i]) }},
			{"compile", func(i int) error {
				if _, errBody := srv.App.Engine.Compile(ctx, sess, &reqs[i]); errBody != nil {
					return fmt.Errorf("%s", errBody)
				}
				return nil
			}},
			{"engine", func(i int) error {
				if res := srv.App.Engine.ExecuteBody(ctx, sess, bodies[i]); !bytes.HasPrefix(res.Body, []byte(`{"data"`)) {
					return fmt.Errorf("%.300s", res.Body)
				}
				return nil
			}},
			{"handler", func(i int) error { return serveOnce(handler, bodies[i]) }},
		}
		for _, l := range layers {
			b.Run(l.name+"/"+q.name, func(b *testing.B) {
				b.ReportAllocs()
				benchLoop(b, len(reqs), l.do)
			})
		}
	}
}

// benchLoop runs do over the prepared requests until the benchmark ends;
// named so that callgrind can count just this loop (--toggle-collect).
//
//go:noinline
func benchLoop(b *testing.B, n int, do func(i int) error) {
	for i := 0; b.Loop(); i++ {
		if err := do(i % n); err != nil {
			b.Fatal(err)
		}
	}
}

func floorQuery(ctx context.Context, pool *pgxpool.Pool, st graphql.Statement) error {
	var out []byte
	return pool.QueryRow(ctx, st.SQL, st.Args...).Scan(&out)
}

// serveOnce runs one POST /v1/graphql through the handler as the admin.
// The request is built by hand from a parsed URL and shared headers, as a
// server would hand it over, so that the benchmark counts the handler and
// not the building of requests.
func serveOnce(h http.Handler, body []byte) error {
	r := &http.Request{Method: http.MethodPost, URL: graphqlURL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: adminHeader, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Host: "graft", RemoteAddr: "127.0.0.1:40000", RequestURI: "/v1/graphql"}
	w := &discardResponse{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK || !strings.HasPrefix(w.start, `{"data"`) {
		return fmt.Errorf("status %d: %s", w.status, w.start)
	}
	return nil
}

var (
	graphqlURL  = &url.URL{Path: "/v1/graphql"}
	adminHeader = http.Header{"Content-Type": {"application/json"}, "X-Hasura-Admin-Secret": {testenv.AdminSecret}}
)

// discardResponse is the least a ResponseWriter can be: it keeps the status
// and the first bytes of the body.
type discardResponse struct {
	header http.Header
	status int
	start  string
}

func (w *discardResponse) Header() http.Header { return w.header }

func (w *discardResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.start == "" {
		w.start = string(p[:min(len(p), 16)])
	}
	return len(p), nil
}

var _ io.Writer = (*discardResponse)(nil)
