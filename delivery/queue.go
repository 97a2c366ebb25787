package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event statuses.
const (
	StatusPending   = "pending"   // queued or waiting for a retry
	StatusProcessed = "processed" // delivered (a 2xx response)
	StatusDead      = "dead"      // retries exhausted, in the dead-letter stream
)

// ErrEventNotFound is returned for an unknown (or expired) event id.
var ErrEventNotFound = errors.New("delivery: event not found")

// Defaults of Config.
const (
	DefaultPrefix     = "graft:events:"
	DefaultRetention  = 7 * 24 * time.Hour
	DefaultMaxEntries = 10000
	DefaultLanes      = 32
)

// enqueueBatch bounds the events written by one script call (see enqueue).
const enqueueBatch = 500

// Config configures a Queue.
type Config struct {
	// Redis is the shared Redis (required). Several Graft processes may use
	// the same Redis and Prefix: they share one queue.
	Redis redis.UniversalClient
	// Prefix of every key (default "graft:events:").
	Prefix string
	// Scope names the origin of WAL positions, e.g. the database's system
	// identifier: the position up to which events were queued is kept per
	// scope, so a new cluster reusing the slot name (whose positions start
	// over) is never mistaken for a replay of events already queued.
	Scope string
	// Retention of the delivered and dead events and of the invocation logs
	// (default 7 days).
	Retention time.Duration
	// MaxEntries caps, per trigger, the invocation logs and the delivered
	// and dead events kept (default 10000 each).
	MaxEntries int
	// Lanes is the number of Redis streams pending events are spread over
	// (by trigger and row); a lane is read by one process at a time, so it
	// is also the unit of sharing work between processes (default 32). All
	// processes on one Prefix must agree on it.
	Lanes int
}

// Queue is the Redis-backed event queue shared by Dispatchers, worker pools
// and the metadata API (EventByID, EventLogs, InvocationLogs, Redeliver,
// Invoke, CheckPersistence).
type Queue struct {
	rdb redis.UniversalClient
	cfg Config

	defsMu sync.Mutex
	defs   map[*Trigger]string // trigger -> hash of its stored definition
	stored map[string]bool     // definition hashes this process has written
}

// NewQueue returns a queue on cfg.Redis.
func NewQueue(cfg Config) (*Queue, error) {
	if cfg.Redis == nil {
		return nil, errors.New("delivery: Config.Redis is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.Lanes <= 0 {
		cfg.Lanes = DefaultLanes
	}
	return &Queue{rdb: cfg.Redis, cfg: cfg, defs: map[*Trigger]string{}, stored: map[string]bool{}}, nil
}

// Event is a queued, delivered or dead event.
type Event struct {
	ID      string
	Trigger string
	Table   Relation
	Op      string // INSERT, UPDATE, DELETE or MANUAL
	Status  string // StatusPending, StatusProcessed or StatusDead
	// Tries is the number of attempts made; the next attempt's
	// delivery_info.current_retry.
	Tries     int
	CreatedAt time.Time
	// NextRetryAt is when a pending event that failed is retried (zero if
	// it has not failed).
	NextRetryAt time.Time
	// LastAttemptAt is when the last attempt was recorded (zero if none).
	LastAttemptAt time.Time
	// DoneAt is when it was delivered or dead-lettered.
	DoneAt time.Time

	body json.RawMessage // the payload's "event" object
	def  string          // hash of the trigger definition at enqueue time
	row  string          // the (trigger, row) identity: events of one row go in order
	lane int
	sid  string   // the stream entry: in its lane while pending, else in done/dead
	logs []string // invocation log entries of the attempts, oldest first
}

// Body is the payload's "event" object: session_variables, op, data,
// trace_context.
func (e *Event) Body() json.RawMessage { return e.body }

// Data is the event's {"old": ..., "new": ...}, its body's "data".
func (e *Event) Data() json.RawMessage {
	var b struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(e.body, &b)
	return b.Data
}

func (q *Queue) key(parts ...string) string {
	var b strings.Builder
	b.WriteString(q.cfg.Prefix)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String()
}

func (q *Queue) laneKey(lane int) string { return q.key("lane", strconv.Itoa(lane)) }

// laneOf spreads (trigger, row) pairs over the lanes; all events of one row
// share a lane, which keeps them in commit order.
func (q *Queue) laneOf(row string) int {
	h := fnv.New32a()
	h.Write([]byte(row))
	return int(h.Sum32() % uint32(q.cfg.Lanes))
}

// defHash returns the hash under which t's definition is stored, and its
// JSON when this process has not stored it yet.
func (q *Queue) defHash(t *Trigger) (string, []byte, error) {
	q.defsMu.Lock()
	defer q.defsMu.Unlock()
	h, ok := q.defs[t]
	if ok && q.stored[h] {
		return h, nil, nil
	}
	js, err := json.Marshal(t)
	if err != nil {
		return "", nil, fmt.Errorf("delivery: trigger %s: %w", t.Name, err)
	}
	h = contentHash(js)
	if len(q.defs) > 10000 { // triggers are replaced on each metadata change
		clear(q.defs)
	}
	q.defs[t] = h
	if q.stored[h] {
		return h, nil, nil
	}
	return h, js, nil
}

func (q *Queue) markStored(hashes []string) {
	q.defsMu.Lock()
	for _, h := range hashes {
		q.stored[h] = true
	}
	q.defsMu.Unlock()
}

// enqueue appends events to their lanes. Up to enqueueBatch events go in
// one atomic script call; a bigger transaction takes several. That is safe
// because the script skips WAL events at or below the scope's watermark (the
// position of the last one queued): if a later call fails, HandleTransaction
// fails, the slot does not advance, and the transaction read again queues
// only what is missing.
func (q *Queue) enqueue(ctx context.Context, evs []*newEvent) (int, error) {
	added := 0
	for start := 0; start < len(evs); start += enqueueBatch {
		batch := evs[start:min(start+enqueueBatch, len(evs))]
		var defArgs []any
		var newDefs []string
		args := make([]any, 0, 4+11*len(batch))
		hashes := make([]string, len(batch))
		for i, e := range batch {
			h, js, err := q.defHash(e.Trigger)
			if err != nil {
				return added, err
			}
			hashes[i] = h
			if js != nil && !contains(newDefs, h) {
				newDefs = append(newDefs, h)
				defArgs = append(defArgs, h, js)
			}
		}
		args = append(args, q.cfg.Prefix, q.key("wm", q.cfg.Scope), len(newDefs))
		args = append(args, defArgs...)
		args = append(args, len(batch))
		for i, e := range batch {
			row := queueName(e.Trigger.Name, e.Table, e.Key)
			args = append(args, e.Seq, q.laneOf(row), e.ID, row, e.Trigger.Name, e.Table.Schema, e.Table.Name,
				e.Op, e.Body, e.CreatedAt.UnixMicro(), hashes[i])
		}
		n, err := scriptEnqueue.Run(ctx, q.rdb, nil, args...).Int()
		if err != nil {
			return added, fmt.Errorf("delivery: enqueue %d events: %w", len(batch), err)
		}
		q.markStored(newDefs)
		added += n
	}
	return added, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// eventFromEntry reads a lane or dead-letter stream entry.
func eventFromEntry(lane int, m redis.XMessage) (*Event, error) {
	s := func(k string) string { v, _ := m.Values[k].(string); return v }
	if s("id") == "" {
		return nil, fmt.Errorf("delivery: stream entry %s has no event id", m.ID)
	}
	e := &Event{
		ID: s("id"), Trigger: s("trig"), Table: Relation{Schema: s("schema"), Name: s("table")}, Op: s("op"),
		Status: StatusPending, body: json.RawMessage(s("ev")), def: s("def"), row: s("row"), lane: lane, sid: m.ID,
	}
	us, err := strconv.ParseInt(s("at"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("delivery: event %s: created_at: %w", e.ID, err)
	}
	e.CreatedAt = time.UnixMicro(us).UTC()
	if t := s("tries"); t != "" {
		e.Tries, _ = strconv.Atoi(t)
	}
	if l := s("logs"); l != "" {
		e.logs = strings.Split(l, ",")
	}
	e.LastAttemptAt = msTime(s("last"))
	return e, nil
}

// retryState is what a pending event that failed carries across processes
// (the retry hash): tries, next retry and last attempt (ms), log entries.
func formatRetry(tries int, next, last int64, logs []string) string {
	return fmt.Sprintf("%d|%d|%d|%s", tries, next, last, strings.Join(logs, ","))
}

func (e *Event) applyRetry(v string) {
	parts := strings.SplitN(v, "|", 4)
	if len(parts) != 4 {
		return
	}
	e.Tries, _ = strconv.Atoi(parts[0])
	e.NextRetryAt, e.LastAttemptAt = msTime(parts[1]), msTime(parts[2])
	if parts[3] != "" {
		e.logs = strings.Split(parts[3], ",")
	}
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// streamTime is the time in a stream entry id ("<ms>-<seq>").
func streamTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	return msTime(ms)
}
