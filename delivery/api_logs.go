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

// LogFilter selects invocation logs: of one event, or of one trigger.
type LogFilter struct {
	EventID string
	Trigger string
}

// InvocationLogs lists delivery attempts newest first, of f.EventID when set,
// else of f.Trigger.
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
	e, err := q.EventByID(ctx, f.EventID)
	if errors.Is(err, ErrEventNotFound) {
		return []*InvocationLog{}, nil
	}
	if err != nil {
		return nil, err
	}
	if f.Trigger != "" && f.Trigger != e.Trigger {
		return []*InvocationLog{}, nil
	}
	refs := slices.Clone(e.logs)
	slices.Reverse(refs)
	refs = refs[min(offset, len(refs)):min(offset+limit, len(refs))]
	cmds := make([]*redis.XMessageSliceCmd, len(refs))
	_, err = q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, sid := range refs {
			cmds[i] = pl.XRange(ctx, q.key("log", e.Trigger), sid, sid)
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
	e, err := q.EventByID(ctx, id)
	if err != nil {
		return err
	}
	_, err = q.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HDel(ctx, q.key("retry"), id)
		if e.Status == StatusPending {
			pl.Publish(ctx, q.key("notify"), id) // the pool holding it retries it now
			return nil
		}
		kind := "done"
		if e.Status == StatusDead {
			kind = "dead"
		}
		pl.XDel(ctx, q.key(kind, e.Trigger), e.sid)
		// The event starts over (no tries, as Hasura's redeliver) but keeps
		// its earlier attempts' logs: pg_get_event_by_id lists them all, as
		// Hasura's event_invocation_logs keeps every row of the event.
		values := []any{"id", e.ID, "row", e.row, "trig", e.Trigger, "schema", e.Table.Schema, "table", e.Table.Name, "op", e.Op,
			"ev", string(e.body), "at", strconv.FormatInt(e.CreatedAt.UnixMicro(), 10), "def", e.def}
		if len(e.logs) > 0 {
			values = append(values, "logs", strings.Join(e.logs, ","))
		}
		pl.XAdd(ctx, &redis.XAddArgs{Stream: q.laneKey(q.laneOf(e.row)), Values: values})
		return nil
	})
	if err != nil {
		return fmt.Errorf("delivery: redeliver %s: %w", id, err)
	}
	return nil
}

// definition reads the trigger definition an event was queued with.
func (q *Queue) definition(ctx context.Context, e *Event) (*Trigger, error) {
	js, err := q.rdb.Get(ctx, q.key("def", e.def)).Bytes()
	if err != nil {
		return nil, fmt.Errorf("event %s: trigger definition %s: %w", e.ID, e.def, err)
	}
	var t Trigger
	if err := json.Unmarshal(js, &t); err != nil {
		return nil, fmt.Errorf("event %s: trigger definition: %w", e.ID, err)
	}
	return &t, nil
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
