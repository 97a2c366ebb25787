package proxy

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy/metrics"
)

// BenchmarkRequestWrapper is the per-request cost of the logging wrapper
// around a handler that reads the body and answers, with metrics off and
// on: what metrics add to every request, without the engine's work.
func BenchmarkRequestWrapper(b *testing.B) {
	body := []byte(`{"query":"query($id: Int!) { item_by_pk(id: $id) { id name } }","variables":{"id":1}}`)
	answer := []byte(`{"data":{"item_by_pk":{"id":1,"name":"one"}}}`)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := readBody(w, r); err != nil {
			b.Fatal(err)
		}
		w.Write(answer)
	})
	log := configs.NewLogger(io.Discard, slog.LevelInfo, map[string]bool{"http-log": true})
	for _, c := range []struct {
		name string
		m    *metrics.Metrics
	}{{"metrics=off", nil}, {"metrics=on", metrics.New("")}} {
		s := &Server{Log: log, HTTPLog: configs.LineWriter(log, "http-log"), Metrics: c.m}
		h := s.logRequests(inner)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
			rd := bytes.NewReader(body)
			w := httptest.NewRecorder()
			for b.Loop() {
				rd.Reset(body)
				req.Body, req.ContentLength = io.NopCloser(rd), int64(len(body))
				w.Body.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
