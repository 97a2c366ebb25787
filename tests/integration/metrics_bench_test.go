package integration

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// BenchmarkByPKMetrics runs a by-pk query through the server's handler
// (no network) with metrics off and on: the cost of counting a request.
// It reports both times per request and their ratio (on/off).
func BenchmarkByPKMetrics(b *testing.B) {
	s := testenv.Start(b, testenv.NewDatabase(b), testenv.Options{Env: metricsEnv(nil)})
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL); INSERT INTO item VALUES (1, 'one')`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}})
	srv := s.App.Server
	on := srv.Handler()
	m := srv.Metrics
	srv.Metrics = nil
	off := srv.Handler()
	srv.Metrics = m
	body := []byte(`{"query":"query($id: Int!) { item_by_pk(id: $id) { id name } }","variables":{"id":1}}`)
	want := `{"data":{"item_by_pk":{"id":1,"name":"one"}}}`
	serve := func(h http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/graphql", bytes.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", testenv.AdminSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for range 500 { // warm the compiled-query cache and the pool for both
		serve(off)
		serve(on)
	}
	// Off and on alternate request by request, so that the machine's load
	// (shared, and Postgres' own) weighs on both alike.
	var took [2]time.Duration
	for b.Loop() {
		for i, h := range [2]http.Handler{off, on} {
			start := time.Now()
			rec := serve(h)
			took[i] += time.Since(start)
			if rec.Body.String() != want {
				b.Fatalf("answer %s", rec.Body)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(took[0].Nanoseconds())/n, "ns/off")
	b.ReportMetric(float64(took[1].Nanoseconds())/n, "ns/on")
	b.ReportMetric(float64(took[1])/float64(took[0]), "on/off")
}
