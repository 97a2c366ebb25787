package integration

import (
	"bytes"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// BenchmarkRemoteJoin compares a query of 100 rows, each joined to a
// remote schema field through a remote relationship, with the same query
// without the join (its floor), alternating request by request. It
// reports each side's p50, their ratio (joined/plain), the remote calls
// per joined request, which batching keeps at 1, and the remote server's
// own p50 with the ratio once that is taken off.
func BenchmarkRemoteJoin(b *testing.B) {
	remote := startJoinRemote(b)
	db := testenv.NewDatabase(b)
	testenv.Exec(b, db, `CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 100) g;`)
	s := testenv.Start(b, db)
	for _, body := range []any{
		op("pg_track_table", map[string]any{"table": "users"}),
		addRemote("profiles", remote.URL, nil),
		toRemote("users", "profile", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"})),
	} {
		if r := s.Metadata(body); r.Status != 200 {
			b.Fatalf("metadata: %s", r.Body)
		}
	}
	joined := []byte(`{"query":"{ users(order_by: {id: asc}) { id name profile { bio } } }"}`)
	plain := []byte(`{"query":"{ users(order_by: {id: asc}) { id name } }"}`)
	send := func(query []byte, want string) time.Duration {
		body, took := benchPost(b, httpClient, s.URL+"/v1/graphql", query, testenv.Admin())
		if !bytes.Contains(body, []byte(want)) {
			b.Fatalf("answer %s", body)
		}
		return took
	}
	const lastJoined, lastPlain = `"name":"user 100","profile":{"bio":"bio of 100"}}]`, `"name":"user 100"}]`
	for range 100 { // warm connections and caches on both paths
		send(joined, lastJoined)
		send(plain, lastPlain)
	}
	calls0, took0 := remote.Calls(), len(remote.Took())
	var withJoin, without []time.Duration
	for b.Loop() {
		withJoin = append(withJoin, send(joined, lastJoined))
		without = append(without, send(plain, lastPlain))
	}
	j, p := float64(p50(withJoin)), float64(p50(without))
	b.ReportMetric(j, "ns-p50/joined")
	b.ReportMetric(p, "ns-p50/plain")
	b.ReportMetric(j/p, "p50-ratio")
	b.ReportMetric(float64(remote.Calls()-calls0)/float64(len(withJoin)), "remote-calls/req")
	// The remote's own time (graphql-go validating 100 aliased fields)
	// is most of the difference; what is left is Graft's join.
	r := float64(p50(remote.Took()[took0:]))
	b.ReportMetric(r, "ns-p50/remote")
	b.ReportMetric((j-r)/p, "p50-ratio-without-remote")
}
