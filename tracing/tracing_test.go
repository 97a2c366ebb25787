package tracing

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// record installs an in-memory provider until the test ends.
func record(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	p := &Provider{Exporter: exp}
	if err := p.Apply(context.Background(), Config{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return exp
}

func TestOffAllocatesNothing(t *testing.T) {
	if Enabled() {
		t.Fatal("tracing is on by default")
	}
	ctx := context.Background()
	h := http.Header{}
	allocs := testing.AllocsPerRun(100, func() {
		c, span := Start(ctx, "x")
		End(span, nil)
		Inject(c, h)
		_ = WALContext(c)
	})
	if allocs != 0 {
		t.Fatalf("off: %v allocations per span", allocs)
	}
	if len(h) != 0 {
		t.Fatalf("off: injected %v", h)
	}
}

func TestTraceparentInAndOut(t *testing.T) {
	exp := record(t)
	in := http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
	ctx, span := StartKind(Extract(context.Background(), in), "request", trace.SpanKindServer)
	out := http.Header{}
	Inject(ctx, out)
	span.End()
	got := out.Get("traceparent")
	want := "00-0af7651916cd43dd8448eb211c80319c-" + span.SpanContext().SpanID().String() + "-01"
	if got != want {
		t.Fatalf("traceparent %q, want %q", got, want)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Parent.SpanID().String() != "b7ad6b7169203331" {
		t.Fatalf("spans %+v", spans)
	}
}

// TestWALContextRoundTrip: the trace_context a mutation writes is what an
// event's delivery span continues, in Hasura's payload shape.
func TestWALContextRoundTrip(t *testing.T) {
	exp := record(t)
	ctx, mutation := Start(context.Background(), "mutation")
	raw, err := json.Marshal(map[string]any{"trace_context": WALContext(ctx)})
	mutation.End()
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		TraceContext map[string]string `json:"trace_context"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	sc := mutation.SpanContext()
	if tc := shape.TraceContext; tc["trace_id"] != sc.TraceID().String() || tc["span_id"] != sc.SpanID().String() || tc["sampling_state"] != "1" {
		t.Fatalf("trace_context %s", raw)
	}
	dctx, delivery := StartKind(EventContext(context.Background(), raw), "event trigger webhook", trace.SpanKindClient)
	headers := AppendHeaders(dctx, nil)
	delivery.End()
	if len(headers) != 1 || headers[0][0] != "Traceparent" || headers[0][1][3:35] != sc.TraceID().String() {
		t.Fatalf("headers %v", headers)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[1].Parent.SpanID() != sc.SpanID() || spans[1].SpanContext.TraceID() != sc.TraceID() {
		t.Fatalf("delivery span not under the mutation: %+v", spans)
	}
}

func TestEventContextIgnoresNull(t *testing.T) {
	record(t)
	ctx := context.Background()
	for _, body := range []string{`{"trace_context":null}`, `{}`, `{"trace_context":{"trace_id":"zz","span_id":"1"}}`} {
		if got := EventContext(ctx, json.RawMessage(body)); got != ctx {
			t.Errorf("%s: context changed", body)
		}
	}
}

func TestConfigFromMetadata(t *testing.T) {
	env := map[string]string{"TOKEN": "s3cret"}
	getenv := func(k string) string { return env[k] }
	raw := `{"status":"enabled","data_types":["traces"],"exporter_otlp":{"otlp_traces_endpoint":"http://collector:4318/v1/traces",
	  "protocol":"http/protobuf","headers":[{"name":"Authorization","value_from_env":"TOKEN"}],
	  "resource_attributes":[{"name":"deployment.environment","value":"prod"}]},"batch_span_processor":{"max_export_batch_size":100}}`
	cfg, ok, err := FromMetadata(json.RawMessage(raw), getenv)
	if err != nil || !ok || !cfg.Enabled || cfg.Endpoint != "http://collector:4318/v1/traces" || cfg.BatchSize != 100 ||
		cfg.Headers["Authorization"] != "s3cret" || cfg.Attributes["deployment.environment"] != "prod" {
		t.Fatalf("cfg %+v ok %v err %v", cfg, ok, err)
	}
	if cfg, ok, err := FromMetadata(json.RawMessage(`{"status":"disabled"}`), getenv); err != nil || !ok || cfg.Enabled {
		t.Fatalf("disabled: %+v %v %v", cfg, ok, err)
	}
	if _, _, err := FromMetadata(json.RawMessage(`{"status":"enabled","exporter_otlp":{"protocol":"grpc","otlp_traces_endpoint":"x"}}`), getenv); err == nil {
		t.Fatal("grpc accepted")
	}
	if _, ok, _ := FromMetadata(nil, getenv); ok {
		t.Fatal("no metadata read as a config")
	}
	if FromEnv(getenv).Enabled {
		t.Fatal("enabled without an endpoint")
	}
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318"
	if !FromEnv(getenv).Enabled {
		t.Fatal("endpoint set, not enabled")
	}
	env["OTEL_SDK_DISABLED"] = "true"
	if FromEnv(getenv).Enabled {
		t.Fatal("OTEL_SDK_DISABLED ignored")
	}
}

// TestApplyExportsAndStops builds the real OTLP exporter (it connects
// only when flushing) and stops it.
func TestApplyExportsAndStops(t *testing.T) {
	p := &Provider{}
	ctx := context.Background()
	if err := p.Apply(ctx, Config{Enabled: true, Endpoint: "http://127.0.0.1:1/v1/traces", BatchSize: 10}); err != nil {
		t.Fatal(err)
	}
	if !Enabled() {
		t.Fatal("not enabled")
	}
	stop, cancel := context.WithCancel(ctx)
	cancel() // nothing was recorded; do not wait on the unreachable collector
	p.Stop(stop)
	if Enabled() {
		t.Fatal("still enabled after Stop")
	}
}

// BenchmarkSpan is the cost of one span on the hot path: off (the default)
// and on (sampled, exported to a discarding exporter).
func BenchmarkSpan(b *testing.B) {
	ctx := context.Background()
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, span := Start(ctx, "graphql plan")
			End(span, nil)
		}
	})
	b.Run("on", func(b *testing.B) {
		p := &Provider{Exporter: tracetest.NewNoopExporter()}
		p.Apply(ctx, Config{})
		defer p.Stop(ctx)
		b.ReportAllocs()
		for b.Loop() {
			_, span := Start(ctx, "graphql plan")
			End(span, nil)
		}
	})
}
