// Package delivery matches WAL changes to event triggers, queues them in
// Redis and POSTs them to webhooks with retries, as Hasura v2's event
// triggers do.
//
// Three pieces share one Queue (a Redis and a key prefix):
//
//   - Dispatcher is the replication.Sink. For each committed transaction it
//     asks a TriggerSource for the triggers of each changed table, builds
//     Hasura's payload for every trigger that fires and queues the events
//     atomically (one Lua script; transactions of more than 500 events take
//     several, which is safe because ids are deterministic and queuing is
//     idempotent). It returns nil only once Redis acknowledged. Event ids are
//     UUIDv5 of (commit LSN, change index, trigger name), and an id already
//     queued or delivered (remembered for Config.DedupTTL) is not queued
//     again, so a transaction the slot hands over twice is delivered once.
//   - WorkerPool (Start/Stop) delivers. Every (trigger, row) pair has its own
//     Redis list, so the events of one row are delivered in commit order
//     (a later one waits until the earlier one succeeded or was
//     dead-lettered) while different rows go in parallel. The row is
//     identified by Trigger.PrimaryKey when known, else by the whole row. A
//     worker leases a list (renewed while it works); a crashed process's
//     lease expires after PoolConfig.LeaseTTL and another worker retries the
//     head event. A sorted set holds when each list is next due (now, a
//     retry time or a lease expiry); idle pools sleep until the earliest due
//     time, a Pub/Sub notification or PoolConfig.PollInterval.
//   - Queue's API methods serve the metadata API: EventByID, EventLogs,
//     InvocationLogs, Redeliver, Invoke (manual events) and
//     CheckPersistence.
//
// Delivery is at least once: an event is attempted num_retries+1 times
// (delivery_info.current_retry 0..num_retries) with interval_sec between
// attempts, or the response's Retry-After seconds, then dead-lettered. A
// webhook may see an event again when a worker dies after POSTing it and
// before recording the result, so receivers should de-duplicate on the id,
// as with Hasura.
//
// Durability: HandleTransaction's nil means Redis acknowledged, not that it
// fsynced; see Queue.CheckPersistence. Redis 6.2 or later is needed (XTRIM
// MINID); Redis Cluster is not supported (scripts build key names), a
// single primary (with Sentinel) is.
package delivery
