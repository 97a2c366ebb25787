package guard

import (
	"context"
	"testing"

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/graphql"
)

// The hot path of an admitted operation: a cached document, the allow list
// lookup, depth and node checks, and (last) an in-process rate count.
func BenchmarkAdmit(b *testing.B) {
	sess := authz.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1"}}
	req := &graphql.Request{Query: "query authors { author { id name } }"}
	ctx := context.Background()
	for _, c := range []struct {
		name, md  string
		allowlist bool
	}{
		{"off", `{"version": 3, "sources": []}`, false},
		{"allowlist", `{"version": 3, "sources": [],
		  "query_collections": [{"name": "all", "definition": {"queries": [{"name": "authors", "query": "query authors { author { id name } }"}]}}],
		  "allowlist": [{"collection": "all"}]}`, true},
		{"allowlist+depth+nodes", `{"version": 3, "sources": [],
		  "query_collections": [{"name": "all", "definition": {"queries": [{"name": "authors", "query": "query authors { author { id name } }"}]}}],
		  "allowlist": [{"collection": "all"}],
		  "api_limits": {"depth_limit": {"global": 5}, "node_limit": {"global": 50}}}`, true},
		{"allowlist+limits+rate", `{"version": 3, "sources": [],
		  "query_collections": [{"name": "all", "definition": {"queries": [{"name": "authors", "query": "query authors { author { id name } }"}]}}],
		  "allowlist": [{"collection": "all"}],
		  "api_limits": {"depth_limit": {"global": 5}, "node_limit": {"global": 50},
		    "rate_limit": {"global": {"max_reqs_per_min": 1000000000, "unique_params": ["x-hasura-user-id"]}}}}`, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := testGuard(b, c.md, c.allowlist)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, release, err := g.Admit(ctx, sess, req)
				if err != nil {
					b.Fatal(err)
				}
				release()
			}
		})
	}
}
