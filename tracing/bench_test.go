package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRequestTrace is the tracing cost of one cached by-pk request's
// spans (the request and its statement: parse and plan were cached, see
// graphql/tracing_steps.go), exported over OTLP/HTTP to a real
// receiver in this process that reads and discards: it reports the CPU
// time per request trace, exporter and receiver included.
func BenchmarkRequestTrace(b *testing.B) {
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	ctx := context.Background()
	p := &Provider{}
	if err := p.Apply(ctx, Config{Enabled: true, Endpoint: sink.URL + "/v1/traces"}); err != nil {
		b.Fatal(err)
	}
	defer p.Stop(ctx)
	stmt := `SELECT row_to_json(x) FROM (SELECT "id", "name" FROM "public"."item" WHERE "id" = $1) x`
	hreq := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	b.ReportAllocs()
	cpu := processCPU()
	// Every 512 traces (1,024 spans, half the batch processor's queue) are
	// flushed: a producer faster than the exporter would see spans dropped
	// (cheap) instead of exported (what this measures).
	for i := 0; b.Loop(); i++ {
		rctx, req := StartRequest(hreq)
		qctx := sqlStart(rctx, "sql", stmt)
		sqlEnd(qctx, nil)
		req.End()
		if i%512 == 511 {
			p.Flush(ctx)
		}
	}
	p.Stop(ctx) // the last batch's export counts too
	used := processCPU() - cpu
	received := 0
	for _, body := range bodies {
		var req coltrace.ExportTraceServiceRequest
		if proto.Unmarshal(body, &req) == nil {
			for _, rs := range req.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					received += len(ss.Spans)
				}
			}
		}
	}
	b.ReportMetric(float64(received)/float64(2*b.N), "received/sent")
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/trace")
}

// discardBatches is a batch exporter that sends nothing.
type discardBatches struct{}

func (discardBatches) export(context.Context, []*span) error { return nil }
func (discardBatches) shutdown(context.Context) error        { return nil }

// BenchmarkRequestPath is what a cached by-pk request pays on its own
// goroutine, export aside: the request span, its context, the statement's
// span, both ends.
func BenchmarkRequestPath(b *testing.B) {
	rec := &recorder{parentOn: true}
	rec.tracer.r = rec
	batches := newBatcher(discardBatches{}, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 1 << 20, maxBatch: 512}, nil)
	defer batches.stop(context.Background())
	rec.ended = batches
	p := &Provider{}
	use(p, rec)
	defer use(p, nil)
	hreq := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	b.ReportAllocs()
	for b.Loop() {
		rctx, req := StartRequest(hreq)
		r := hreq.WithContext(rctx)
		sqlEnd(sqlStart(r.Context(), "sql", `SELECT 1`), nil)
		req.End()
	}
}
