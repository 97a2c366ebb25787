package tracing

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// captureClient is an otlptrace.Client that keeps a copy of every upload,
// as the protobuf bytes the real client would send.
type captureClient struct{ bodies [][]byte }

func (*captureClient) Start(context.Context) error { return nil }
func (*captureClient) Stop(context.Context) error  { return nil }
func (c *captureClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	b, err := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: rs})
	c.bodies = append(c.bodies, b)
	return err
}

// testSpans are ended spans with every field the encoders write: a server
// span under a remote parent with a tracestate, an error with an
// exception event, attributes of each type, a statement, drop counts.
func testSpans(t *testing.T) []*span {
	t.Helper()
	rec := &recorder{}
	rec.ended = spanSinkFunc(func(*span) {})
	rec.parentOn = true
	ts, err := trace.ParseTraceState("vendor=value")
	if err != nil {
		t.Fatal(err)
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	req := rec.start(ctx, "/v1/graphql", trace.SpanKindServer, []attribute.KeyValue{attribute.String("http.request.method", "POST")})
	req.SetAttributes(attribute.Int("http.response.status_code", 200), attribute.Bool("cached", true),
		attribute.Float64("ratio", 0.25), attribute.StringSlice("roles", []string{"user", "admin"}),
		attribute.Int64Slice("ids", []int64{1, -2}), attribute.String("long", strings.Repeat("x", 300)))
	sql := rec.start(trace.ContextWithSpan(ctx, req), "sql", trace.SpanKindClient, dbAttrs)
	sql.query = `SELECT 1`
	sql.RecordError(errors.New("relation \"x\" does not exist"))
	sql.SetStatus(codes.Error, "relation \"x\" does not exist")
	sql.End()
	req.SetStatus(codes.Ok, "ignored")
	req.more().droppedAttrs, req.more().droppedEvents = 2, 3
	req.End()
	return []*span{req, sql}
}

type spanSinkFunc func(*span)

func (f spanSinkFunc) add(s *span) { f(s) }

// TestWireMatchesMessages: the bytes wireEncoder writes decode to the very
// messages the http/json path builds (and that the SDK's exporter would).
func TestWireMatchesMessages(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "graft"), attribute.String("deployment", "test"))
	spans := testSpans(t)
	wire, msgs := &captureClient{}, &captureClient{}
	we, err := newOTLPExporter(wire, res, false)
	if err != nil {
		t.Fatal(err)
	}
	me, err := newOTLPExporter(msgs, res, true)
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the second batch reuses the buffers and messages of the first.
	for range 2 {
		if err := we.export(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
		if err := me.export(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
	}
	for i := range wire.bodies {
		var got, want coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(wire.bodies[i], &got); err != nil {
			t.Fatalf("wire bytes: %v", err)
		}
		if err := proto.Unmarshal(msgs.bodies[i], &want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, &want) {
			t.Fatalf("batch %d: wire\n%v\nmessages\n%v", i, &got, &want)
		}
		if len(got.ProtoReflect().GetUnknown()) != 0 {
			t.Fatal("the wire bytes left unknown fields")
		}
	}

	// And the messages say what the spans are.
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(wire.bodies[0], &req); err != nil {
		t.Fatal(err)
	}
	got := req.ResourceSpans[0].ScopeSpans[0].Spans
	if len(got) != 2 || req.ResourceSpans[0].ScopeSpans[0].Scope.Name != scopeName {
		t.Fatalf("spans %v", got)
	}
	srv, sql := got[0], got[1]
	if srv.Name != "/v1/graphql" || srv.Kind != tracepb.Span_SPAN_KIND_SERVER || srv.TraceState != "vendor=value" ||
		string(srv.ParentSpanId) != string([]byte{4, 5, 6, 0, 0, 0, 0, 0}) || srv.Flags != 0x301 ||
		srv.Status.Code != tracepb.Status_STATUS_CODE_OK || srv.Status.Message != "" ||
		srv.DroppedAttributesCount != 2 || srv.DroppedEventsCount != 3 || len(srv.Attributes) != 7 {
		t.Fatalf("server span %v", srv)
	}
	if string(sql.ParentSpanId) != string(srv.SpanId) || string(sql.TraceId) != string(srv.TraceId) ||
		sql.Kind != tracepb.Span_SPAN_KIND_CLIENT || sql.Flags != 0x101 ||
		sql.Status.Code != tracepb.Status_STATUS_CODE_ERROR || !strings.Contains(sql.Status.Message, "does not exist") ||
		len(sql.Events) != 1 || sql.Events[0].Name != "exception" || sql.EndTimeUnixNano < sql.StartTimeUnixNano {
		t.Fatalf("sql span %v", sql)
	}
	attrs := map[string]string{}
	for _, kv := range sql.Attributes {
		attrs[kv.Key] = kv.Value.GetStringValue()
	}
	if attrs["db.query.text"] != "SELECT 1" || attrs["db.system.name"] != "postgresql" {
		t.Fatalf("sql attributes %v", sql.Attributes)
	}
}

// TestExportOverHTTP sends spans through Apply's real pipeline (recorder,
// batcher, SDK OTLP/HTTP client) to a receiver, with metadata's headers.
func TestExportOverHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []*tracepb.Span
	var headers []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		headers = append(headers, r.Header.Get("X-Collector-Key"), r.Header.Get("Content-Type"))
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.Resource.Attributes {
				if kv.Key == "service.name" && kv.Value.GetStringValue() != "graft" {
					t.Errorf("service.name %v", kv.Value)
				}
			}
			for _, ss := range rs.ScopeSpans {
				got = append(got, ss.Spans...)
			}
		}
	}))
	defer sink.Close()
	ctx := context.Background()
	p := &Provider{}
	cfg := Config{Enabled: true, Endpoint: sink.URL + "/v1/traces", Headers: map[string]string{"X-Collector-Key": "k"}}
	if err := p.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	hreq := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	for range 600 { // more than a batch of 512
		rctx, req := StartRequest(hreq)
		sqlEnd(sqlStart(rctx, "sql", "SELECT 1"), nil)
		req.End()
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	names := map[string]int{}
	for _, s := range got {
		names[s.Name]++
	}
	if names["/v1/graphql"] != 600 || names["sql"] != 600 {
		t.Fatalf("received %v", names)
	}
	if len(headers) < 4 || headers[0] != "k" || headers[1] != "application/x-protobuf" {
		t.Fatalf("headers %v", headers)
	}
}

// TestExportJSON: with OTEL_EXPORTER_OTLP_PROTOCOL=http/json the client
// sends JSON, built from messages (the wire bytes have no JSON form).
func TestExportJSON(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	bodies := make(chan string, 4)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		bodies <- r.Header.Get("Content-Type") + " " + string(body)
	}))
	defer sink.Close()
	ctx := context.Background()
	p := &Provider{}
	if err := p.Apply(ctx, Config{Enabled: true, Endpoint: sink.URL + "/v1/traces"}); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	_, span := Start(ctx, "graphql parse")
	span.End()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-bodies:
		if !strings.HasPrefix(b, "application/json ") || !strings.Contains(b, `"name":"graphql parse"`) {
			t.Fatalf("body %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received")
	}
}
