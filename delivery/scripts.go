package delivery

import "github.com/redis/go-redis/v9"

// Redis layout (every key starts with Config.Prefix, written P below):
//
//	P lane:<n>         STREAM pending events of the (trigger, row) pairs hashed to lane n,
//	                          in commit order. Entries are deleted once delivered or
//	                          dead-lettered, so a lane holds exactly the unfinished ones:
//	                          its holder reads it with XREAD from where it last read (a
//	                          new holder from the start), and reading changes nothing.
//	P lease:<n>        STRING token of the worker pool reading lane n, PX LeaseTTL
//	P pools            ZSET   live worker pools (token -> ms of their last heartbeat
//	                          + LeaseTTL): each takes its fair share of the lanes
//	P wm:<scope>       STRING the WAL position (walSeq) of the last event queued
//	P def:<hash>       STRING a trigger definition, shared by the events queued with it
//	P retry            HASH   event id -> "tries|next ms|last ms|log ids" of pending
//	                          events that failed at least once
//	P log:<trig>       STREAM invocation logs, capped at MaxEntries (and Retention)
//	P done:<trig>      STREAM delivered events: id, row, def, tries, log ids; the last
//	                          log holds the payload
//	P dead:<trig>      STREAM dead-lettered events (the lane entry + tries, log ids)
//	P trigs            SET    trigger names with logs (for trimming by age)
//	P notify           PUBSUB redeliveries of pending events, for the pool holding them
//
// Per delivered event Redis does one XADD to enqueue, a share of a batched
// XREAD, and XADD log, XDEL, XADD done in a batched script call.
// Times come from Redis TIME so that processes with skewed clocks agree.
// Scripts build key names from the prefix, so they need a single Redis
// primary, not Cluster.

const luaNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// scriptEnqueue: ARGV prefix, watermark key, nDefs, nDefs x (hash, json),
// n, then n x (seq, lane, id, row, trigger, schema, table, op, event,
// createdMicros, defHash). Events whose seq is not above the watermark were
// queued before and are skipped (manual events have no seq). Returns the
// number queued.
var scriptEnqueue = redis.NewScript(`
local p, wmk = ARGV[1], ARGV[2]
local i = 3
local nd = tonumber(ARGV[i]); i = i + 1
for k = 1, nd do
  redis.call('SET', p .. 'def:' .. ARGV[i], ARGV[i+1], 'NX')
  i = i + 2
end
local n = tonumber(ARGV[i]); i = i + 1
local wm = redis.call('GET', wmk) or ''
local top = wm
local added = 0
for k = 1, n do
  local seq = ARGV[i]
  if seq == '' or seq > wm then
    redis.call('XADD', p .. 'lane:' .. ARGV[i+1], '*', 'id', ARGV[i+2], 'row', ARGV[i+3], 'trig', ARGV[i+4],
      'schema', ARGV[i+5], 'table', ARGV[i+6], 'op', ARGV[i+7], 'ev', ARGV[i+8], 'at', ARGV[i+9], 'def', ARGV[i+10])
    added = added + 1
    if seq > top then top = seq end
  end
  i = i + 11
end
if top ~= wm then redis.call('SET', wmk, top) end
return added
`)

// scriptLanes is a pool's heartbeat: ARGV prefix, token, leaseMs, lanes,
// first lane to try. It renews the pool's leases, drops pools whose
// heartbeat is older than a lease, and claims free lanes up to the fair
// share (lanes / live pools, rounded up). Returns {share, held lanes...}.
var scriptLanes = redis.NewScript(luaNow + `
local p, tok, lease, n, first = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local pools = p .. 'pools'
redis.call('ZADD', pools, now + lease, tok)
redis.call('ZREMRANGEBYSCORE', pools, '-inf', now)
local share = math.ceil(n / math.max(1, redis.call('ZCARD', pools)))
local held = {}
for l = 0, n - 1 do
  local k = p .. 'lease:' .. l
  if redis.call('GET', k) == tok then
    redis.call('PEXPIRE', k, lease)
    held[#held + 1] = l
  end
end
local count = #held
for j = 0, n - 1 do
  if count >= share then break end
  local l = (first + j) % n
  if redis.call('SET', p .. 'lease:' .. l, tok, 'NX', 'PX', lease) then
    held[#held + 1] = l
    count = count + 1
  end
end
local out = {share}
for _, l in ipairs(held) do out[#out + 1] = l end
return out
`)

// scriptRelease gives lanes back: ARGV prefix, token, then lanes. With no
// lane it also leaves the pools set (a pool stopping).
var scriptRelease = redis.NewScript(`
local p, tok = ARGV[1], ARGV[2]
for i = 3, #ARGV do
  local k = p .. 'lease:' .. ARGV[i]
  if redis.call('GET', k) == tok then redis.call('DEL', k) end
end
if #ARGV == 2 then redis.call('ZREM', p .. 'pools', tok) end
return 1
`)

// scriptFinish records attempts, up to finishBatch per call. ARGV prefix,
// maxEntries, n, then n x (lane, stream id, event id, trigger, outcome (ok,
// retry, dead), tries after the attempt, delayMs, earlier log ids, row, def
// hash, log JSON). Returns each attempt's log id.
var scriptFinish = redis.NewScript(luaNow + `
local p, max, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
-- Approximate trimming works in whole nodes of 100 entries: exact below that scale.
local approx = '~'
if tonumber(max) < 1000 then approx = '=' end
local out, trigs = {}, {}
for k = 0, n - 1 do
  local i = 4 + k * 11
  local lane, sid, id, trig, outcome = p .. 'lane:' .. ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4]
  local tries, delay, logs = ARGV[i+5], tonumber(ARGV[i+6]), ARGV[i+7]
  local lid = redis.call('XADD', p .. 'log:' .. trig, 'MAXLEN', approx, max, '*', 'event_id', id, 'j', ARGV[i+10])
  if logs == '' then logs = lid else logs = logs .. ',' .. lid end
  trigs[trig] = true
  if outcome == 'retry' then
    redis.call('HSET', p .. 'retry', id, tries .. '|' .. (now + delay) .. '|' .. now .. '|' .. logs)
  else
    if outcome == 'dead' then
      local m = redis.call('XRANGE', lane, sid, sid)
      if #m > 0 then
        local f = m[1][2]
        f[#f + 1] = 'tries'; f[#f + 1] = tries
        f[#f + 1] = 'logs'; f[#f + 1] = logs
        f[#f + 1] = 'last'; f[#f + 1] = now
        redis.call('XADD', p .. 'dead:' .. trig, 'MAXLEN', approx, max, '*', unpack(f))
      end
    else
      redis.call('XADD', p .. 'done:' .. trig, 'MAXLEN', approx, max, '*', 'id', id, 'row', ARGV[i+8],
        'def', ARGV[i+9], 'tries', tries, 'logs', logs)
    end
    redis.call('XDEL', lane, sid)
    if tonumber(tries) > 1 then redis.call('HDEL', p .. 'retry', id) end
  end
  out[#out + 1] = lid
end
for trig in pairs(trigs) do redis.call('SADD', p .. 'trigs', trig) end
return out
`)

// scriptFind looks an event up by id: ARGV prefix, lanes, id. It searches
// the lanes (pending), then the dead and done streams of every trigger
// with logs. Returns {kind, trigger, stream id, lane, fields} or false.
// The scan runs inside Redis (no entry crosses the network); it is for the
// metadata API, not the delivery path.
var scriptFind = redis.NewScript(`
local p, n, id = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local function search(key)
  local from = '-'
  while true do
    local page = redis.call('XRANGE', key, from, '+', 'COUNT', 500)
    for _, m in ipairs(page) do
      local f = m[2]
      for j = 1, #f, 2 do
        if f[j] == 'id' then
          if f[j+1] == id then return m end
          break
        end
      end
    end
    if #page < 500 then return nil end
    from = '(' .. page[#page][1]
  end
end
for l = 0, n - 1 do
  local m = search(p .. 'lane:' .. l)
  if m then return {'pending', '', m[1], l, m[2]} end
end
for _, t in ipairs(redis.call('SMEMBERS', p .. 'trigs')) do
  local m = search(p .. 'dead:' .. t)
  if m then return {'dead', t, m[1], -1, m[2]} end
  m = search(p .. 'done:' .. t)
  if m then return {'processed', t, m[1], -1, m[2]} end
end
return false
`)

// scriptPendingOf lists the pending events of one trigger: ARGV prefix,
// lanes, trigger, remove. Returns {lane, stream id} pairs, flat. With
// remove "1" (Queue.Archive) it also deletes them, with their retry state.
var scriptPendingOf = redis.NewScript(`
local p, n, trig, remove = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local out = {}
for l = 0, n - 1 do
  local key, from = p .. 'lane:' .. l, '-'
  while true do
    local page = redis.call('XRANGE', key, from, '+', 'COUNT', 500)
    for _, m in ipairs(page) do
      local f, id, t = m[2], nil, nil
      for j = 1, #f, 2 do
        if f[j] == 'id' then id = f[j+1] elseif f[j] == 'trig' then t = f[j+1] end
      end
      if t == trig then
        out[#out + 1] = l; out[#out + 1] = m[1]
        if remove then
          redis.call('XDEL', key, m[1])
          if id then redis.call('HDEL', p .. 'retry', id) end
        end
      end
    end
    if #page < 500 then break end
    from = '(' .. page[#page][1]
  end
end
return out
`)
