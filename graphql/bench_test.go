package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/tests/testenv"
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

// BenchmarkCompile measures Engine.Compile (cached parse and validation,
// variable coercion, SQL generation) for query (c) on the golden fixture
// schema, with variables varying per call as in the benchmark program.
// Skipped when DATABASE_URL is unset: the schema comes from a database.
//
//	go test ./graphql -run '^$' -bench Compile -benchmem -cpuprofile /tmp/compile.prof
func BenchmarkCompile(b *testing.B) {
	db := testenv.NewDatabase(b)
	srv := testenv.Start(b, db)
	srv.RunSQL(readFile(b, filepath.Join(goldenDir, "schema.sql")))
	srv.Metadata(map[string]any{
		"type": "replace_metadata",
		"args": json.RawMessage(readFile(b, filepath.Join(goldenDir, "metadata.json"))),
	})
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
