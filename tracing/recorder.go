package tracing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// recorder implements OpenTelemetry's tracing API for Graft's own spans.
// The SDK's recording span costs more than a cached by-pk request's whole
// tracing budget: its spans are built for processors that may read or
// change them, ended spans are copied into a snapshot, and the OTLP
// exporter then copies them again into protobuf messages. Graft's spans
// are only ever exported, so a span here is one small object that the
// exporter encodes from directly (otlpwire.go). The SDK still decides what
// is sampled (its samplers, from OTEL_TRACES_SAMPLER), describes the
// resource, and its OTLP/HTTP client sends the batches (with the
// OTEL_EXPORTER_OTLP_* settings, TLS, compression and retries).
type recorder struct {
	embedded.TracerProvider
	tracer tracer

	sampler sdktrace.Sampler
	// parentOn is set when sampler is the default parent-based
	// always-on: the decision is then taken inline, without building
	// the sampler's parameters.
	parentOn bool
	// ended receives every sampled span once it ends.
	ended spanSink
}

// spanSink takes ended, sampled spans: the OTLP batcher, or an SDK
// exporter for tests and embedders.
type spanSink interface {
	add(*span)
}

var (
	_ trace.TracerProvider = (*recorder)(nil)
	_ trace.Tracer         = (*tracer)(nil)
	_ trace.Span           = (*span)(nil)
)

// tracer is the recorder as a trace.Tracer.
type tracer struct {
	embedded.Tracer
	r *recorder
}

// Tracer implements trace.TracerProvider: every instrumentation name gets
// the one tracer (Graft's spans share a scope).
func (r *recorder) Tracer(string, ...trace.TracerOption) trace.Tracer {
	if r.tracer.r == nil {
		return &tracer{r: r}
	}
	return &r.tracer
}

// Start implements trace.Tracer.
func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	r := t.r
	cfg := trace.NewSpanStartConfig(opts...)
	if cfg.NewRoot() {
		ctx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	}
	s := r.start(ctx, name, cfg.SpanKind(), cfg.Attributes())
	if s.recording && len(s.attrs) > 0 {
		// Attributes from anyone's options (and the sampler's) are
		// checked, de-duplicated and limited as later ones are; Graft's
		// own hot paths hand static lists to start directly.
		attrs := s.attrs
		s.attrs = nil
		s.SetAttributes(attrs...)
	}
	if s.recording && !cfg.Timestamp().IsZero() {
		s.startTime = cfg.Timestamp().UnixNano()
	}
	return trace.ContextWithSpan(ctx, s), s
}

// start makes a span under ctx's span; attrs is kept as is until a
// SetAttributes, so static attribute lists cost nothing per span.
func (r *recorder) start(ctx context.Context, name string, kind trace.SpanKind, attrs []attribute.KeyValue) *span {
	parent := trace.SpanContextFromContext(ctx)
	cfg := trace.SpanContextConfig{TraceID: parent.TraceID(), SpanID: newSpanID()}
	if !parent.TraceID().IsValid() {
		cfg.TraceID = newTraceID()
	}
	var decision sdktrace.SamplingDecision
	if r.parentOn {
		decision, cfg.TraceState = sdktrace.RecordAndSample, parent.TraceState()
		if parent.IsValid() && !parent.IsSampled() {
			decision = sdktrace.Drop
		}
	} else {
		res := r.sampler.ShouldSample(sdktrace.SamplingParameters{
			ParentContext: ctx, TraceID: cfg.TraceID, Name: name, Kind: kind, Attributes: attrs,
		})
		decision, cfg.TraceState = res.Decision, res.Tracestate
		if len(res.Attributes) > 0 {
			attrs = append(append([]attribute.KeyValue(nil), attrs...), res.Attributes...)
		}
	}
	if decision == sdktrace.RecordAndSample {
		cfg.TraceFlags = parent.TraceFlags() | trace.FlagsSampled
	} else {
		cfg.TraceFlags = parent.TraceFlags() &^ trace.FlagsSampled
	}
	s := &span{sc: trace.NewSpanContext(cfg)}
	if decision == sdktrace.Drop {
		return s
	}
	s.recording, s.name, s.kind, s.attrs, s.startTime = true, name, uint8(kind), attrs, spanClock.now()
	s.parentID, s.parentRemote = parent.SpanID(), parent.IsRemote()
	return s
}

// newTraceID and newSpanID draw from math/rand/v2's per-thread ChaCha8
// source, which needs no lock (the SDK's generator takes one per id).
func newTraceID() (id trace.TraceID) {
	for !id.IsValid() {
		a, b := rand.Uint64(), rand.Uint64()
		for i := range 8 {
			id[i], id[8+i] = byte(a>>(56-8*i)), byte(b>>(56-8*i))
		}
	}
	return id
}

func newSpanID() (id trace.SpanID) {
	for !id.IsValid() {
		a := rand.Uint64()
		for i := range 8 {
			id[i] = byte(a >> (56 - 8*i))
		}
	}
	return id
}

// The SDK's default span limits: a span keeps at most this many
// attributes and events, and counts the rest as dropped.
const (
	maxAttributes = 128
	maxEvents     = 128
)

// span is one span of Graft's; a dropped one (not sampled, not recorded)
// only carries its context, for propagation. It is kept small (two are
// allocated per request): what few spans have lives in extra.
type span struct {
	embedded.Span
	sc       trace.SpanContext
	parentID trace.SpanID

	mu   sync.Mutex
	name string
	// Unix nanoseconds.
	startTime, endTime int64
	// attrs may be shared with other spans until ownAttrs is set.
	attrs []attribute.KeyValue
	// query is the db.query.text attribute of a statement's span, kept
	// apart so that a statement's span needs no attribute list of its own.
	query string
	extra *spanExtra
	// status is a codes.Code and kind a trace.SpanKind: a byte each.
	status, kind                      uint8
	parentRemote, recording, ownAttrs bool
	// ended is written under mu, and read without it by IsRecording.
	ended atomic.Bool
}

// spanExtra is the part of a span that only failures and batches use.
type spanExtra struct {
	events        []sdktrace.Event
	description   string
	droppedAttrs  int32
	droppedEvents int32
}

var noExtra spanExtra

// more is the span's extra part, made on first use (under s.mu).
func (s *span) more() *spanExtra {
	if s.extra == nil {
		s.extra = &spanExtra{}
	}
	return s.extra
}

// ext is the extra part of an ended span, for reading.
func (s *span) ext() *spanExtra {
	if s.extra == nil {
		return &noExtra
	}
	return s.extra
}

// queryText is the attribute query stands for.
const queryText = attribute.Key("db.query.text")

// attributes returns every attribute of an ended span, query included.
func (s *span) attributes() []attribute.KeyValue {
	if s.query == "" {
		return s.attrs
	}
	return append(append(make([]attribute.KeyValue, 0, len(s.attrs)+1), s.attrs...), queryText.String(s.query))
}

func (s *span) SpanContext() trace.SpanContext { return s.sc }

// TracerProvider is the recorder in use (a no-op one when tracing is off).
func (s *span) TracerProvider() trace.TracerProvider {
	if r := current.Load(); r != nil {
		return r
	}
	return noop.NewTracerProvider()
}

func (s *span) IsRecording() bool {
	if !s.recording {
		return false
	}
	return !s.ended.Load()
}

// End records the span's end once; a sampled span goes to the exporter.
func (s *span) End(opts ...trace.SpanEndOption) {
	if !s.recording {
		return
	}
	now := spanClock.now()
	if len(opts) > 0 {
		cfg := trace.NewSpanEndConfig(opts...)
		if ts := cfg.Timestamp(); !ts.IsZero() {
			now = ts.UnixNano()
		}
	}
	s.mu.Lock()
	if s.ended.Load() {
		s.mu.Unlock()
		return
	}
	s.endTime = now
	s.ended.Store(true)
	s.mu.Unlock()
	if s.sc.IsSampled() {
		// The recorder in use takes it: when tracing was reconfigured
		// since the span started, the new exporter sends it.
		if r := current.Load(); r != nil {
			r.ended.add(s)
		}
	}
}

// SetStatus follows the SDK: Ok is final, Error beats Unset, and only an
// Error keeps its description.
func (s *span) SetStatus(code codes.Code, description string) {
	if !s.recording {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() || codes.Code(s.status) > code {
		return
	}
	s.status = uint8(code)
	if code == codes.Error {
		s.more().description = description
	} else if s.extra != nil {
		s.extra.description = ""
	}
}

func (s *span) SetName(name string) {
	if !s.recording {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended.Load() {
		s.name = name
	}
}

// SetAttributes adds attributes, a later value replacing an earlier one
// of the same key, as the SDK does.
func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	if !s.recording {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return
	}
	if !s.ownAttrs {
		s.attrs = append(make([]attribute.KeyValue, 0, len(s.attrs)+len(kv)), s.attrs...)
		s.ownAttrs = true
	}
next:
	for _, a := range kv {
		if !a.Valid() {
			s.more().droppedAttrs++
			continue
		}
		for i := range s.attrs {
			if s.attrs[i].Key == a.Key {
				s.attrs[i] = a
				continue next
			}
		}
		if len(s.attrs) >= maxAttributes {
			s.more().droppedAttrs++
			continue
		}
		s.attrs = append(s.attrs, a)
	}
}

func (s *span) AddEvent(name string, opts ...trace.EventOption) {
	if !s.recording {
		return
	}
	cfg := trace.NewEventConfig(opts...)
	s.addEvent(name, cfg.Timestamp(), cfg.Attributes())
}

func (s *span) addEvent(name string, at time.Time, attrs []attribute.KeyValue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return
	}
	x := s.more()
	if len(x.events) >= maxEvents {
		x.droppedEvents++
		return
	}
	x.events = append(x.events, sdktrace.Event{Name: name, Time: at, Attributes: attrs})
}

// RecordError adds the "exception" event the semantic conventions name,
// as the SDK does (the status is the caller's to set).
func (s *span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil || !s.recording {
		return
	}
	cfg := trace.NewEventConfig(opts...)
	attrs := append([]attribute.KeyValue{
		attribute.String("exception.type", errorType(err)),
		attribute.String("exception.message", err.Error()),
	}, cfg.Attributes()...)
	s.addEvent("exception", cfg.Timestamp(), attrs)
}

// AddLink is not recorded: Graft's spans have no links.
func (s *span) AddLink(trace.Link) {}

func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.PkgPath() == "" && t.Name() == "" {
		return t.String()
	}
	return fmt.Sprintf("%s.%s", t.PkgPath(), t.Name())
}
