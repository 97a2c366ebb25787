package tracing

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// propagator reads and writes W3C traceparent/tracestate, as Hasura does.
var propagator = propagation.TraceContext{}

// noopSpan is what Start returns when tracing is off: no context is
// derived, so nothing is allocated.
var noopSpan trace.Span = noop.Span{}

// The attributes every span of a kind carries are built once: each one
// built per span is an allocation on the hot path.
var (
	dbSystem    = attribute.String("db.system.name", "postgresql")
	dbAttrs     = []attribute.KeyValue{dbSystem}
	methods     = map[string][]attribute.KeyValue{}
	otherMethod = []attribute.KeyValue{attribute.String("http.request.method", "_OTHER")}
)

func init() {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch,
		http.MethodHead, http.MethodOptions} {
		methods[m] = []attribute.KeyValue{attribute.String("http.request.method", m)}
	}
}

// Start starts a span named name under ctx's span. Off, it returns ctx and
// a no-op span at the cost of one atomic load.
func Start(ctx context.Context, name string) (context.Context, trace.Span) {
	return StartKind(ctx, name, trace.SpanKindInternal)
}

// StartKind is Start with a span kind: server for incoming requests,
// client for outgoing calls.
func StartKind(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	r := current.Load()
	if r == nil {
		return ctx, noopSpan
	}
	s := r.start(ctx, name, kind, nil)
	return trace.ContextWithSpan(ctx, s), s
}

// StartRequest starts the server span of an incoming HTTP request, under
// the trace of the caller's traceparent when it sends one, named by path
// alone (a name built per request would cost an allocation) and carrying
// the method.
func StartRequest(r *http.Request) (context.Context, trace.Span) {
	ctx := r.Context()
	rec := current.Load()
	if rec == nil {
		return ctx, noopSpan
	}
	ctx = Extract(ctx, r.Header)
	method, ok := methods[r.Method]
	if !ok {
		method = otherMethod
	}
	s := rec.start(ctx, r.URL.Path, trace.SpanKindServer, method)
	return trace.ContextWithSpan(ctx, s), s
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Extract returns ctx under the trace an incoming request's traceparent
// names (unchanged when off or absent).
func Extract(ctx context.Context, h http.Header) context.Context {
	if !Enabled() || len(h["Traceparent"]) == 0 { // the canonical key: Get would canonicalize (allocate) per request
		return ctx
	}
	return propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Inject adds ctx's traceparent to an outgoing request's headers.
func Inject(ctx context.Context, h http.Header) {
	if !Enabled() {
		return
	}
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// AppendHeaders is Inject for header lists, as the event webhook client
// writes them.
func AppendHeaders(ctx context.Context, headers [][2]string) [][2]string {
	if !Enabled() {
		return headers
	}
	h := http.Header{}
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
	for k, vs := range h {
		for _, v := range vs {
			headers = append(headers, [2]string{k, v})
		}
	}
	return headers
}

// walContext is Hasura's trace_context in event payloads (and in the WAL
// message of a mutation): lower-case hex ids and the sampling state as the
// X-B3-Sampled header writes it ("1" sampled, "0" not).
type walContext struct {
	TraceID       string `json:"trace_id"`
	SpanID        string `json:"span_id"`
	SamplingState string `json:"sampling_state,omitempty"`
}

// WALContext is the trace_context a mutation writes into its WAL message:
// nil (JSON null) when tracing is off or ctx has no span.
func WALContext(ctx context.Context) any {
	if !Enabled() {
		return nil
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	state := "0"
	if sc.IsSampled() {
		state = "1"
	}
	return walContext{TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(), SamplingState: state}
}

// EventContext returns ctx under the trace of the mutation that caused an
// event: event is the payload's "event" object, whose trace_context the WAL
// reader copied from the mutation's message.
func EventContext(ctx context.Context, event json.RawMessage) context.Context {
	if !Enabled() || len(event) == 0 {
		return ctx
	}
	var e struct {
		TraceContext *walContext `json:"trace_context"`
	}
	if json.Unmarshal(event, &e) != nil || e.TraceContext == nil {
		return ctx
	}
	sc, ok := spanContext(e.TraceContext)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

func spanContext(w *walContext) (trace.SpanContext, bool) {
	tid, err := trace.TraceIDFromHex(w.TraceID)
	if err != nil {
		return trace.SpanContext{}, false
	}
	sid, err := trace.SpanIDFromHex(w.SpanID)
	if err != nil {
		return trace.SpanContext{}, false
	}
	// Hasura leaves sampling_state empty when it deferred the decision:
	// only an explicit "0" drops the event's spans.
	var flags trace.TraceFlags
	if w.SamplingState != "0" {
		flags = trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
	return sc, sc.IsValid()
}

// SQLTracer gives every SQL statement (and batch) a span, set on the
// pool's ConnConfig.Tracer. Statements outside a recorded request (the
// WAL reader's, metadata polls) get none: they would be traces of one span.
type SQLTracer struct{}

var (
	_ pgx.QueryTracer = SQLTracer{}
	_ pgx.BatchTracer = SQLTracer{}
)

// sqlStart starts a child span only under a recording parent, so that
// sqlEnd knows a recording span in its context is the statement's own.
func sqlStart(ctx context.Context, name, statement string) context.Context {
	r := current.Load()
	if r == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	s := r.start(ctx, name, trace.SpanKindClient, dbAttrs)
	if s.recording {
		s.query = statement
	}
	return trace.ContextWithSpan(ctx, s)
}

func sqlEnd(ctx context.Context, err error) {
	if !Enabled() {
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		End(span, err)
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (SQLTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return sqlStart(ctx, "sql", data.SQL)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (SQLTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	sqlEnd(ctx, data.Err)
}

// TraceBatchStart implements pgx.BatchTracer: a batch (a mutation's
// session statement and first write) is one round trip, so one span.
func (SQLTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return sqlStart(ctx, "sql batch", "")
}

// TraceBatchQuery implements pgx.BatchTracer: the statements are named on
// the batch's span.
func (SQLTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	if span := trace.SpanFromContext(ctx); Enabled() && span.IsRecording() {
		span.AddEvent("statement", trace.WithAttributes(queryText.String(data.SQL)))
	}
}

// TraceBatchEnd implements pgx.BatchTracer.
func (SQLTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	sqlEnd(ctx, data.Err)
}
