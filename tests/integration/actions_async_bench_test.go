package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// asyncBenchFloor is the least async/sync throughput ratio the benchmark
// accepts. An async call costs four committed writes (the row, its queued
// mark, the claim, the result: each a WAL flush) and two Redis scripts
// more than a sync one, which writes nothing; 0.09-0.18 was measured on a
// loaded 2-core machine.
const asyncBenchFloor = 0.05

// BenchmarkActionAsyncVsSync runs batches of calls of one handler, 8 at a
// time, as sync mutations and as async mutations through the Redis queue
// (until every result is recorded), and reports both rates, their ratio
// against asyncBenchFloor and the async calls' p50 from creation to the
// stored result.
func BenchmarkActionAsyncVsSync(b *testing.B) {
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"v":"done"}`))
	}))
	defer handler.Close()
	db := testenv.NewDatabase(b)
	s := testenv.Start(b, db, testenv.Options{Redis: true})
	s.Metadata(op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	s.Metadata(action("call_sync", "mutation", handler.URL, "Done"))
	s.Metadata(asyncAction("call_async", handler.URL, "Done", 0))
	pool := testenv.Pool(b, db)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	send := func(query string) {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/graphql", bytes.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", testenv.AdminSecret)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("%s: %s", query, out)
		}
	}
	const batch, parallel = 200, 8
	run := func(query string) {
		var wg sync.WaitGroup
		for w := range parallel {
			wg.Go(func() {
				for i := w; i < batch; i += parallel {
					send(query)
				}
			})
		}
		wg.Wait()
	}
	completed := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM hdb_catalog.hdb_action_log WHERE status = 'completed'`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	var syncTime, asyncTime time.Duration
	done := 0
	for b.Loop() {
		start := time.Now()
		run(`mutation { call_sync { v } }`)
		syncTime += time.Since(start)
		start = time.Now()
		run(`mutation { call_async }`)
		done += batch
		deadline := time.Now().Add(time.Minute)
		for completed() < done {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d async calls completed within a minute", completed(), done)
			}
			time.Sleep(10 * time.Millisecond)
		}
		asyncTime += time.Since(start)
	}
	var p50 float64
	if err := pool.QueryRow(context.Background(), `SELECT percentile_cont(0.5) WITHIN GROUP
	  (ORDER BY extract(epoch FROM response_received_at - created_at)) FROM hdb_catalog.hdb_action_log`).Scan(&p50); err != nil {
		b.Fatal(err)
	}
	syncRate := float64(done) / syncTime.Seconds()
	asyncRate := float64(done) / asyncTime.Seconds()
	ratio := asyncRate / syncRate
	b.ReportMetric(syncRate, "sync-calls/s")
	b.ReportMetric(asyncRate, "async-calls/s")
	b.ReportMetric(ratio, "async/sync")
	b.ReportMetric(p50*1e3, "ms-p50-async-created-to-stored")
	b.Logf("async/sync throughput %.2f (floor %.2f)", ratio, asyncBenchFloor)
	if ratio < asyncBenchFloor {
		b.Errorf("async/sync throughput %.2f is below the floor %.2f", ratio, asyncBenchFloor)
	}
}
