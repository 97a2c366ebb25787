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
// as the ResourceSpans they encode. Batches never overlap (the batcher
// serialises them) and the client is done with the bytes when
// UploadTraces returns, so one buffer serves every batch. Over http/json
// (unknown fields are not written as JSON) the batch is built as messages
// instead.
type otlpExporter struct {
	client otlptrace.Client
	// wire is nil over http/json.
	wire *wireEncoder
	raw  tracepb.ResourceSpans
	buf  []byte
	// resource and scope are the messages of the http/json path.
	resource *resourcepb.Resource
	scope    *commonpb.InstrumentationScope
	schema   string
}

func newOTLPExporter(client otlptrace.Client, res *resource.Resource, json bool) (*otlpExporter, error) {
	e := &otlpExporter{client: client}
	if !json {
		var err error
		if e.wire, err = newWireEncoder(res); err != nil {
			return nil, fmt.Errorf("opentelemetry resource: %w", err)
		}
		return e, nil
	}
	e.resource = &resourcepb.Resource{Attributes: keyValues(res.Attributes())}
	e.scope = &commonpb.InstrumentationScope{Name: scopeName}
	e.schema = res.SchemaURL()
	return e, nil
}

func (e *otlpExporter) export(ctx context.Context, batch []*span) error {
	if e.wire != nil {
		e.buf = e.wire.encode(e.buf[:0], batch)
		e.raw.ProtoReflect().SetUnknown(e.buf)
		return e.client.UploadTraces(ctx, []*tracepb.ResourceSpans{&e.raw})
	}
	return e.client.UploadTraces(ctx, []*tracepb.ResourceSpans{e.messages(batch)})
}

// messages builds the batch as OTLP messages, for http/json.
func (e *otlpExporter) messages(batch []*span) *tracepb.ResourceSpans {
	spans := make([]*tracepb.Span, len(batch))
	for i, s := range batch {
		tid, sid, x := s.sc.TraceID(), s.sc.SpanID(), s.ext()
		p := &tracepb.Span{
			TraceId: tid[:], SpanId: sid[:], TraceState: s.sc.TraceState().String(), Flags: spanFlags(s),
			Name: s.name, Kind: spanKind(trace.SpanKind(s.kind)),
			StartTimeUnixNano: uint64(max(0, s.startTime)), EndTimeUnixNano: uint64(max(0, s.endTime)),
			Attributes: keyValues(s.attributes()), DroppedAttributesCount: uint32(x.droppedAttrs),
			DroppedEventsCount: uint32(x.droppedEvents),
			Status:             &tracepb.Status{Code: statusCode(codes.Code(s.status)), Message: x.description},
		}
		if s.parentID.IsValid() {
			p.ParentSpanId = s.parentID[:]
		}
		for _, ev := range x.events {
			p.Events = append(p.Events, &tracepb.Span_Event{
				TimeUnixNano: uint64(max(0, ev.Time.UnixNano())), Name: ev.Name, Attributes: keyValues(ev.Attributes),
			})
		}
		spans[i] = p
	}
	return &tracepb.ResourceSpans{
		Resource: e.resource, SchemaUrl: e.schema,
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: e.scope, Spans: spans}},
	}
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

// keyValues converts attributes into messages: the resource's, and the
// spans' over http/json.
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
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		items := sliceValues(v)
		values := make([]*commonpb.AnyValue, len(items))
		for i, it := range items {
			values[i] = anyValue(it)
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: values}}}
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.Emit()}}
}
