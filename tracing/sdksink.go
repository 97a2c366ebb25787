package tracing

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// sdkSink hands each span, as it ends, to an SDK span exporter (the
// SDK's in-memory one in tests, say), as the SDK's synchronous span
// processor would. The exporter stays its owner's: stopping the sink
// stops handing it spans, and does not shut it down (a later Apply hands
// spans to the same exporter again).
type sdkSink struct {
	mu       sync.Mutex
	exp      sdktrace.SpanExporter
	resource *resource.Resource
	stopped  bool
}

func (k *sdkSink) add(s *span) {
	x := s.ext()
	stub := tracetest.SpanStub{
		Name: s.name, SpanContext: s.sc, SpanKind: trace.SpanKind(s.kind),
		Parent: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: s.sc.TraceID(), SpanID: s.parentID, Remote: s.parentRemote,
		}),
		StartTime: time.Unix(0, s.startTime), EndTime: time.Unix(0, s.endTime),
		Attributes: s.attributes(), DroppedAttributes: int(x.droppedAttrs),
		Events: x.events, DroppedEvents: int(x.droppedEvents),
		Status: sdktrace.Status{Code: codes.Code(s.status), Description: x.description}, Resource: k.resource,
		InstrumentationScope: instrumentation.Scope{Name: scopeName},
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if err := k.exp.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{stub.Snapshot()}); err != nil {
		otel.Handle(err)
	}
}

func (k *sdkSink) stop(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	return nil
}
