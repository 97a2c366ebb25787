package tracing

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
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
	// fail, when set, is every export's answer.
	fail error
}

func (s *sizes) export(ctx context.Context, batch []*span) error {
	s.calls <- struct{}{}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.fail != nil {
		return s.fail
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
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 100, maxBatch: 4}, nil)
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
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 6, maxBatch: 2}, nil)
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

// TestBatcherStopHonoursItsContext: a collector that never answers does
// not hold Stop past its context: the export in flight is cancelled.
func TestBatcherStopHonoursItsContext(t *testing.T) {
	exp := &sizes{calls: make(chan struct{}, 16), gate: make(chan struct{})}
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Hour, maxQueue: 100, maxBatch: 2}, nil)
	for range 6 {
		b.add(&span{})
	}
	<-exp.calls // stuck on the first batch
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- b.stop(ctx) }()
	select {
	case err := <-stopped:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stop: %v, want the context's deadline", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("stop hung on an export that never ends")
	}
	if err := b.flush(context.Background()); err != nil {
		t.Fatalf("flush after stop: %v", err)
	}
}

// TestBatcherReportsFailedExports: a failed export reaches the failure
// report with the count of spans dropped so far.
func TestBatcherReportsFailedExports(t *testing.T) {
	exp := &sizes{calls: make(chan struct{}, 16), fail: errors.New("collector says 401")}
	type report struct {
		err     error
		dropped int64
	}
	reports := make(chan report, 4)
	b := newBatcher(exp, batcherOptions{delay: time.Hour, timeout: time.Minute, maxQueue: 100, maxBatch: 2},
		func(err error, dropped int64) { reports <- report{err, dropped} })
	defer b.stop(context.Background())
	b.dropped.Add(3)
	b.add(&span{})
	b.add(&span{})
	select {
	case r := <-reports:
		if r.err == nil || !strings.Contains(r.err.Error(), "401") || r.dropped != 3 {
			t.Fatalf("report %+v", r)
		}
	case <-time.After(time.Minute):
		t.Fatal("the failed export was not reported")
	}
}

// TestExportFailuresAreThrottled: a collector that is down fails every
// batch; the log says so once per period, counting the failures.
func TestExportFailuresAreThrottled(t *testing.T) {
	var buf strings.Builder
	f := &exportFailures{log: slog.New(slog.NewJSONHandler(&buf, nil)), every: time.Hour}
	for range 3 {
		f.report(errors.New("connection refused"), 7)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"failed_exports":1`) || !strings.Contains(lines[0], `"dropped_spans":7`) ||
		!strings.Contains(lines[0], "connection refused") {
		t.Fatalf("log %q", buf.String())
	}
	if f.failed != 2 {
		t.Fatalf("%d failures held for the next line, want 2", f.failed)
	}
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

// TestStartAttributesAreDeduplicated: attributes given at start follow
// SetAttributes' rules (the last value of a key wins, invalid ones are
// dropped and counted), as in the SDK.
func TestStartAttributesAreDeduplicated(t *testing.T) {
	rec := &recorder{parentOn: true, ended: spanSinkFunc(func(*span) {})}
	rec.tracer.r = rec
	_, sp := rec.Tracer("x").Start(context.Background(), "s",
		trace.WithAttributes(attribute.String("k", "1"), attribute.String("k", "2"), attribute.KeyValue{}))
	s := sp.(*span)
	if len(s.attrs) != 1 || s.attrs[0].Value.AsString() != "2" || s.ext().droppedAttrs != 1 {
		t.Fatalf("attributes %v, dropped %d", s.attrs, s.ext().droppedAttrs)
	}
}
