// Package benchkit holds what Graft's benchmark programs (tests/bench,
// tests/bench/events, tests/bench/subs) share: profiling, percentiles,
// goal verdicts and unique names.
package benchkit

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"runtime/pprof"
	"time"
)

// StartProfile starts a CPU profile written to path and returns its stop.
func StartProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Fprintf(os.Stderr, "CPU profile written to %s (go tool pprof -top %s)\n", path, path)
	}, nil
}

// Percentile is the nearest-rank percentile p (0..1) of sorted durations;
// 0 for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// Verdict prints whether a goal was met.
func Verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// RandomHex is n random bytes in hex, for names unique to one run.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
