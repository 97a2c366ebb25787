package delivery

import "github.com/redis/go-redis/v9"

// Redis layout (every key starts with Config.Prefix, written P below):
//
//	P ev:<id>              HASH   the event (see parseEvent); no TTL while pending,
//	                              Retention once delivered or dead
//	P seen:<id>            STRING dedup marker, TTL DedupTTL
//	P q:<queue>            LIST   ids of the pending events of one (trigger, row), in
//	                              commit order; only the head is ever in flight
//	P lease:<queue>        STRING token of the worker delivering the head, PX lease
//	P ready                ZSET   queue -> ms when it may next be claimed: now when
//	                              ready, a retry time, or the lease expiry while in
//	                              flight (so a dead worker's queue becomes claimable)
//	P idx:<status>:<trig>  ZSET   event ids by time (pending: enqueue; processed and
//	                              dead: completion), the latter two capped/expired
//	P log:<trig>           STREAM invocation logs, capped at MaxEntries and Retention
//	P evlog:<id>           LIST   "<trigger>\n<stream id>" of the event's logs
//	P notify               PUBSUB wakes idle worker pools when work becomes ready
//
// Times come from Redis TIME so that processes with skewed clocks agree.
// Scripts build key names from the prefix, so they need a single Redis
// primary, not Cluster.

const luaNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// scriptEnqueue: ARGV prefix, dedupMs, n, then n x (id, queue, trigger,
// schema, table, op, event, createdMicros, def). Returns the number queued.
var scriptEnqueue = redis.NewScript(luaNow + `
local p, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local added = 0
for k = 0, n - 1 do
  local i = 4 + k * 9
  local id, q, trig = ARGV[i], ARGV[i+1], ARGV[i+2]
  if redis.call('SET', p .. 'seen:' .. id, '1', 'NX', 'PX', ttl) then
    redis.call('HSET', p .. 'ev:' .. id, 'id', id, 'q', q, 'trigger', trig, 'schema', ARGV[i+3],
      'table', ARGV[i+4], 'op', ARGV[i+5], 'event', ARGV[i+6], 'created_at', ARGV[i+7],
      'def', ARGV[i+8], 'status', 'pending', 'tries', 0, 'enqueued_at', now)
    redis.call('RPUSH', p .. 'q:' .. q, id)
    redis.call('ZADD', p .. 'ready', 'NX', now, q)
    redis.call('ZADD', p .. 'idx:pending:' .. trig, now, id)
    added = added + 1
  end
end
if added > 0 then redis.call('PUBLISH', p .. 'notify', added) end
return added
`)

// scriptClaim: ARGV prefix, max, leaseMs, tokenPrefix. Leases up to max
// ready queues and returns {{queue, token, event hash}...}, and the ms until
// the earliest queue is ready (-1 when there is none).
var scriptClaim = redis.NewScript(luaNow + `
local p, max, lease, tok = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local ready = p .. 'ready'
local out = {}
local cands = redis.call('ZRANGEBYSCORE', ready, '-inf', now, 'LIMIT', 0, max * 2 + 8)
for _, q in ipairs(cands) do
  if #out >= max then break end
  local lk = p .. 'lease:' .. q
  if redis.call('EXISTS', lk) == 0 then
    local qk = p .. 'q:' .. q
    local id = redis.call('LINDEX', qk, 0)
    local ev = {}
    while id do
      ev = redis.call('HGETALL', p .. 'ev:' .. id)
      if #ev > 0 then break end
      redis.call('LPOP', qk)
      id = redis.call('LINDEX', qk, 0)
    end
    if id then
      local token = tok .. ':' .. now .. ':' .. q
      redis.call('SET', lk, token, 'PX', lease)
      redis.call('ZADD', ready, now + lease, q)
      out[#out + 1] = {q, token, ev}
    else
      redis.call('ZREM', ready, q)
    end
  end
end
local wait = -1
local first = redis.call('ZRANGE', ready, 0, 0, 'WITHSCORES')
if #first > 0 then wait = tonumber(first[2]) - now end
return {out, wait}
`)

// scriptRenew: ARGV prefix, leaseMs, then pairs (queue, token). Returns 1
// per pair still held (lease extended), 0 when lost.
var scriptRenew = redis.NewScript(luaNow + `
local p, lease = ARGV[1], tonumber(ARGV[2])
local res = {}
for i = 3, #ARGV, 2 do
  local q, token = ARGV[i], ARGV[i+1]
  local lk = p .. 'lease:' .. q
  if redis.call('GET', lk) == token then
    redis.call('PEXPIRE', lk, lease)
    redis.call('ZADD', p .. 'ready', 'XX', now + lease, q)
    res[#res + 1] = 1
  else
    res[#res + 1] = 0
  end
end
return res
`)

// scriptFinish records attempts, up to finishBatch per call. ARGV prefix,
// retentionMs, maxEntries, n, then n x (queue, token, id, outcome (ok,
// retry, dead), delayMs, trigger, logJSON). Each log is always written; an
// event changes only while its lease is held. Returns one {result, more}
// per attempt: result is the outcome or "lost"; more is 1 when idle pools
// should look again (a next event of the queue is ready, or a retry was
// scheduled: the claim script then reports when it is due). The trimming of
// the logs and done indexes (by age and count) and their expiry run once
// per call for each trigger and index touched.
var scriptFinish = redis.NewScript(luaNow + `
local p, retention, max, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ready = p .. 'ready'
local out, logs, idxs = {}, {}, {}
local notify = false
for k = 0, n - 1 do
  local i = 5 + k * 7
  local q, token, id, outcome = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  local delay, trig = tonumber(ARGV[i+4]), ARGV[i+5]
  local lg = p .. 'log:' .. trig
  local sid = redis.call('XADD', lg, 'MAXLEN', '~', max, '*', 'event_id', id, 'j', ARGV[i+6])
  logs[lg] = true
  local el = p .. 'evlog:' .. id
  if redis.call('RPUSH', el, trig .. '\n' .. sid) > 100 then redis.call('LTRIM', el, -100, -1) end
  redis.call('PEXPIRE', el, retention)
  local lk = p .. 'lease:' .. q
  if redis.call('GET', lk) ~= token then
    out[#out + 1] = {'lost', 0}
  else
    local ek, qk = p .. 'ev:' .. id, p .. 'q:' .. q
    redis.call('HINCRBY', ek, 'tries', 1)
    redis.call('DEL', lk)
    if outcome == 'retry' then
      redis.call('HSET', ek, 'last_attempt_at', now, 'next_retry_at', now + delay)
      redis.call('ZADD', ready, now + delay, q)
      notify = true
      out[#out + 1] = {'retry', 1}
    else
      if redis.call('LINDEX', qk, 0) == id then redis.call('LPOP', qk) else redis.call('LREM', qk, 1, id) end
      local status = 'processed'
      if outcome == 'dead' then status = 'dead' end
      redis.call('HSET', ek, 'last_attempt_at', now, 'status', status, 'done_at', now)
      redis.call('HDEL', ek, 'next_retry_at')
      redis.call('PEXPIRE', ek, retention)
      redis.call('ZREM', p .. 'idx:pending:' .. trig, id)
      local idx = p .. 'idx:' .. status .. ':' .. trig
      redis.call('ZADD', idx, now, id)
      idxs[idx] = status
      if redis.call('LLEN', qk) > 0 then
        redis.call('ZADD', ready, now, q)
        notify = true
        out[#out + 1] = {outcome, 1}
      else
        redis.call('ZREM', ready, q)
        out[#out + 1] = {outcome, 0}
      end
    end
  end
end
for lg in pairs(logs) do
  redis.call('XTRIM', lg, 'MINID', '~', now - retention)
  redis.call('PEXPIRE', lg, retention)
end
for idx, status in pairs(idxs) do
  local drop = redis.call('ZRANGEBYSCORE', idx, '-inf', now - retention, 'LIMIT', 0, 100)
  local left = redis.call('ZCARD', idx) - #drop
  if left > max then
    for _, x in ipairs(redis.call('ZRANGE', idx, #drop, #drop + left - max - 1)) do drop[#drop + 1] = x end
  end
  for _, x in ipairs(drop) do
    if redis.call('HGET', p .. 'ev:' .. x, 'status') == status then
      redis.call('DEL', p .. 'ev:' .. x, p .. 'evlog:' .. x)
    end
    redis.call('ZREM', idx, x)
  end
  redis.call('PEXPIRE', idx, retention)
end
if notify then redis.call('PUBLISH', p .. 'notify', 1) end
return out
`)

// scriptRelease gives a queue back without counting an attempt (a worker
// pool stopping mid-delivery). ARGV prefix, queue, token.
var scriptRelease = redis.NewScript(luaNow + `
local p, q, token = ARGV[1], ARGV[2], ARGV[3]
local lk = p .. 'lease:' .. q
if redis.call('GET', lk) ~= token then return 0 end
redis.call('DEL', lk)
if redis.call('LLEN', p .. 'q:' .. q) > 0 then
  redis.call('ZADD', p .. 'ready', now, q)
  redis.call('PUBLISH', p .. 'notify', 1)
else
  redis.call('ZREM', p .. 'ready', q)
end
return 1
`)

// scriptRedeliver: ARGV prefix, id. A delivered or dead event goes back to
// the tail of its queue; a pending one keeps its place. Either way tries is
// reset and the event is due now. Returns the previous status, or false.
var scriptRedeliver = redis.NewScript(luaNow + `
local p, id = ARGV[1], ARGV[2]
local ek = p .. 'ev:' .. id
local st = redis.call('HGET', ek, 'status')
if not st then return false end
local trig, q = redis.call('HGET', ek, 'trigger'), redis.call('HGET', ek, 'q')
local ready = p .. 'ready'
redis.call('HSET', ek, 'tries', 0, 'status', 'pending')
redis.call('HDEL', ek, 'next_retry_at', 'done_at')
if st ~= 'pending' then
  redis.call('PERSIST', ek)
  redis.call('ZREM', p .. 'idx:' .. st .. ':' .. trig, id)
  redis.call('ZADD', p .. 'idx:pending:' .. trig, now, id)
  redis.call('RPUSH', p .. 'q:' .. q, id)
  redis.call('ZADD', ready, 'NX', now, q)
elseif redis.call('EXISTS', p .. 'lease:' .. q) == 0 and redis.call('LINDEX', p .. 'q:' .. q, 0) == id then
  redis.call('ZADD', ready, now, q)
end
redis.call('PUBLISH', p .. 'notify', 1)
return st
`)
