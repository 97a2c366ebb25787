package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// DefaultLimit is the page size of EventLogs and InvocationLogs when limit
// is not positive (Hasura's default).
const DefaultLimit = 100

// EventByID returns an event, whatever its status. Delivered and dead events
// are kept for Config.Retention (and the newest Config.MaxEntries per
// trigger); after that ErrEventNotFound.
func (q *Queue) EventByID(ctx context.Context, id string) (*Event, error) {
	m, err := q.rdb.HGetAll(ctx, q.key("ev", id)).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery: event %s: %w", id, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("event %s: %w", id, ErrEventNotFound)
	}
	return parseEvent(m)
}

// EventLogs lists a trigger's events with the given status, newest first
// (pending by enqueue time, processed and dead by completion time), as
// pg_get_event_logs. Hasura's "processed" (delivered or failed) is
// StatusProcessed plus StatusDead here.
func (q *Queue) EventLogs(ctx context.Context, trigger, status string, limit, offset int) ([]*Event, error) {
	if status != StatusPending && status != StatusProcessed && status != StatusDead {
		return nil, fmt.Errorf("delivery: event status %q: want pending, processed or dead", status)
	}
	limit, offset = page(limit, offset)
	ids, err := q.rdb.ZRevRange(ctx, q.key("idx", status, trigger), int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery: event logs of %s: %w", trigger, err)
	}
	return q.events(ctx, ids, status)
}

// events reads event hashes, skipping those gone or no longer in status.
func (q *Queue) events(ctx context.Context, ids []string, status string) ([]*Event, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = pl.HGetAll(ctx, q.key("ev", id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: read events: %w", err)
	}
	out := make([]*Event, 0, len(ids))
	for _, c := range cmds {
		e, err := parseEvent(c.Val())
		if errors.Is(err, ErrEventNotFound) || (err == nil && status != "" && e.Status != status) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// LogFilter selects invocation logs: of one event, or of one trigger.
type LogFilter struct {
	EventID string
	Trigger string
}

// InvocationLogs lists delivery attempts newest first, of f.EventID when set
// (at most the last 100 attempts of an event are kept), else of f.Trigger.
func (q *Queue) InvocationLogs(ctx context.Context, f LogFilter, limit, offset int) ([]*InvocationLog, error) {
	limit, offset = page(limit, offset)
	if f.EventID == "" && f.Trigger == "" {
		return nil, errors.New("delivery: invocation logs need an event id or a trigger")
	}
	if f.EventID == "" {
		msgs, err := q.rdb.XRevRangeN(ctx, q.key("log", f.Trigger), "+", "-", int64(offset+limit)).Result()
		if err != nil {
			return nil, fmt.Errorf("delivery: invocation logs of %s: %w", f.Trigger, err)
		}
		return decodeLogs(msgs[min(offset, len(msgs)):])
	}
	refs, err := q.rdb.LRange(ctx, q.key("evlog", f.EventID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery: invocation logs of event %s: %w", f.EventID, err)
	}
	slices.Reverse(refs)
	refs = refs[min(offset, len(refs)):min(offset+limit, len(refs))]
	cmds := make([]*redis.XMessageSliceCmd, 0, len(refs))
	_, err = q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for _, r := range refs {
			trig, sid, _ := strings.Cut(r, "\n")
			if f.Trigger == "" || f.Trigger == trig {
				cmds = append(cmds, pl.XRange(ctx, q.key("log", trig), sid, sid))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: invocation logs of event %s: %w", f.EventID, err)
	}
	var msgs []redis.XMessage
	for _, c := range cmds {
		msgs = append(msgs, c.Val()...) // trimmed entries are simply gone
	}
	return decodeLogs(msgs)
}

func decodeLogs(msgs []redis.XMessage) ([]*InvocationLog, error) {
	out := make([]*InvocationLog, 0, len(msgs))
	for _, m := range msgs {
		s, _ := m.Values["j"].(string)
		var l InvocationLog
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, fmt.Errorf("delivery: invocation log %s: %w", m.ID, err)
		}
		out = append(out, &l)
	}
	return out, nil
}

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return limit, max(offset, 0)
}

// Redeliver delivers an event again under the same id, with current_retry
// starting at 0, as pg_redeliver_event: a delivered or dead event is queued
// again behind the pending events of its row; a pending one is made due now.
func (q *Queue) Redeliver(ctx context.Context, id string) error {
	err := scriptRedeliver.Run(ctx, q.rdb, nil, q.cfg.Prefix, id).Err()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("event %s: %w", id, ErrEventNotFound)
	}
	if err != nil {
		return fmt.Errorf("delivery: redeliver %s: %w", id, err)
	}
	return nil
}

// PoolSizeFromEnv reads HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE (default 100).
func PoolSizeFromEnv(getenv func(string) string) (int, error) {
	s := strings.TrimSpace(getenv("HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE"))
	if s == "" {
		return DefaultPoolSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE must be a positive integer, got %q", s)
	}
	return n, nil
}
