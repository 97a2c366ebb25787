package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
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

	// Throughput and p50 at c=1 and c=16: the same number of requests
	// through each path, one path after the other.
	reqs := 10 * len(graftTimes)
	for _, c := range []int{1, 16} {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
		graft := underLoad(c, reqs, func() time.Duration { _, d := benchPost(b, client, graftURL, body, testenv.Admin()); return d })
		proxy := underLoad(c, reqs, func() time.Duration { _, d := benchPost(b, client, proxyURL, body, testenv.Admin()); return d })
		tag := fmt.Sprintf("-c%d", c)
		b.ReportMetric(graft.rps, "req/s"+tag+"-action")
		b.ReportMetric(proxy.rps, "req/s"+tag+"-proxy")
		b.ReportMetric(float64(graft.p50.Microseconds()), "µs-p50"+tag+"-action")
		b.ReportMetric(float64(proxy.p50.Microseconds()), "µs-p50"+tag+"-proxy")
		b.ReportMetric(float64(graft.p50)/float64(proxy.p50), "p50-ratio"+tag)
	}
}

// loadResult is what underLoad measured.
type loadResult struct {
	rps float64
	p50 time.Duration
}

// underLoad runs total calls of send from c goroutines and returns the
// calls per second and the p50 of the durations send returned.
func underLoad(c, total int, send func() time.Duration) loadResult {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	took := make([]time.Duration, 0, total)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				d := send()
				mu.Lock()
				took = append(took, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return loadResult{rps: float64(total) / time.Since(start).Seconds(), p50: p50(took)}
}

// BenchmarkActionWithRelationship: a sync query action whose output joins
// two tables (an object and an array relationship, with an aggregate)
// against the same action without them: p50 of each, their ratio, and the
// SQL statements per call (the relationships cost one).
func BenchmarkActionWithRelationship(b *testing.B) {
	s, _ := startActions(b)
	wantData(b, s, `mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { id } }`, nil, `{"create_user":{"id":1}}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	joined := []byte(`{"query":"{ get_user_by_email(email: \"clarke@gmail.com\") { id user { name } articles { id name } articles_aggregate { aggregate { count } } } }"}`)
	plain := []byte(`{"query":"{ get_user_by_email(email: \"clarke@gmail.com\") { id } }"}`)
	send := func(q []byte, want string) time.Duration {
		out, took := benchPost(b, client, s.URL+"/v1/graphql", q, testenv.Admin())
		if !strings.Contains(string(out), want) {
			b.Fatalf("action answered %s", out)
		}
		return took
	}
	const wantJoined, wantPlain = `"user":{"name":"Clarke"}`, `{"data":{"get_user_by_email":{"id":1}}}`
	for range 100 {
		send(joined, wantJoined)
		send(plain, wantPlain)
	}
	before := s.App.Actions.Statements()
	var withRel, without []time.Duration
	for b.Loop() {
		withRel = append(withRel, send(joined, wantJoined))
		without = append(without, send(plain, wantPlain))
	}
	j, p := p50(withRel), p50(without)
	b.ReportMetric(float64(j.Microseconds()), "µs-p50-joined")
	b.ReportMetric(float64(p.Microseconds()), "µs-p50-plain")
	b.ReportMetric(float64(j)/float64(p), "p50-ratio")
	b.ReportMetric(float64(s.App.Actions.Statements()-before)/float64(len(withRel)), "statements/call")
}
