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

	"github.com/graftql/graft/configs/gcfloor"
	"github.com/graftql/graft/tests/testenv"
	"github.com/graftql/graft/tracing"
	"google.golang.org/protobuf/encoding/protowire"
)

// otlpSink is a real OTLP/HTTP receiver in this process: the exporter
// does all its work (protobuf encoding, the HTTP round trip) and the
// receiver reads every body, so that both costs weigh on the traced side
// of the benchmark. It reads each body into one reused buffer and counts
// its spans by name there (walking the protobuf encoding for the names
// only), to prove that no span was dropped on the way: a collector runs
// elsewhere, its garbage should not weigh on Graft's collector.
type otlpSink struct {
	*httptest.Server
	mu    sync.Mutex
	buf   []byte
	names map[string]int
	err   error
}

func newOTLPSink(tb testing.TB) *otlpSink {
	s := &otlpSink{names: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.ContentLength <= 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if int64(cap(s.buf)) < r.ContentLength {
			s.buf = make([]byte, r.ContentLength)
		}
		body := s.buf[:r.ContentLength]
		if _, err := io.ReadFull(r.Body, body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		err := eachField(body, 1, func(rs []byte) error {
			return eachField(rs, 2, func(ss []byte) error {
				return eachField(ss, 2, func(sp []byte) error {
					return eachField(sp, 5, func(name []byte) error {
						s.names[string(name)]++
						return nil
					})
				})
			})
		})
		if err != nil && s.err == nil {
			s.err = err
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(s.Close)
	return s
}

// spans returns and forgets how many spans of each name were received
// (ExportTraceServiceRequest.resource_spans, .scope_spans, .spans,
// Span.name) since the last call.
func (s *otlpSink) spans(tb testing.TB) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		tb.Fatalf("OTLP body: %v", s.err)
	}
	names := s.names
	s.names = map[string]int{}
	return names
}

// eachField calls fn with the bytes of every length-delimited field
// number num of the message msg.
func eachField(msg []byte, num protowire.Number, fn func([]byte) error) error {
	for len(msg) > 0 {
		n, typ, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return protowire.ParseError(l)
		}
		msg = msg[l:]
		if typ != protowire.BytesType {
			if l = protowire.ConsumeFieldValue(n, typ, msg); l < 0 {
				return protowire.ParseError(l)
			}
			msg = msg[l:]
			continue
		}
		v, l := protowire.ConsumeBytes(msg)
		if l < 0 {
			return protowire.ParseError(l)
		}
		msg = msg[l:]
		if n == num {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
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
// OBS_OTLP_URL sends the spans to a receiver outside this process instead
// (a collector's CPU is then not counted).
func BenchmarkByPKObservability(b *testing.B) {
	const benchRound, benchClients = 2000, 8
	s := testenv.Start(b, testenv.NewDatabase(b), testenv.Options{Env: metricsEnv(nil)})
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL); INSERT INTO item VALUES (1, 'one')`)
	if r := s.Metadata(op("pg_track_table", map[string]any{"table": "item"})); r.Status != 200 {
		b.Fatalf("track: %s", r.Body)
	}
	// The collector runs as in `graft serve`: with its heap floor (none
	// when GOGC is set, so that GOGC=100 measures without).
	b.Cleanup(gcfloor.Start(uint64(s.App.Config.GCMinHeapMB) << 20).Stop)
	// Tracing is on for the whole benchmark, exporting to the receiver,
	// as a server runs; the off side is the same server's handler built
	// without metrics and without spans (Untraced), so that each round
	// measures the requests only, not switching tracing on and off.
	srv := s.App.Server
	m := srv.Metrics
	srv.Metrics, srv.Untraced = nil, true
	offSrv := httptest.NewServer(srv.Handler())
	srv.Metrics, srv.Untraced = m, false
	onSrv := httptest.NewServer(srv.Handler())
	b.Cleanup(offSrv.Close)
	b.Cleanup(onSrv.Close)
	sink := newOTLPSink(b)
	ctx := context.Background()
	traces := &tracing.Provider{}
	b.Cleanup(func() { traces.Stop(ctx) })
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}

	// OBS_BENCH_SIDES=tracing or metrics turns only that one on; none
	// compares off with off (how far apart two equal sides measure).
	sides := os.Getenv("OBS_BENCH_SIDES")
	if sides == "tracing" || sides == "none" {
		onSrv.Close()
		srv.Metrics, srv.Untraced = nil, sides == "none"
		onSrv = httptest.NewServer(srv.Handler())
		srv.Metrics, srv.Untraced = m, false
		b.Cleanup(onSrv.Close)
	}
	withTracing := sides != "metrics" && sides != "none"
	if withTracing {
		if err := traces.Apply(ctx, tracing.Config{Enabled: true, Endpoint: cmp.Or(os.Getenv("OBS_OTLP_URL"), sink.URL+"/v1/traces")}); err != nil {
			b.Fatal(err)
		}
	}
	// Warm both handlers' connections, the plan cache, the pool and the
	// exporter's buffers.
	byPKLoad(b, client, offSrv.URL+"/v1/graphql", 500, benchClients)
	byPKLoad(b, client, onSrv.URL+"/v1/graphql", 500, benchClients)
	traces.Flush(ctx)
	sink.spans(b)
	sampler := os.Getenv("OTEL_TRACES_SAMPLER")
	sampled := sampler == "" || sampler == "parentbased_always_on" || sampler == "always_on"
	if sampler == "" {
		sampler = "parentbased_always_on"
	}
	var offRPS, onRPS, ratios, offCPU, onCPU, cpuRatios, offBytes, onBytes []float64
	runOff := func() loadRound { return byPKLoad(b, client, offSrv.URL+"/v1/graphql", benchRound, benchClients) }
	runOn := func() loadRound {
		rps := byPKLoad(b, client, onSrv.URL+"/v1/graphql", benchRound, benchClients)
		traces.Flush(ctx) // the round's last spans reach the sink, outside the timing
		return rps
	}
	for i := 0; b.Loop(); i++ {
		// Which side goes first alternates, so that neither always runs
		// right after the flush of the other.
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
			if os.Getenv("OBS_OTLP_URL") == "" && withTracing && sampled && got[name] != benchRound {
				b.Fatalf("the receiver got %d %q spans for %d requests (all: %v)", got[name], name, benchRound, got)
			}
		}
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

// median is the middle of v (the upper one of an even count).
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
