package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event statuses.
const (
	StatusPending   = "pending"   // queued or waiting for a retry
	StatusProcessed = "processed" // delivered (a 2xx response)
	StatusDead      = "dead"      // retries exhausted, in the dead-letter index
)

// ErrEventNotFound is returned for an unknown (or expired) event id.
var ErrEventNotFound = errors.New("delivery: event not found")

// Defaults of Config.
const (
	DefaultPrefix     = "graft:events:"
	DefaultRetention  = 7 * 24 * time.Hour
	DefaultMaxEntries = 10000
	DefaultDedupTTL   = 7 * 24 * time.Hour
)

// enqueueBatch bounds the events written by one script call (see enqueue).
const enqueueBatch = 500

// Config configures a Queue.
type Config struct {
	// Redis is the shared Redis (required). Several Graft processes may use
	// the same Redis and Prefix: they share one queue.
	Redis redis.UniversalClient
	// Prefix of every key and of the notification channel (default
	// "graft:events:").
	Prefix string
	// Retention of delivered and dead events and of invocation logs
	// (default 7 days).
	Retention time.Duration
	// MaxEntries caps, per trigger, the invocation logs and the delivered
	// and dead events kept (default 10000 each).
	MaxEntries int
	// DedupTTL is how long an event id is remembered so that a transaction
	// read again from the slot is not queued twice (default 7 days). It
	// costs about 100 bytes of Redis memory per event for that long; it only
	// needs to exceed how far behind the slot's confirmed position can be
	// when Graft restarts, so high-volume deployments may lower it.
	DedupTTL time.Duration
}

// Queue is the Redis-backed event queue shared by Dispatchers, worker pools
// and the metadata API (EventByID, EventLogs, InvocationLogs, Redeliver,
// Invoke, CheckPersistence).
type Queue struct {
	rdb redis.UniversalClient
	cfg Config
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
	if cfg.DedupTTL <= 0 {
		cfg.DedupTTL = DefaultDedupTTL
	}
	return &Queue{rdb: cfg.Redis, cfg: cfg}, nil
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

	body  json.RawMessage // the payload's "event" object
	def   []byte          // the trigger at enqueue time (JSON of Trigger)
	queue string
}

// Body is the payload's "event" object: session_variables, op, data,
// trace_context.
func (e *Event) Body() json.RawMessage { return e.body }

// Data is the event's {"old": ..., "new": ...} (event_log.payload in Hasura).
func (e *Event) Data() json.RawMessage {
	var b struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(e.body, &b)
	return b.Data
}

// Payload is the body POSTed for the event's next (or, once done, last)
// attempt, with max_retries from the trigger definition of enqueue time.
func (e *Event) Payload() (json.RawMessage, error) {
	t, err := e.snapshot()
	if err != nil {
		return nil, err
	}
	return render(e, t.Retry.NumRetries)
}

func (e *Event) snapshot() (*Trigger, error) {
	var t Trigger
	if err := json.Unmarshal(e.def, &t); err != nil {
		return nil, fmt.Errorf("event %s: trigger definition: %w", e.ID, err)
	}
	return &t, nil
}

func (q *Queue) key(parts ...string) string {
	k := q.cfg.Prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// enqueue writes events. Up to enqueueBatch events go in one atomic script
// call; a bigger transaction takes several calls. That is safe because event
// ids are deterministic and the script skips ids already queued: if a later
// call fails, HandleTransaction fails, the slot does not advance, and the
// transaction read again re-queues only what is missing.
func (q *Queue) enqueue(ctx context.Context, evs []*newEvent) (int, error) {
	added := 0
	defs := map[*Trigger][]byte{}
	for start := 0; start < len(evs); start += enqueueBatch {
		batch := evs[start:min(start+enqueueBatch, len(evs))]
		args := make([]any, 0, 3+9*len(batch))
		args = append(args, q.cfg.Prefix, q.cfg.DedupTTL.Milliseconds(), len(batch))
		for _, e := range batch {
			def, ok := defs[e.Trigger]
			if !ok {
				var err error
				if def, err = json.Marshal(e.Trigger); err != nil {
					return added, fmt.Errorf("delivery: trigger %s: %w", e.Trigger.Name, err)
				}
				defs[e.Trigger] = def
			}
			args = append(args, e.ID, queueName(e.Trigger.Name, e.Table, e.Key), e.Trigger.Name,
				e.Table.Schema, e.Table.Name, e.Op, e.Body, e.CreatedAt.UnixMicro(), def)
		}
		n, err := scriptEnqueue.Run(ctx, q.rdb, nil, args...).Int()
		if err != nil {
			return added, fmt.Errorf("delivery: enqueue %d events: %w", len(batch), err)
		}
		added += n
	}
	return added, nil
}

// parseEvent reads an event hash (HGETALL as a map).
func parseEvent(m map[string]string) (*Event, error) {
	if m["id"] == "" {
		return nil, ErrEventNotFound
	}
	e := &Event{
		ID: m["id"], Trigger: m["trigger"], Table: Relation{Schema: m["schema"], Name: m["table"]},
		Op: m["op"], Status: m["status"], body: json.RawMessage(m["event"]), def: []byte(m["def"]), queue: m["q"],
	}
	var err error
	if e.Tries, err = strconv.Atoi(m["tries"]); err != nil {
		return nil, fmt.Errorf("delivery: event %s: tries: %w", e.ID, err)
	}
	us, err := strconv.ParseInt(m["created_at"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("delivery: event %s: created_at: %w", e.ID, err)
	}
	e.CreatedAt = time.UnixMicro(us).UTC()
	e.NextRetryAt = msTime(m["next_retry_at"])
	e.LastAttemptAt = msTime(m["last_attempt_at"])
	e.DoneAt = msTime(m["done_at"])
	return e, nil
}

// pairsToMap turns a flat HGETALL reply from a script into a map.
func pairsToMap(v any) map[string]string {
	arr, _ := v.([]any)
	m := make(map[string]string, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		k, _ := arr[i].(string)
		s, _ := arr[i+1].(string)
		m[k] = s
	}
	return m
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MarshalJSON renders the event as a row of Hasura's hdb_catalog.event_log,
// the shape pg_get_event_logs and pg_get_event_by_id return, plus "status".
func (e *Event) MarshalJSON() ([]byte, error) {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(createdAtLayout)
	}
	var next any
	if e.Status == StatusPending {
		next = ts(e.NextRetryAt)
	}
	return json.Marshal(struct {
		ID          string          `json:"id"`
		SchemaName  string          `json:"schema_name"`
		TableName   string          `json:"table_name"`
		TriggerName string          `json:"trigger_name"`
		Payload     json.RawMessage `json:"payload"`
		Delivered   bool            `json:"delivered"`
		Error       bool            `json:"error"`
		Tries       int             `json:"tries"`
		CreatedAt   any             `json:"created_at"`
		Locked      any             `json:"locked"`
		NextRetryAt any             `json:"next_retry_at"`
		Archived    bool            `json:"archived"`
		Status      string          `json:"status"`
	}{e.ID, e.Table.Schema, e.Table.Name, e.Trigger, e.Data(), e.Status == StatusProcessed, e.Status == StatusDead,
		e.Tries, ts(e.CreatedAt), nil, next, false, e.Status})
}
