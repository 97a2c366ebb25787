package integration

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// BenchmarkActionSyncVsReverseProxy compares a sync action whose handler
// is local with the same request forwarded to that handler by a bare
// httputil.ReverseProxy: what Graft adds (parse, validate, payload, output
// check) over a plain hop. Both alternate request by request over real
// HTTP; it reports both p50 latencies and their ratio.
func BenchmarkActionSyncVsReverseProxy(b *testing.B) {
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":1,"name":"one"}`))
	}))
	defer handler.Close()
	target, _ := url.Parse(handler.URL)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()

	s := testenv.Start(b, testenv.NewDatabase(b))
	s.Metadata(op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Item",
		"fields": []any{arg("id", "Int!"), arg("name", "String")}}}}))
	s.Metadata(action("item", "query", handler.URL+"/item", "Item", arg("id", "Int!")))

	body := []byte(`{"query":"query($id: Int!) { item(id: $id) { id name } }","variables":{"id":1}}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	send := func(u string) []byte {
		out, _ := benchPost(b, client, u, body, testenv.Admin())
		return out
	}
	graftURL, proxyURL := s.URL+"/v1/graphql", proxy.URL+"/item"
	for range 200 { // warm connections and the plan cache
		send(graftURL)
		send(proxyURL)
	}
	if got := string(send(graftURL)); got != `{"data":{"item":{"id":1,"name":"one"}}}` {
		b.Fatalf("action answered %s", got)
	}
	var graftTimes, proxyTimes []time.Duration
	for b.Loop() {
		start := time.Now()
		send(graftURL)
		graftTimes = append(graftTimes, time.Since(start))
		start = time.Now()
		send(proxyURL)
		proxyTimes = append(proxyTimes, time.Since(start))
	}
	g, p := p50(graftTimes), p50(proxyTimes)
	b.ReportMetric(float64(g.Microseconds()), "µs-p50-action")
	b.ReportMetric(float64(p.Microseconds()), "µs-p50-proxy")
	b.ReportMetric(float64(g)/float64(p), "p50-ratio")
}
