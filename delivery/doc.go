// Package delivery matches WAL changes to event triggers, queues them in
// Redis and POSTs them to webhooks with retries, as Hasura v2's event
// triggers do.
//
// Three pieces share one Queue (a Redis and a key prefix):
//
//   - Dispatcher is the replication.Sink (and BatchSink). For the committed
//     transactions handed to it, it asks a TriggerSource for the triggers of
//     each changed table, builds Hasura's payload for every trigger that
//     fires and appends the events to Redis streams ("lanes", by trigger and
//     row) in one Lua script call per 500 events. It returns nil only once
//     Redis acknowledged. Event ids are UUIDv5 of (commit LSN, change index,
//     trigger name); the script also keeps the WAL position of the last event
//     queued (per database cluster) and skips events at or below it, so a
//     transaction the slot hands over again is queued once, without a marker
//     per event.
//   - WorkerPool (Start/Stop) delivers. Pools share the lanes fairly (a lease
//     per lane, renewed by a heartbeat; a crashed process's lanes are taken
//     over after PoolConfig.LeaseTTL). A pool reads its lanes with a blocking
//     XREAD (new events arrive at once, many per call) and, in memory,
//     delivers the events of one (trigger, row) in commit order, one at a
//     time (a later one waits until the earlier one succeeded or was
//     dead-lettered), and different rows in parallel. Attempts are recorded
//     in batches (log, deletion from the lane, done or dead entry: one
//     script call for many, after up to 2 ms gathering them). The row is
//     identified by Trigger.PrimaryKey when known, else by the whole row. A
//     lane holds only unfinished events, so a new holder reads it from the
//     start, with the retry state kept in Redis; reading changes nothing in
//     Redis (no consumer group), so a lost reply or a read racing a change
//     of hands loses nothing.
//   - Webhooks go out over kept-alive HTTP/1.1 connections written and read
//     in the delivering goroutine (webhookClient); proxies from the
//     environment and credentials in URLs go through net/http.
//   - Queue's API methods serve the metadata API: EventByID, EventLogs and
//     ListEvents, InvocationLogs, Redeliver, Invoke (manual events) and
//     CheckPersistence; Event and InvocationLog marshal to Hasura's
//     event_log and event_invocation_logs rows. Lookups by id scan inside
//     Redis: cheap on the delivery path, slower for the API.
//
// A Queue may carry jobs instead (jobs.go: Queue.EnqueueJob, PoolConfig.Jobs):
// a JobRunner, not a webhook POST, runs each, and decides whether it is
// done, retried after a delay or dead-lettered; lanes, takeover, retry
// state, dead letters and Depth are the events'. Async action calls are
// such jobs, in a queue of their own prefix.
//
// event.session_variables is the session of the transaction's Graft
// message (replication.Transaction.SessionVariables): the caller's for
// mutations, the admin's for run_sql, null for changes made outside Graft,
// as Hasura's trigger writes it when hasura.user is not set.
//
// Delivery is at least once: an event is attempted num_retries+1 times
// (delivery_info.current_retry 0..num_retries) with interval_sec between
// attempts, or the response's Retry-After seconds, then dead-lettered. A
// webhook may see an event again when a process dies after POSTing it and
// before recording the result, so receivers should de-duplicate on the id,
// as with Hasura. First attempts go before retries (one pick in four is a
// retry when both wait), so a broken webhook's retries do not hold up
// everything else.
//
// Durability: HandleTransaction's nil means Redis acknowledged, not that it
// fsynced; see Queue.CheckPersistence. Redis 6.2 or later is needed (XTRIM
// MINID, exclusive XRANGE); Redis Cluster is not supported (scripts build
// key names), a single primary (with Sentinel) is.
package delivery
