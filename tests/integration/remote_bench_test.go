package integration

import (
	"bytes"
	"io"
	"net/http"
	"slices"
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
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(query))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		start := time.Now()
		resp, err := httpClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
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
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Nanoseconds())
	}
	g, d := p50(viaGraft), p50(direct)
	b.ReportMetric(g, "ns-p50/graft")
	b.ReportMetric(d, "ns-p50/direct")
	b.ReportMetric(g/d, "p50-ratio")
}
