package integration

import (
	"bytes"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// BenchmarkRemoteSchemaForwarding compares a query forwarded through Graft
// to a remote schema with the same query sent to the remote directly,
// alternating request by request over real HTTP so that load weighs on
// both alike. It reports each side's p50 and their ratio (graft/direct):
// what Graft's validation, printing and rebuilding cost on top.
func BenchmarkRemoteSchemaForwarding(b *testing.B) {
	remote := startPythonRemote(b)
	s := testenv.Start(b, testenv.NewDatabase(b))
	if r := s.Metadata(addRemote("users", remote.URL+"/user-graphql", nil)); r.Status != 200 {
		b.Fatalf("add_remote_schema: %s", r.Body)
	}
	query := []byte(`{"query":"{ user(id: 2) { id username } }"}`)
	send := func(url string, headers map[string]string) time.Duration {
		body, took := benchPost(b, httpClient, url, query, headers)
		if !bytes.Contains(body, []byte(`"username":"john"`)) {
			b.Fatalf("answer %s", body)
		}
		return took
	}
	graftURL, directURL := s.URL+"/v1/graphql", remote.URL+"/user-graphql"
	for range 200 { // warm connections and caches on both paths
		send(graftURL, testenv.Admin())
		send(directURL, nil)
	}
	var viaGraft, direct []time.Duration
	for b.Loop() {
		viaGraft = append(viaGraft, send(graftURL, testenv.Admin()))
		direct = append(direct, send(directURL, nil))
	}
	g, d := float64(p50(viaGraft)), float64(p50(direct))
	b.ReportMetric(g, "ns-p50/graft")
	b.ReportMetric(d, "ns-p50/direct")
	b.ReportMetric(g/d, "p50-ratio")
}
