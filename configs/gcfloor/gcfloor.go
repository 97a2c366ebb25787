// Package gcfloor keeps Go's garbage collector from running ever more often
// on a small heap: below a floor, it raises GOGC so that the next collection
// is due when the heap reaches the floor, not twice the live heap.
//
// Why: Graft's live heap is a few megabytes while it allocates some 10 KB per
// request. With GOGC=100 the runtime's heap goal is then about 6 MB (twice
// the live heap, plus the stacks and globals it scans), reached about every
// 13 ms at 15,000 requests per second: the collector took 15% of Graft's CPU
// on the by-pk benchmark, and every allocation (a trace span, a log line)
// paid that rate. With a goal of 64 MB it runs every few hundred
// milliseconds; a heap whose GOGC=100 goal is above the floor is collected
// as GOGC=100 would. This is what a memory ballast did, without the ballast.
//
// GOMEMLIMIT still caps the heap (the runtime takes the lower goal), and a
// GOGC variable turns the floor off. Between a jump of the live heap and the
// end of the next collection the goal may overshoot (at most floor/4 MB
// times the new live heap): a container with little memory sets GOMEMLIMIT.
package gcfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// basePercent is the GOGC the floor is applied on: the runtime's default,
// which Start only runs with (an operator's own GOGC is left alone).
const basePercent = 100

// minHeap is the runtime's minimum heap goal at GOGC=100.
const minHeap = 4 << 20

// maxPercent bounds the GOGC set for a tiny live heap.
const maxPercent = 100_000

// The runtime's heap goal is the larger of live + (live + stacks +
// globals)×GOGC/100 (the heap the last collection marked, and the roots it
// scanned) and its minimum heap, 4 MB×GOGC/100.
var goalMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Tuner sets GOGC after every collection from the live heap it left.
type Tuner struct {
	floor   uint64
	stopped atomic.Bool
	// mu serialises tune (run by the runtime's cleanup goroutine) with Stop.
	mu       sync.Mutex
	sample   []metrics.Sample
	percent  int
	previous int
}

// running is the Tuner in use: GOGC is process-wide, one Tuner sets it.
var running atomic.Pointer[Tuner]

// Start tunes the collector until Stop, for a floor of floor bytes. A
// floor of 0 returns nil (Stop and Percent on a nil Tuner do nothing), and
// so does a GOGC variable (an operator who tuned the collector keeps their
// tuning) or a Tuner already running.
func Start(floor uint64) *Tuner {
	if floor == 0 || os.Getenv("GOGC") != "" {
		return nil
	}
	t := &Tuner{floor: floor, percent: basePercent}
	for _, name := range goalMetrics {
		t.sample = append(t.sample, metrics.Sample{Name: name})
	}
	if !running.CompareAndSwap(nil, t) {
		return nil
	}
	t.previous = debug.SetGCPercent(basePercent)
	t.tune()
	t.arm()
	return t
}

// Stop restores the GOGC found at Start.
func (t *Tuner) Stop() {
	if t == nil || t.stopped.Swap(true) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	debug.SetGCPercent(t.previous)
	running.CompareAndSwap(t, nil)
}

// Percent is the GOGC set last (0 on a nil Tuner).
func (t *Tuner) Percent() int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.percent
}

// canary is what the collector frees to say that a cycle ended: one with a
// pointer, so that it is never in the tiny allocator, whose blocks may
// outlive their objects.
type canary struct{ _ *byte }

// arm registers the next cycle's canary: its cleanup runs after the
// collection that found it unreachable, tunes and arms the next one.
func (t *Tuner) arm() {
	runtime.AddCleanup(new(canary), func(t *Tuner) {
		if t.stopped.Load() {
			return
		}
		t.tune()
		t.arm()
	}, t)
}

// tune sets GOGC so that the next collection is due at the floor, or at
// twice the live heap once that is the larger.
func (t *Tuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.sample)
	var v [3]uint64
	for i, s := range t.sample {
		if s.Value.Kind() != metrics.KindUint64 {
			return // a runtime without these metrics: GOGC is left alone
		}
		v[i] = s.Value.Uint64()
	}
	p := percentFor(v[0], v[1]+v[2], t.floor)
	if p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
}

// percentFor is the GOGC that puts the heap goal at floor: the smaller of
// the GOGC that puts live + (live + roots)×GOGC/100 there and the one that
// puts the minimum heap there (the goal is the larger of the two), at least
// basePercent, at most maxPercent.
func percentFor(live, roots, floor uint64) int {
	scanned := live + roots
	if max(minHeap, live+scanned*basePercent/100) >= floor {
		return basePercent
	}
	p := floor * 100 / minHeap
	if scanned > 0 {
		p = min(p, (floor-live)*100/scanned)
	}
	return int(min(max(p, basePercent), maxPercent))
}
