package tracing

import (
	"sync/atomic"
	"time"
)

// spanClock gives span times in Unix nanoseconds from one clock read:
// time.Now reads the wall and the monotonic clocks, and a request reads
// the time four times. The wall clock is read once a second, and the
// monotonic clock's progress added to it in between.
var spanClock clock

type clock struct{ base atomic.Pointer[clockBase] }

type clockBase struct {
	wall int64
	mono time.Time
}

func (c *clock) now() int64 {
	b := c.base.Load()
	if b != nil {
		if d := time.Since(b.mono); d >= 0 && d < time.Second {
			return b.wall + int64(d)
		}
	}
	t := time.Now()
	c.base.Store(&clockBase{wall: t.UnixNano(), mono: t})
	return t.UnixNano()
}
