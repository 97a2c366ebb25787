package tracing

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sizes records the size of every batch exported; gate, when set, holds
// each export until it is closed.
type sizes struct {
	mu    sync.Mutex
	got   []int
	gate  chan struct{}
	calls chan struct{}
}

func (s *sizes) export(_ context.Context, batch []*span) error {
	s.calls <- struct{}{}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, len(batch))
	return nil
}

func (*sizes) shutdown(context.Context) error { return nil }

func (s *sizes) batches() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func TestBatcherSendsFullBatchesThenTheRest(t *testing.T) {
	exp := &sizes{calls: make(chan struct{}, 16)}
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 100, maxBatch: 4})
	defer b.stop(context.Background())
	for range 9 {
		b.add(&span{})
	}
	// Two full batches go at once, the ninth span waits.
	for range 2 {
		select {
		case <-exp.calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("full batches not sent: %v", exp.batches())
		}
	}
	if err := b.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := exp.batches(); !slices.Equal(got, []int{4, 4, 1}) {
		t.Fatalf("batches %v, want [4 4 1]", got)
	}
}

func TestBatcherDropsWhenTheQueueIsFull(t *testing.T) {
	exp := &sizes{calls: make(chan struct{}, 16), gate: make(chan struct{})}
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 6, maxBatch: 2})
	for range 2 {
		b.add(&span{})
	}
	<-exp.calls // the exporter is now stuck on the first batch
	for range 10 {
		b.add(&span{})
	}
	if d := b.dropped.Load(); d != 4 {
		t.Fatalf("dropped %d, want 4 (a queue of 6)", d)
	}
	close(exp.gate)
	if err := b.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range exp.batches() {
		total += n
	}
	if total != 8 {
		t.Fatalf("exported %d spans (%v), want 8", total, exp.batches())
	}
	b.add(&span{}) // after stop: ignored, no panic
}

func TestBatcherEnv(t *testing.T) {
	env := map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "250", "OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "500"}
	o := batcherEnv(func(k string) string { return env[k] }, 0)
	if o.delay != 250*time.Millisecond || o.maxQueue != 100 || o.maxBatch != 100 || o.timeout != 30*time.Second {
		t.Fatalf("options %+v", o)
	}
	if o := batcherEnv(func(k string) string { return env[k] }, 20); o.maxBatch != 20 {
		t.Fatalf("metadata's batch size: %+v", o)
	}
}

func TestSamplerFromEnv(t *testing.T) {
	for name, want := range map[string]string{
		"":                         "ParentBased{root:AlwaysOnSampler",
		"always_off":               "AlwaysOffSampler",
		"parentbased_traceidratio": "ParentBased{root:TraceIDRatioBased{0.25}",
	} {
		env := map[string]string{"OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0.25"}
		s, _, err := samplerFromEnv(func(k string) string { return env[k] })
		if err != nil || len(s.Description()) < len(want) || s.Description()[:len(want)] != want {
			t.Fatalf("%q: %v (%v)", name, s, err)
		}
	}
	if _, _, err := samplerFromEnv(func(k string) string {
		return map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}[k]
	}); err == nil {
		t.Fatal("a ratio of 2 was accepted")
	}
}

// TestUnsampledSpansPropagate: a span the sampler drops records nothing but
// carries the trace on, unsampled, as the SDK's does.
func TestUnsampledSpansPropagate(t *testing.T) {
	var ended []*span
	rec := &recorder{sampler: sdktrace.NeverSample(), ended: spanSinkFunc(func(s *span) { ended = append(ended, s) })}
	s := rec.start(context.Background(), "x", trace.SpanKindServer, nil)
	s.SetAttributes(dbSystem)
	s.End()
	if s.IsRecording() || !s.SpanContext().IsValid() || s.SpanContext().IsSampled() || len(ended) != 0 {
		t.Fatalf("span %+v recorded or lost its context; exported %d", s.SpanContext(), len(ended))
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8}})
	rec = &recorder{parentOn: true, ended: spanSinkFunc(func(s *span) { ended = append(ended, s) })}
	child := rec.start(trace.ContextWithRemoteSpanContext(context.Background(), parent), "y", trace.SpanKindServer, nil)
	child.End()
	if child.IsRecording() || child.SpanContext().TraceID() != parent.TraceID() || len(ended) != 0 {
		t.Fatal("an unsampled parent's child was recorded")
	}
}
