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
	"reflect"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentation is the tracer's name, as OpenTelemetry asks: the module.
const instrumentation = "github.com/graftql/graft"

// The tracer in use is process-wide: the hot paths (graphql, delivery,
// actions, remoteschema) read it without being handed one. on is checked
// first so that a disabled tracer costs one atomic load and no allocation.
// owner is the Provider that installed it: another one (several apps run
// in one test process) with nothing to export leaves it alone.
var (
	on      atomic.Bool
	tracer  atomic.Pointer[trace.Tracer]
	ownerMu sync.Mutex
	owner   *Provider
)

func init() {
	t := noop.NewTracerProvider().Tracer(instrumentation)
	tracer.Store(&t)
}

// use installs tp's tracer process-wide for p; a nil tp removes p's
// tracer (the no-op one serves) if p installed the one in use.
func use(p *Provider, tp trace.TracerProvider) {
	ownerMu.Lock()
	defer ownerMu.Unlock()
	if tp == nil {
		if owner != p {
			return
		}
		t := noop.NewTracerProvider().Tracer(instrumentation)
		on.Store(false)
		tracer.Store(&t)
		owner = nil
		return
	}
	t := tp.Tracer(instrumentation)
	tracer.Store(&t)
	on.Store(true)
	owner = p
}

// Enabled reports whether spans are being recorded at all.
func Enabled() bool { return on.Load() }

// Provider owns the exporting tracer provider's lifecycle: Apply builds
// one from a Config (replacing, and flushing, the previous one), Stop
// flushes and restores the no-op tracer.
type Provider struct {
	Log *slog.Logger
	// Override, when set, serves instead of any configuration: tests and
	// embedders hand in their own provider (an in-memory exporter, say).
	Override trace.TracerProvider

	mu      sync.Mutex
	applied Config
	sdk     *sdktrace.TracerProvider
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

// Apply installs the tracer cfg describes; an unchanged cfg is a no-op, so
// that every metadata change does not restart the exporter.
func (p *Provider) Apply(ctx context.Context, cfg Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Override != nil {
		use(p, p.Override)
		p.started = true
		return nil
	}
	if p.started && reflect.DeepEqual(cfg, p.applied) {
		return nil
	}
	var next *sdktrace.TracerProvider
	if cfg.Enabled {
		var err error
		if next, err = newSDK(ctx, cfg); err != nil {
			return err
		}
	}
	old := p.sdk
	p.sdk, p.applied, p.started = next, cfg, true
	if next != nil {
		use(p, next)
	} else {
		use(p, nil)
	}
	if old != nil {
		if err := old.Shutdown(ctx); err != nil && p.Log != nil {
			p.Log.Warn("opentelemetry: flushing the previous exporter failed", "error", err)
		}
	}
	return nil
}

// Stop flushes the spans still buffered and restores the no-op tracer.
func (p *Provider) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	use(p, nil)
	old := p.sdk
	p.sdk, p.started = nil, false
	if old == nil {
		return nil
	}
	if err := old.Shutdown(ctx); err != nil {
		return fmt.Errorf("opentelemetry shutdown: %w", err)
	}
	return nil
}

// newSDK builds the OTLP/HTTP exporting provider. The sampler is the SDK's
// default (OTEL_TRACES_SAMPLER, else parent-based always-on), so an
// incoming traceparent's sampling decision is kept.
func newSDK(ctx context.Context, cfg Config) (*sdktrace.TracerProvider, error) {
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(cfg.Endpoint))
	}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("opentelemetry exporter: %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", "graft")}
	for k, v := range cfg.Attributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	// Environment attributes (OTEL_SERVICE_NAME...) win over the default
	// name; metadata's resource_attributes win over both.
	res, err := resource.Merge(resource.NewSchemaless(attrs[:1]...), resource.Environment())
	if err == nil {
		res, err = resource.Merge(res, resource.NewSchemaless(attrs[1:]...))
	}
	if err != nil {
		return nil, fmt.Errorf("opentelemetry resource: %w", err)
	}
	var bsp []sdktrace.BatchSpanProcessorOption
	if cfg.BatchSize > 0 {
		bsp = append(bsp, sdktrace.WithMaxExportBatchSize(cfg.BatchSize))
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, bsp...), sdktrace.WithResource(res)), nil
}
