// Package tracing exports OpenTelemetry traces of Graft's requests, SQL
// statements and webhook calls over OTLP/HTTP, configured by Hasura's
// opentelemetry metadata or the OTEL_* variables, and costs next to nothing
// when off.
package tracing

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// scopeName is the instrumentation scope of every span, as OpenTelemetry
// asks: the module.
const scopeName = "github.com/graftql/graft"

// The recorder in use is process-wide: the hot paths (graphql, delivery,
// actions, remoteschema) read it without being handed one. A nil recorder
// is tracing off, which costs one atomic load and no allocation. owner is
// the Provider that installed it: another one (several apps run in one
// test process) with nothing to export leaves it alone.
var (
	current atomic.Pointer[recorder]
	ownerMu sync.Mutex
	owner   *Provider
)

// use installs r process-wide for p; a nil r removes p's recorder if p
// installed the one in use.
func use(p *Provider, r *recorder) {
	ownerMu.Lock()
	defer ownerMu.Unlock()
	if r == nil {
		if owner == p {
			current.Store(nil)
			owner = nil
		}
		return
	}
	current.Store(r)
	owner = p
}

// Enabled reports whether spans are being recorded at all.
func Enabled() bool { return current.Load() != nil }

// Provider owns the exporting recorder's lifecycle: Apply builds one from
// a Config (replacing, and flushing, the previous one), Stop flushes and
// turns tracing off.
type Provider struct {
	Log *slog.Logger
	// Exporter, when set, receives every span as it ends instead of any
	// configured OTLP endpoint: tests and embedders hand in an SDK
	// exporter (the SDK's in-memory one, say).
	Exporter sdktrace.SpanExporter

	mu      sync.Mutex
	applied Config
	stop    func(context.Context) error
	flush   func(context.Context) error
	started bool
}

// ApplyMetadata configures tracing from the opentelemetry metadata object,
// or from the environment when metadata has none.
func (p *Provider) ApplyMetadata(ctx context.Context, raw json.RawMessage, getenv func(string) string) error {
	cfg, ok, err := FromMetadata(raw, getenv)
	if err != nil {
		return err
	}
	if !ok {
		cfg = FromEnv(getenv)
	}
	return p.Apply(ctx, cfg)
}

// Apply installs the recorder cfg describes; an unchanged cfg is a no-op,
// so that every metadata change does not restart the exporter.
func (p *Provider) Apply(ctx context.Context, cfg Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Exporter != nil {
		cfg = Config{Enabled: true}
	}
	if p.started && reflect.DeepEqual(cfg, p.applied) {
		return nil
	}
	var next *recorder
	var stop, flush func(context.Context) error
	if cfg.Enabled {
		var err error
		if next, stop, flush, err = p.build(ctx, cfg); err != nil {
			return err
		}
	}
	old := p.stop
	p.stop, p.flush, p.applied, p.started = stop, flush, cfg, true
	use(p, next)
	if old != nil {
		if err := old(ctx); err != nil && p.Log != nil {
			p.Log.Warn("opentelemetry: flushing the previous exporter failed", "error", err)
		}
	}
	return nil
}

// Stop flushes the spans still buffered and turns tracing off.
func (p *Provider) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	use(p, nil)
	old := p.stop
	p.stop, p.flush, p.started = nil, nil, false
	if old == nil {
		return nil
	}
	if err := old(ctx); err != nil {
		return fmt.Errorf("opentelemetry shutdown: %w", err)
	}
	return nil
}

// Flush exports the spans ended so far.
func (p *Provider) Flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flush == nil {
		return nil
	}
	return p.flush(ctx)
}

// build makes the recorder and what it exports to: the OTLP/HTTP batcher,
// or the Exporter given. The sampler is the SDK's default
// (OTEL_TRACES_SAMPLER, else parent-based always-on), so an incoming
// traceparent's sampling decision is kept.
func (p *Provider) build(ctx context.Context, cfg Config) (rec *recorder, stop, flush func(context.Context) error, err error) {
	sampler, parentOn, err := samplerFromEnv(os.Getenv)
	if err != nil {
		// The SDK warns and samples by default: so does Graft.
		if p.Log != nil {
			p.Log.Warn("opentelemetry: OTEL_TRACES_SAMPLER ignored", "error", err)
		}
		sampler, parentOn = sdktrace.ParentBased(sdktrace.AlwaysSample()), true
	}
	res, err := newResource(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	rec = &recorder{sampler: sampler, parentOn: parentOn}
	rec.tracer.r = rec
	if p.Exporter != nil {
		sink := &sdkSink{exp: p.Exporter, resource: res}
		rec.ended = sink
		return rec, sink.stop, func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(cfg.Endpoint))
	}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	client := otlptracehttp.NewClient(opts...)
	if err := client.Start(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("opentelemetry exporter: %w", err)
	}
	exp, err := newOTLPExporter(client, res, jsonProtocol(os.Getenv))
	if err != nil {
		return nil, nil, nil, err
	}
	failures := &exportFailures{log: p.Log, every: time.Minute}
	b := newBatcher(exp, batcherEnv(os.Getenv, cfg.BatchSize), failures.report)
	rec.ended = b
	return rec, b.stop, b.flush, nil
}

// newResource is the spans' resource: service.name graft, under the
// environment's attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES),
// under metadata's resource_attributes.
func newResource(cfg Config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", "graft")}
	for k, v := range cfg.Attributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	res, err := resource.Merge(resource.NewSchemaless(attrs[:1]...), resource.Environment())
	if err == nil {
		res, err = resource.Merge(res, resource.NewSchemaless(attrs[1:]...))
	}
	if err != nil {
		return nil, fmt.Errorf("opentelemetry resource: %w", err)
	}
	return res, nil
}

// jsonProtocol reports whether the OTLP client will send JSON: it reads
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL.
func jsonProtocol(getenv func(string) string) bool {
	p := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if p == "" {
		p = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	return p == "http/json"
}

// exportFailures reports failed exports: a collector that is down fails
// every batch, so a warning goes out at most once per every, counting the
// failures since the last one and the spans dropped so far. Without a
// logger, failures go to OpenTelemetry's error handler, as the SDK's.
type exportFailures struct {
	log   *slog.Logger
	every time.Duration

	mu     sync.Mutex
	last   time.Time
	failed int
}

func (f *exportFailures) report(err error, dropped int64) {
	if f.log == nil {
		otel.Handle(err)
		return
	}
	f.mu.Lock()
	f.failed++
	if !f.last.IsZero() && time.Since(f.last) < f.every {
		f.mu.Unlock()
		return
	}
	n := f.failed
	f.failed, f.last = 0, time.Now()
	f.mu.Unlock()
	f.log.Warn("opentelemetry: exporting spans failed", "error", err, "failed_exports", n, "dropped_spans", dropped)
}
