package integration

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/graftql/graft/tracing"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpSink is a real OTLP/HTTP receiver that accepts and discards: the
// exporter does all its work (protobuf encoding, the HTTP round trip) and
// the receiver reads every body, in this process, so that both costs weigh
// on the traced side of the benchmark.
// The bodies are kept, and decoded only by spans(), outside the timing, to
// prove that no span was dropped on the way.
type otlpSink struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	bytes  int64
}

func newOTLPSink(tb testing.TB) *otlpSink {
	s := &otlpSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation of the body's size: the receiver stands for a
		// collector elsewhere, its garbage should not weigh on Graft's GC.
		body := make([]byte, max(r.ContentLength, 0))
		_, err := io.ReadFull(r.Body, body)
		if err != nil || r.ContentLength <= 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.bytes += int64(len(body))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(s.Close)
	return s
}

// spans decodes and forgets the bodies received so far and returns how
// many spans of each name they held.
func (s *otlpSink) spans(tb testing.TB) map[string]int {
	s.mu.Lock()
	bodies := s.bodies
	s.bodies = nil
	s.mu.Unlock()
	names := map[string]int{}
	for _, body := range bodies {
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			tb.Fatalf("OTLP body: %v", err)
		}
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					names[sp.Name]++
				}
			}
		}
	}
	return names
}

// processCPU is the CPU time this process used so far (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadRound is one measured round: its requests per second, and per
// request the CPU time and the heap allocations (bytes) of this process
// (server, load generator and OTLP receiver alike). The CPU time is less
// disturbed than req/s by other work on the machine; the allocations not
// at all, and they drive the garbage collector's share of the CPU.
type loadRound struct{ rps, cpuPerReq, bytesPerReq float64 }

// byPKLoad sends requests by-pk queries to url from clients goroutines.
func byPKLoad(tb testing.TB, client *http.Client, url string, requests, clients int) loadRound {
	body := []byte(`{"query":"query($id: Int!) { item_by_pk(id: $id) { id name } }","variables":{"id":1}}`)
	want := []byte(`{"data":{"item_by_pk":{"id":1,"name":"one"}}}`)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failure atomic.Value
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	allocated := mem.TotalAlloc
	start, cpu := time.Now(), processCPU()
	for range clients {
		wg.Go(func() {
			buf := make([]byte, 0, 256)
			for next.Add(1) <= int64(requests) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hasura-Admin-Secret", testenv.AdminSecret)
				resp, err := client.Do(req)
				if err != nil {
					failure.Store(err.Error())
					return
				}
				w := bytes.NewBuffer(buf[:0])
				_, err = w.ReadFrom(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(w.Bytes(), want) {
					failure.Store(fmt.Sprintf("answer %q (%v)", w.Bytes(), err))
					return
				}
			}
		})
	}
	wg.Wait()
	took, used := time.Since(start), processCPU()-cpu
	runtime.ReadMemStats(&mem)
	allocated = mem.TotalAlloc - allocated
	if f := failure.Load(); f != nil {
		tb.Fatal(f)
	}
	n := float64(requests)
	return loadRound{rps: n / took.Seconds(), cpuPerReq: float64(used.Microseconds()) / n, bytesPerReq: float64(allocated) / n}
}

// BenchmarkByPKObservability is the figure: by-pk req/s over HTTP
// with metrics and tracing both off against both on, tracing sampling
// every request and exporting over OTLP/HTTP to a real receiver (in this
// process, see otlpSink). Each iteration is one off round and one on round
// of benchRound requests from benchClients clients, back to back; it
// reports the medians of both req/s and of the per-pair ratio on/off (the
// VM is shared: pairing keeps a load spike from weighing on one side only).
// Run it as `make bench` does, with -benchtime Nx for N pairs. The sampler
// is the SDK's default, parent-based always-on (every request recorded and
// exported), unless OTEL_TRACES_SAMPLER says otherwise, as in production:
// OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
// measures a 10% sample. OBS_BENCH_SIDES (tracing, metrics, none) turns
// only one of the two on, or neither (the noise floor of the machine).
func BenchmarkByPKObservability(b *testing.B) {
	const benchRound, benchClients = 800, 8
	s := testenv.Start(b, testenv.NewDatabase(b), testenv.Options{Env: metricsEnv(nil)})
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL); INSERT INTO item VALUES (1, 'one')`)
	if r := s.Metadata(op("pg_track_table", map[string]any{"table": "item"})); r.Status != 200 {
		b.Fatalf("track: %s", r.Body)
	}
	srv := s.App.Server
	m := srv.Metrics
	srv.Metrics = nil
	offSrv := httptest.NewServer(srv.Handler())
	srv.Metrics = m
	onSrv := httptest.NewServer(srv.Handler())
	b.Cleanup(offSrv.Close)
	b.Cleanup(onSrv.Close)
	sink := newOTLPSink(b)
	ctx := context.Background()
	traces := &tracing.Provider{}
	cfg := tracing.Config{Enabled: true, Endpoint: sink.URL + "/v1/traces"}
	b.Cleanup(func() { traces.Stop(ctx) })
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}

	// OBS_BENCH_SIDES=tracing or metrics turns only that one on; none
	// compares off with off (how far apart two equal sides measure).
	sides := os.Getenv("OBS_BENCH_SIDES")
	if sides == "tracing" || sides == "none" {
		onSrv = offSrv
	}
	withTracing := sides != "metrics" && sides != "none"
	on := func() {
		if !withTracing {
			return
		}
		if err := traces.Apply(ctx, cfg); err != nil {
			b.Fatal(err)
		}
	}
	off := func() {
		if !withTracing {
			return
		}
		if err := traces.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// Warm both handlers' connections, the plan cache and the pool.
	byPKLoad(b, client, offSrv.URL+"/v1/graphql", 500, benchClients)
	on()
	byPKLoad(b, client, onSrv.URL+"/v1/graphql", 500, benchClients)
	off()
	sink.spans(b)
	sampler := os.Getenv("OTEL_TRACES_SAMPLER")
	sampled := sampler == "" || sampler == "parentbased_always_on" || sampler == "always_on"
	if sampler == "" {
		sampler = "parentbased_always_on"
	}
	var offRPS, onRPS, ratios, offCPU, onCPU, cpuRatios, offBytes, onBytes []float64
	runOff := func() loadRound { return byPKLoad(b, client, offSrv.URL+"/v1/graphql", benchRound, benchClients) }
	runOn := func() loadRound {
		on()
		rps := byPKLoad(b, client, onSrv.URL+"/v1/graphql", benchRound, benchClients)
		off() // flushes the round's spans to the sink, outside the timing
		return rps
	}
	for i := 0; b.Loop(); i++ {
		// Which side goes first alternates, so that neither always runs
		// right after the flush (or the warm-up) of the other.
		var o, t loadRound
		if i%2 == 0 {
			o, t = runOff(), runOn()
		} else {
			t, o = runOn(), runOff()
		}
		offRPS, onRPS, ratios = append(offRPS, o.rps), append(onRPS, t.rps), append(ratios, t.rps/o.rps)
		offCPU, onCPU, cpuRatios = append(offCPU, o.cpuPerReq), append(onCPU, t.cpuPerReq), append(cpuRatios, t.cpuPerReq/o.cpuPerReq)
		offBytes, onBytes = append(offBytes, o.bytesPerReq), append(onBytes, t.bytesPerReq)
		// Every traced request's spans reached the receiver: none dropped.
		// (The query is parsed and planned in the warm-up: a cached
		// request's trace is its request span and its statement.)
		got := sink.spans(b)
		for _, name := range []string{"/v1/graphql", "sql"} {
			if withTracing && sampled && got[name] != benchRound {
				b.Fatalf("the receiver got %d %q spans for %d requests (all: %v)", got[name], name, benchRound, got)
			}
		}
	}
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	b.ReportMetric(median(offRPS), "req/s-off")
	b.ReportMetric(median(onRPS), "req/s-on")
	b.ReportMetric(median(ratios), "on/off")
	b.ReportMetric(median(offCPU), "cpu-us/req-off")
	b.ReportMetric(median(onCPU), "cpu-us/req-on")
	b.ReportMetric(median(cpuRatios), "cpu-on/off")
	b.ReportMetric(median(offBytes), "B/req-off")
	b.ReportMetric(median(onBytes), "B/req-on")
	b.Logf("by-pk metrics+tracing on/off: %.0f req/s vs %.0f req/s (ratio %.3f: overhead %.1f%%, target <= 5%%; median of %d pairs of %d requests from %d clients; sides %s, sampler %s; ratios %.2f); process CPU %.0f vs %.0f us/req (ratio %.3f; ratios %.2f); allocated %.0f vs %.0f B/req",
		median(onRPS), median(offRPS), median(ratios), 100*(1-median(ratios)), len(ratios), benchRound, benchClients, cmp.Or(sides, "metrics+tracing"), sampler, ratios,
		median(onCPU), median(offCPU), median(cpuRatios), cpuRatios, median(onBytes), median(offBytes))
}
