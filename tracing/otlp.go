package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// otlpExporter hands batches of spans to the SDK's OTLP/HTTP client,
// which sends them with the OTEL_EXPORTER_OTLP_* settings (endpoint,
// headers, timeout, compression, TLS) and retries them.
//
// Over http/protobuf, the default and the only protocol Hasura's metadata
// offers, the batch is encoded by wireEncoder and handed over as the
// unknown fields of an empty ResourceSpans: protobuf marshals unknown
// fields verbatim, so the client sends exactly those bytes, which decode
// as the ResourceSpans they encode. Over http/json (unknown fields are not
// written as JSON) the batch is built as messages instead.
//
// Batches never overlap (the batcher serialises them) and the client is
// done with what it was given when UploadTraces returns, so buffers and
// messages are reused from one batch to the next.
type otlpExporter struct {
	client otlptrace.Client
	// wire is nil over http/json.
	wire *wireEncoder
	raw  tracepb.ResourceSpans
	buf  []byte

	// One resource and one scope: every span is Graft's.
	resource tracepb.ResourceSpans
	scope    tracepb.ScopeSpans
	request  []*tracepb.ResourceSpans

	spans []*tracepb.Span
	attrs attrCells
	// ids backs every span's trace, span and parent ids.
	ids []byte
}

func newOTLPExporter(client otlptrace.Client, res *resource.Resource, json bool) (*otlpExporter, error) {
	e := &otlpExporter{client: client}
	if !json {
		var err error
		if e.wire, err = newWireEncoder(res); err != nil {
			return nil, fmt.Errorf("opentelemetry resource: %w", err)
		}
	}
	e.resource.Resource = &resourcepb.Resource{Attributes: keyValues(res.Attributes())}
	e.resource.SchemaUrl = res.SchemaURL()
	e.scope.Scope = &commonpb.InstrumentationScope{Name: scopeName}
	e.resource.ScopeSpans = []*tracepb.ScopeSpans{&e.scope}
	e.request = []*tracepb.ResourceSpans{&e.resource}
	return e, nil
}

func (e *otlpExporter) export(ctx context.Context, batch []*span) error {
	if e.wire != nil {
		e.buf = e.wire.encode(e.buf[:0], batch)
		e.raw.ProtoReflect().SetUnknown(e.buf)
		return e.client.UploadTraces(ctx, []*tracepb.ResourceSpans{&e.raw})
	}
	return e.exportMessages(ctx, batch)
}

// exportMessages builds the batch as OTLP messages, for http/json.
func (e *otlpExporter) exportMessages(ctx context.Context, batch []*span) error {
	e.attrs.reset()
	for len(e.spans) < len(batch) {
		e.spans = append(e.spans, &tracepb.Span{Status: &tracepb.Status{}})
	}
	if need := 32 * len(batch); cap(e.ids) < need {
		e.ids = make([]byte, need)
	}
	ids := e.ids[:0]
	for i, s := range batch {
		p := e.spans[i]
		tid, sid, parent := s.sc.TraceID(), s.sc.SpanID(), s.parentID
		ids = append(ids, tid[:]...)
		p.TraceId = ids[len(ids)-16:]
		ids = append(ids, sid[:]...)
		p.SpanId = ids[len(ids)-8:]
		p.ParentSpanId = nil
		if parent.IsValid() {
			ids = append(ids, parent[:]...)
			p.ParentSpanId = ids[len(ids)-8:]
		}
		p.TraceState = ""
		if ts := s.sc.TraceState(); ts.Len() > 0 {
			p.TraceState = ts.String()
		}
		p.Flags = uint32(s.sc.TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
		if s.parentRemote {
			p.Flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
		}
		p.Name = s.name
		p.Kind = spanKind(trace.SpanKind(s.kind))
		p.StartTimeUnixNano = uint64(max(0, s.startTime))
		p.EndTimeUnixNano = uint64(max(0, s.endTime))
		p.Attributes = e.attrs.list(s.attributes())
		x := s.ext()
		p.DroppedAttributesCount = uint32(x.droppedAttrs)
		p.Events = nil
		for _, ev := range x.events {
			p.Events = append(p.Events, &tracepb.Span_Event{
				TimeUnixNano: uint64(max(0, ev.Time.UnixNano())), Name: ev.Name, Attributes: keyValues(ev.Attributes),
			})
		}
		p.DroppedEventsCount = uint32(x.droppedEvents)
		p.Status.Code, p.Status.Message = statusCode(codes.Code(s.status)), x.description
	}
	e.scope.Spans = e.spans[:len(batch)]
	err := e.client.UploadTraces(ctx, e.request)
	// Nothing of the batch is kept past the upload: the spans and their
	// attribute values are garbage now.
	for _, p := range e.scope.Spans {
		p.Name, p.Attributes, p.Events, p.TraceState = "", nil, nil, ""
	}
	e.attrs.reset()
	return err
}

func (e *otlpExporter) shutdown(ctx context.Context) error { return e.client.Stop(ctx) }

// spanKind maps the API's kinds onto OTLP's (the same numbers, with the
// API's unspecified being internal, as in the SDK's exporter).
func spanKind(k trace.SpanKind) tracepb.Span_SpanKind {
	switch k {
	case trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer:
		return tracepb.Span_SpanKind(k)
	}
	return tracepb.Span_SPAN_KIND_INTERNAL
}

func statusCode(c codes.Code) tracepb.Status_StatusCode {
	switch c {
	case codes.Ok:
		return tracepb.Status_STATUS_CODE_OK
	case codes.Error:
		return tracepb.Status_STATUS_CODE_ERROR
	}
	return tracepb.Status_STATUS_CODE_UNSET
}

// attrCell is one attribute's messages, kept for the next batch.
type attrCell struct {
	kv  commonpb.KeyValue
	val commonpb.AnyValue
	str commonpb.AnyValue_StringValue
	num commonpb.AnyValue_IntValue
	dbl commonpb.AnyValue_DoubleValue
	yes commonpb.AnyValue_BoolValue
}

// attrCells hands out attribute messages and the lists that hold them,
// reused from one batch to the next.
type attrCells struct {
	cells []*attrCell
	used  int
	ptrs  []*commonpb.KeyValue
}

func (c *attrCells) reset() {
	for _, cell := range c.cells[:c.used] {
		cell.kv.Key, cell.str.StringValue, cell.val.Value = "", "", nil
	}
	clear(c.ptrs)
	c.used, c.ptrs = 0, c.ptrs[:0]
}

// list returns attrs as OTLP key-values; the list is a window on ptrs, so
// that a batch's lists share one backing array.
func (c *attrCells) list(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	if len(c.ptrs)+len(attrs) > cap(c.ptrs) {
		// A new backing array: the lists already handed out keep the
		// old one, which lives until the batch is sent.
		c.ptrs = make([]*commonpb.KeyValue, 0, max(2*cap(c.ptrs), len(attrs), 256))
	}
	start := len(c.ptrs)
	for _, a := range attrs {
		if c.used == len(c.cells) {
			c.cells = append(c.cells, &attrCell{})
		}
		cell := c.cells[c.used]
		c.used++
		cell.kv.Key, cell.kv.Value = string(a.Key), &cell.val
		switch a.Value.Type() {
		case attribute.STRING:
			cell.str.StringValue = a.Value.AsString()
			cell.val.Value = &cell.str
		case attribute.INT64:
			cell.num.IntValue = a.Value.AsInt64()
			cell.val.Value = &cell.num
		case attribute.FLOAT64:
			cell.dbl.DoubleValue = a.Value.AsFloat64()
			cell.val.Value = &cell.dbl
		case attribute.BOOL:
			cell.yes.BoolValue = a.Value.AsBool()
			cell.val.Value = &cell.yes
		default:
			cell.val.Value = anyValue(a.Value).Value
		}
		c.ptrs = append(c.ptrs, &cell.kv)
	}
	return c.ptrs[start:len(c.ptrs):len(c.ptrs)]
}

// keyValues converts attributes into fresh messages: for the resource
// (once) and for span events (rare).
func keyValues(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, len(attrs))
	for i, a := range attrs {
		out[i] = &commonpb.KeyValue{Key: string(a.Key), Value: anyValue(a.Value)}
	}
	return out
}

func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.BOOLSLICE:
		return array(v.AsBoolSlice(), func(b bool) attribute.Value { return attribute.BoolValue(b) })
	case attribute.INT64SLICE:
		return array(v.AsInt64Slice(), func(n int64) attribute.Value { return attribute.Int64Value(n) })
	case attribute.FLOAT64SLICE:
		return array(v.AsFloat64Slice(), func(f float64) attribute.Value { return attribute.Float64Value(f) })
	case attribute.STRINGSLICE:
		return array(v.AsStringSlice(), func(s string) attribute.Value { return attribute.StringValue(s) })
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.Emit()}}
}

func array[T any](items []T, value func(T) attribute.Value) *commonpb.AnyValue {
	values := make([]*commonpb.AnyValue, len(items))
	for i, it := range items {
		values[i] = anyValue(value(it))
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: values}}}
}
