package tracing

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// wireEncoder writes a batch of spans as the protobuf encoding of one OTLP
// ResourceSpans message, straight from the spans. Building the generated
// messages and marshalling them through protobuf's reflection cost more
// per span than recording it; this is a few appends. The field numbers
// are those of opentelemetry/proto/trace/v1/trace.proto and
// common/v1/common.proto; TestWireMatchesMessages checks the bytes decode
// to the messages the exporter would otherwise build.
type wireEncoder struct {
	// The resource and the scope are the same in every batch: encoded once.
	resource  []byte
	scope     []byte
	schemaURL string
	// Scratch space for one span, and for the batch's scope spans.
	span, spans []byte
}

func newWireEncoder(res *resource.Resource) (*wireEncoder, error) {
	r, err := proto.Marshal(&resourcepb.Resource{Attributes: keyValues(res.Attributes())})
	if err != nil {
		return nil, err
	}
	s, err := proto.Marshal(&commonpb.InstrumentationScope{Name: scopeName})
	if err != nil {
		return nil, err
	}
	return &wireEncoder{resource: r, scope: s, schemaURL: res.SchemaURL()}, nil
}

// Field numbers.
const (
	// ResourceSpans
	rsResource, rsScopeSpans, rsSchemaURL = 1, 2, 3
	// ScopeSpans
	ssScope, ssSpans = 1, 2
	// Span
	spTraceID, spSpanID, spTraceState, spParentSpanID, spName, spKind, spStart, spEnd = 1, 2, 3, 4, 5, 6, 7, 8
	spAttributes, spDroppedAttributes, spEvents, spDroppedEvents, spStatus, spFlags   = 9, 10, 11, 12, 15, 16
	// Span.Event
	evTime, evName, evAttributes = 1, 2, 3
	// Status
	stMessage, stCode = 2, 3
	// KeyValue and AnyValue
	kvKey, kvValue                                  = 1, 2
	avString, avBool, avInt, avDouble, avArray      = 1, 2, 3, 4, 5
	arrValues                                       = 1
	bytesType, varintType, fixed64Type, fixed32Type = protowire.BytesType, protowire.VarintType, protowire.Fixed64Type, protowire.Fixed32Type
)

// encode returns the ResourceSpans encoding of batch, appended to dst.
func (w *wireEncoder) encode(dst []byte, batch []*span) []byte {
	w.spans = protowire.AppendTag(w.spans[:0], ssScope, bytesType)
	w.spans = protowire.AppendBytes(w.spans, w.scope)
	for _, s := range batch {
		w.span = appendSpan(w.span[:0], s)
		w.spans = protowire.AppendTag(w.spans, ssSpans, bytesType)
		w.spans = protowire.AppendBytes(w.spans, w.span)
	}
	dst = protowire.AppendTag(dst, rsResource, bytesType)
	dst = protowire.AppendBytes(dst, w.resource)
	dst = protowire.AppendTag(dst, rsScopeSpans, bytesType)
	dst = protowire.AppendBytes(dst, w.spans)
	if w.schemaURL != "" {
		dst = appendString(dst, rsSchemaURL, w.schemaURL)
	}
	return dst
}

func appendSpan(b []byte, s *span) []byte {
	tid, sid, parent := s.sc.TraceID(), s.sc.SpanID(), s.parentID
	b = protowire.AppendTag(b, spTraceID, bytesType)
	b = protowire.AppendBytes(b, tid[:])
	b = protowire.AppendTag(b, spSpanID, bytesType)
	b = protowire.AppendBytes(b, sid[:])
	if ts := s.sc.TraceState(); ts.Len() > 0 {
		b = appendString(b, spTraceState, ts.String())
	}
	if parent.IsValid() {
		b = protowire.AppendTag(b, spParentSpanID, bytesType)
		b = protowire.AppendBytes(b, parent[:])
	}
	b = appendString(b, spName, s.name)
	b = protowire.AppendTag(b, spKind, varintType)
	b = protowire.AppendVarint(b, uint64(spanKind(trace.SpanKind(s.kind))))
	b = protowire.AppendTag(b, spStart, fixed64Type)
	b = protowire.AppendFixed64(b, uint64(max(0, s.startTime)))
	b = protowire.AppendTag(b, spEnd, fixed64Type)
	b = protowire.AppendFixed64(b, uint64(max(0, s.endTime)))
	for _, a := range s.attrs {
		b = appendKeyValue(b, spAttributes, a)
	}
	if s.query != "" {
		b = appendKeyValue(b, spAttributes, queryText.String(s.query))
	}
	x := s.ext()
	if x.droppedAttrs > 0 {
		b = protowire.AppendTag(b, spDroppedAttributes, varintType)
		b = protowire.AppendVarint(b, uint64(x.droppedAttrs))
	}
	for _, ev := range x.events {
		b = protowire.AppendTag(b, spEvents, bytesType)
		b = appendNested(b, func(b []byte) []byte {
			b = protowire.AppendTag(b, evTime, fixed64Type)
			b = protowire.AppendFixed64(b, uint64(max(0, ev.Time.UnixNano())))
			b = appendString(b, evName, ev.Name)
			for _, a := range ev.Attributes {
				b = appendKeyValue(b, evAttributes, a)
			}
			return b
		})
	}
	if x.droppedEvents > 0 {
		b = protowire.AppendTag(b, spDroppedEvents, varintType)
		b = protowire.AppendVarint(b, uint64(x.droppedEvents))
	}
	// The status is always present, as the SDK's exporter writes it.
	b = protowire.AppendTag(b, spStatus, bytesType)
	b = appendNested(b, func(b []byte) []byte {
		if x.description != "" {
			b = appendString(b, stMessage, x.description)
		}
		if c := statusCode(codes.Code(s.status)); c != tracepb.Status_STATUS_CODE_UNSET {
			b = protowire.AppendTag(b, stCode, varintType)
			b = protowire.AppendVarint(b, uint64(c))
		}
		return b
	})
	b = protowire.AppendTag(b, spFlags, fixed32Type)
	return protowire.AppendFixed32(b, spanFlags(s))
}

func spanFlags(s *span) uint32 {
	flags := uint32(s.sc.TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if s.parentRemote {
		flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return flags
}

func appendString(b []byte, field protowire.Number, v string) []byte {
	b = protowire.AppendTag(b, field, bytesType)
	return protowire.AppendString(b, v)
}

// appendNested appends a length-delimited message that body writes: the
// length is written in a one-byte slot first, and the body moved along
// when its length needs more bytes (rare: attributes of 128 bytes and
// more).
func appendNested(b []byte, body func([]byte) []byte) []byte {
	at := len(b)
	b = append(b, 0)
	b = body(b)
	n := len(b) - at - 1
	size := protowire.SizeVarint(uint64(n))
	if size == 1 {
		b[at] = byte(n)
		return b
	}
	b = append(b, make([]byte, size-1)...)
	copy(b[at+size:], b[at+1:at+1+n])
	protowire.AppendVarint(b[at:at], uint64(n))
	return b
}

func appendKeyValue(b []byte, field protowire.Number, a attribute.KeyValue) []byte {
	b = protowire.AppendTag(b, field, bytesType)
	return appendNested(b, func(b []byte) []byte {
		b = appendString(b, kvKey, string(a.Key))
		b = protowire.AppendTag(b, kvValue, bytesType)
		return appendNested(b, func(b []byte) []byte { return appendValue(b, a.Value) })
	})
}

// appendValue writes an AnyValue's fields.
func appendValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		b = protowire.AppendTag(b, avBool, varintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, avInt, varintType)
		return protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = protowire.AppendTag(b, avDouble, fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		b = protowire.AppendTag(b, avArray, bytesType)
		return appendNested(b, func(b []byte) []byte {
			for _, item := range sliceValues(v) {
				b = protowire.AppendTag(b, arrValues, bytesType)
				b = appendNested(b, func(b []byte) []byte { return appendValue(b, item) })
			}
			return b
		})
	}
	return appendString(b, avString, v.Emit())
}

func sliceValues(v attribute.Value) []attribute.Value {
	var out []attribute.Value
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, x := range v.AsBoolSlice() {
			out = append(out, attribute.BoolValue(x))
		}
	case attribute.INT64SLICE:
		for _, x := range v.AsInt64Slice() {
			out = append(out, attribute.Int64Value(x))
		}
	case attribute.FLOAT64SLICE:
		for _, x := range v.AsFloat64Slice() {
			out = append(out, attribute.Float64Value(x))
		}
	case attribute.STRINGSLICE:
		for _, x := range v.AsStringSlice() {
			out = append(out, attribute.StringValue(x))
		}
	}
	return out
}
