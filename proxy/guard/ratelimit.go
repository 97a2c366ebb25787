package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// window is the rate limit's window: max_reqs_per_min counts the requests
// of the last minute, sliding (as Hasura's docs describe it), not those
// of the current calendar minute.
const window = time.Minute

// limiter counts requests per key over the sliding window and says whether
// one more is allowed (counting it if so).
type limiter interface {
	allow(ctx context.Context, key string, limit int) (bool, error)
}

// memoryLimiter counts in this process only: without Redis, each replica
// allows the limit on its own.
type memoryLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	logs map[string][]time.Time // per key, the admitted requests' times, oldest first
	ops  int                    // allow calls since the last sweep
}

func newMemoryLimiter() *memoryLimiter {
	return &memoryLimiter{now: time.Now, logs: map[string][]time.Time{}}
}

func (m *memoryLimiter) allow(_ context.Context, key string, limit int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	cut := now.Add(-window)
	log := m.logs[key]
	i := 0
	for i < len(log) && !log[i].After(cut) {
		i++
	}
	log = log[i:]
	if m.ops++; m.ops >= 10000 {
		m.sweep(cut)
	}
	if len(log) >= limit {
		m.logs[key] = log
		return false, nil
	}
	m.logs[key] = append(log, now)
	return true, nil
}

// sweep drops keys whose requests all left the window, so that many
// one-off keys (IP addresses) do not accumulate.
func (m *memoryLimiter) sweep(cut time.Time) {
	m.ops = 0
	for k, log := range m.logs {
		if len(log) == 0 || !log[len(log)-1].After(cut) {
			delete(m.logs, k)
		}
	}
}

// slidingWindow admits a request when fewer than ARGV[2] requests are in
// the window: one sorted set per key, scored by Redis's own clock (so
// replicas with skewed clocks agree), trimmed and checked and added in one
// atomic step. It returns 1 when admitted, 0 when refused.
var slidingWindow = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
`)

// redisLimiter counts in Redis: every replica sharing it shares the limit.
type redisLimiter struct {
	client *redis.Client
	id     string // this process, to make sorted set members unique
	seq    atomic.Uint64
}

func newRedisLimiter(client *redis.Client) *redisLimiter {
	b := make([]byte, 8)
	rand.Read(b)
	return &redisLimiter{client: client, id: hex.EncodeToString(b)}
}

func (r *redisLimiter) allow(ctx context.Context, key string, limit int) (bool, error) {
	member := r.id + ":" + strconv.FormatUint(r.seq.Add(1), 36)
	n, err := slidingWindow.Run(ctx, r.client, []string{"graft:rate:" + key},
		window.Microseconds(), limit, member).Int()
	if err != nil {
		return false, fmt.Errorf("rate limit in Redis: %w", err)
	}
	return n == 1, nil
}
