package tracing

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// batcher exports ended spans in batches, as the SDK's batch span
// processor does and with its knobs (the OTEL_BSP_* variables and their
// defaults, metadata's max_export_batch_size over them), but with a
// cheaper hot path: an ended span is appended to a slice under a mutex,
// and the exporting goroutine is woken once per full batch (or by the
// schedule delay), where the SDK sends every span over a channel and
// wakes its goroutine once per span.
type batcher struct {
	exp batchExporter
	batcherOptions

	// failed hears of every failed export of the loop (the SDK's batch
	// processor hands them to otel.Handle), with the spans dropped so far
	// because the queue was full.
	failed func(err error, dropped int64)

	mu      sync.Mutex
	pending []*span
	dropped atomic.Int64

	// exporting (a one-slot semaphore, so that a flush can give up
	// waiting) serialises exports: the loop's, flush's and stop's drains
	// take turns, so spans leave in the order they came.
	exporting chan struct{}
	full      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	// loopCtx bounds the loop's exports; stop cancels it when its own
	// context ends first.
	loopCtx  context.Context
	cancel   context.CancelFunc
	stopped  atomic.Bool
	stopOnce sync.Once
}

// batchExporter sends a batch of spans; calls never overlap.
type batchExporter interface {
	export(ctx context.Context, batch []*span) error
	shutdown(ctx context.Context) error
}

var _ spanSink = (*batcher)(nil)

type batcherOptions struct {
	delay, timeout     time.Duration
	maxQueue, maxBatch int
}

// batcherEnv reads the OTEL_BSP_* variables as the SDK does: a missing or
// bad value keeps the default, and a batch larger than the queue is cut.
func batcherEnv(getenv func(string) string, batchSize int) batcherOptions {
	if getenv == nil {
		getenv = os.Getenv
	}
	num := func(key string, def int) int {
		if n, err := strconv.Atoi(getenv(key)); err == nil && n >= 0 {
			return n
		}
		return def
	}
	o := batcherOptions{
		delay:    time.Duration(num("OTEL_BSP_SCHEDULE_DELAY", sdktrace.DefaultScheduleDelay)) * time.Millisecond,
		timeout:  time.Duration(num("OTEL_BSP_EXPORT_TIMEOUT", sdktrace.DefaultExportTimeout)) * time.Millisecond,
		maxQueue: num("OTEL_BSP_MAX_QUEUE_SIZE", sdktrace.DefaultMaxQueueSize),
		maxBatch: num("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", sdktrace.DefaultMaxExportBatchSize),
	}
	if batchSize > 0 {
		o.maxBatch = batchSize
	}
	if o.maxQueue <= 0 {
		o.maxQueue = sdktrace.DefaultMaxQueueSize
	}
	if o.maxBatch <= 0 || o.maxBatch > o.maxQueue {
		o.maxBatch = min(sdktrace.DefaultMaxExportBatchSize, o.maxQueue)
	}
	if o.delay <= 0 {
		o.delay = sdktrace.DefaultScheduleDelay * time.Millisecond
	}
	return o
}

func newBatcher(exp batchExporter, o batcherOptions, failed func(error, int64)) *batcher {
	b := &batcher{
		exp:            exp,
		batcherOptions: o,
		failed:         failed,
		pending:        make([]*span, 0, o.maxBatch),
		exporting:      make(chan struct{}, 1),
		full:           make(chan struct{}, 1),
		quit:           make(chan struct{}),
		done:           make(chan struct{}),
	}
	b.loopCtx, b.cancel = context.WithCancel(context.Background())
	go b.loop()
	return b
}

// add queues an ended span, or counts it dropped when the queue is full
// (the SDK's default: a slow collector must not slow requests).
func (b *batcher) add(s *span) {
	if b.stopped.Load() {
		return
	}
	b.mu.Lock()
	if len(b.pending) >= b.maxQueue {
		b.mu.Unlock()
		b.dropped.Add(1)
		return
	}
	b.pending = append(b.pending, s)
	n := len(b.pending)
	b.mu.Unlock()
	if n == b.maxBatch {
		select {
		case b.full <- struct{}{}:
		default:
		}
	}
}

func (b *batcher) loop() {
	defer close(b.done)
	timer := time.NewTimer(b.delay)
	defer timer.Stop()
	for {
		// A full batch is sent as soon as it is full; the delay sends
		// what waited that long.
		all := false
		select {
		case <-b.quit:
			return
		case <-timer.C:
			all = true
		case <-b.full:
		}
		// Exports of this loop are bounded by the export timeout; a
		// failed one is reported and its spans are not retried here (the
		// OTLP client retried what can be retried).
		if err := b.drain(b.loopCtx, all, b.quit); err != nil && b.failed != nil {
			b.failed(err, b.dropped.Load())
		}
		timer.Reset(b.delay)
	}
}

// drain exports pending spans a batch at a time, each export bounded by
// the export timeout: full batches only, or (all) every span pending when
// it started. Spans that end while it exports wait for their own batch:
// chasing them would send a stream of small batches under load. It gives
// up when ctx ends, and between batches when quit is closed (stop's own
// drain takes over).
func (b *batcher) drain(ctx context.Context, all bool, quit <-chan struct{}) error {
	select {
	case b.exporting <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.exporting }()
	var errs []error
	b.mu.Lock()
	left := len(b.pending)
	b.mu.Unlock()
	for {
		select {
		case <-quit:
			return errors.Join(errs...)
		default:
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		b.mu.Lock()
		n := min(len(b.pending), b.maxBatch)
		if all {
			n = min(n, left)
		}
		if n == 0 || (!all && n < b.maxBatch) {
			b.mu.Unlock()
			return errors.Join(errs...)
		}
		left -= n
		batch := make([]*span, n)
		copy(batch, b.pending)
		rest := copy(b.pending, b.pending[n:])
		clear(b.pending[rest:])
		b.pending = b.pending[:rest]
		b.mu.Unlock()
		if err := b.export(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
}

func (b *batcher) export(ctx context.Context, batch []*span) error {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, b.timeout, errors.New("processor export timeout"))
		defer cancel()
	}
	return b.exp.export(ctx, batch)
}

// flush exports every span ended so far.
func (b *batcher) flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.stopped.Load() {
		return nil
	}
	return b.drain(ctx, true, nil)
}

// stop stops the loop, exports what is pending and shuts the exporter
// down, all within ctx: when ctx ends first, the export in flight is
// cancelled and what is left is dropped. Spans ended afterwards are
// ignored.
func (b *batcher) stop(ctx context.Context) error {
	var err error
	b.stopOnce.Do(func() {
		b.stopped.Store(true)
		close(b.quit)
		defer context.AfterFunc(ctx, b.cancel)()
		<-b.done
		b.cancel()
		err = errors.Join(b.drain(ctx, true, nil), b.exp.shutdown(ctx))
	})
	return err
}
