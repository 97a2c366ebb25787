package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultLimit is the page size of EventLogs and InvocationLogs when limit
// is not positive (Hasura's default).
const DefaultLimit = 100

// EventByID returns an event, whatever its status. Delivered and dead events
// are kept for Config.Retention (and the newest Config.MaxEntries per
// trigger); after that ErrEventNotFound.
func (q *Queue) EventByID(ctx context.Context, id string) (*Event, error) {
	v, err := scriptFind.Run(ctx, q.rdb, nil, q.cfg.Prefix, q.cfg.Lanes, id).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("event %s: %w", id, ErrEventNotFound)
	}
	if err != nil || len(v) != 5 {
		return nil, fmt.Errorf("delivery: event %s: %w", id, err)
	}
	kind, _ := v[0].(string)
	trig, _ := v[1].(string)
	sid, _ := v[2].(string)
	lane, _ := v[3].(int64)
	m := redis.XMessage{ID: sid, Values: pairs(v[4])}
	switch kind {
	case StatusPending:
		e, err := eventFromEntry(int(lane), m)
		if err != nil {
			return nil, err
		}
		if st, err := q.rdb.HGet(ctx, q.key("retry"), id).Result(); err == nil {
			e.applyRetry(st)
		}
		return e, nil
	case StatusDead:
		return deadEvent(m)
	}
	evs, err := q.doneEvents(ctx, trig, []redis.XMessage{m})
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("event %s (its log expired): %w", id, ErrEventNotFound)
	}
	return evs[0], nil
}

func pairs(v any) map[string]any {
	arr, _ := v.([]any)
	m := make(map[string]any, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		k, _ := arr[i].(string)
		m[k] = arr[i+1]
	}
	return m
}

func deadEvent(m redis.XMessage) (*Event, error) {
	e, err := eventFromEntry(-1, m)
	if err != nil {
		return nil, err
	}
	e.Status, e.DoneAt = StatusDead, e.LastAttemptAt
	return e, nil
}

// doneEvents rebuilds delivered events from their done entries and the
// payload of their last invocation log (an event whose log is gone is
// skipped).
func (q *Queue) doneEvents(ctx context.Context, trig string, msgs []redis.XMessage) ([]*Event, error) {
	cmds := make([]*redis.XMessageSliceCmd, len(msgs))
	_, err := q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, m := range msgs {
			logs, _ := m.Values["logs"].(string)
			last := logs[strings.LastIndexByte(logs, ',')+1:]
			cmds[i] = pl.XRange(ctx, q.key("log", trig), last, last)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: delivered events of %s: %w", trig, err)
	}
	out := make([]*Event, 0, len(msgs))
	for i, m := range msgs {
		logs := cmds[i].Val()
		if len(logs) == 0 {
			continue
		}
		l, err := decodeLogs(logs)
		if err != nil {
			return nil, err
		}
		var pl struct {
			Event     json.RawMessage `json:"event"`
			CreatedAt string          `json:"created_at"`
			ID        string          `json:"id"`
			Table     Relation        `json:"table"`
		}
		if err := json.Unmarshal(l[0].Request, &pl); err != nil {
			return nil, fmt.Errorf("delivery: event %s: logged payload: %w", m.Values["id"], err)
		}
		var op struct {
			Op string `json:"op"`
		}
		_ = json.Unmarshal(pl.Event, &op)
		created, _ := time.Parse(createdAtLayout, pl.CreatedAt)
		e := &Event{ID: pl.ID, Trigger: trig, Table: pl.Table, Op: op.Op, Status: StatusProcessed, CreatedAt: created,
			LastAttemptAt: l[0].CreatedAt, DoneAt: streamTime(m.ID), body: pl.Event, sid: m.ID, lane: -1}
		e.def, _ = m.Values["def"].(string)
		e.row, _ = m.Values["row"].(string)
		e.Tries, _ = strconv.Atoi(fmt.Sprint(m.Values["tries"]))
		if s, _ := m.Values["logs"].(string); s != "" {
			e.logs = strings.Split(s, ",")
		}
		out = append(out, e)
	}
	return out, nil
}

// EventLogs lists a trigger's events with the given status, newest first
// (pending by enqueue time, processed and dead by completion time), as
// pg_get_event_logs. Hasura's "processed" (delivered or failed) is
// StatusProcessed plus StatusDead here.
func (q *Queue) EventLogs(ctx context.Context, trigger, status string, limit, offset int) ([]*Event, error) {
	limit, offset = page(limit, offset)
	switch status {
	case StatusPending:
		return q.pendingEvents(ctx, trigger, limit, offset)
	case StatusProcessed, StatusDead:
	default:
		return nil, fmt.Errorf("delivery: event status %q: want pending, processed or dead", status)
	}
	kind := "done"
	if status == StatusDead {
		kind = "dead"
	}
	msgs, err := q.rdb.XRevRangeN(ctx, q.key(kind, trigger), "+", "-", int64(offset+limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery: event logs of %s: %w", trigger, err)
	}
	msgs = msgs[min(offset, len(msgs)):]
	if status == StatusProcessed {
		return q.doneEvents(ctx, trigger, msgs)
	}
	out := make([]*Event, 0, len(msgs))
	for _, m := range msgs {
		e, err := deadEvent(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// StatusAll selects every event in ListEvents.
const StatusAll = "all"

// ListEvents pages a trigger's events as pg_get_event_logs does, newest
// created first. status is StatusAll (or ""), StatusPending,
// StatusProcessed in Hasura's sense (delivered or failed for good: dead
// events too) or, Graft's own, StatusDead. Delivered and dead events are
// kept in completion order, so a page of them holds the ones completed
// last, ranked by creation time.
func (q *Queue) ListEvents(ctx context.Context, trigger, status string, limit, offset int) ([]*Event, error) {
	limit, offset = page(limit, offset)
	var kinds []string
	switch status {
	case "", StatusAll:
		kinds = []string{StatusPending, StatusProcessed, StatusDead}
	case StatusProcessed:
		kinds = []string{StatusProcessed, StatusDead}
	case StatusPending, StatusDead:
		return q.EventLogs(ctx, trigger, status, limit, offset)
	default:
		return nil, fmt.Errorf("delivery: event status %q: want all, pending or processed", status)
	}
	var all []*Event
	for _, k := range kinds {
		evs, err := q.EventLogs(ctx, trigger, k, offset+limit, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
	}
	slices.SortStableFunc(all, func(a, b *Event) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return all[min(offset, len(all)):min(offset+limit, len(all))], nil
}

// pendingEvents pages a trigger's pending events, newest first.
func (q *Queue) pendingEvents(ctx context.Context, trigger string, limit, offset int) ([]*Event, error) {
	v, err := scriptPendingOf.Run(ctx, q.rdb, nil, q.cfg.Prefix, q.cfg.Lanes, trigger, "0").Slice()
	if err != nil {
		return nil, fmt.Errorf("delivery: pending events of %s: %w", trigger, err)
	}
	type ref struct {
		lane int
		sid  string
	}
	refs := make([]ref, 0, len(v)/2)
	for i := 0; i+1 < len(v); i += 2 {
		l, _ := v[i].(int64)
		s, _ := v[i+1].(string)
		refs = append(refs, ref{int(l), s})
	}
	slices.SortFunc(refs, func(a, b ref) int { return compareStreamIDs(b.sid, a.sid) })
	refs = refs[min(offset, len(refs)):min(offset+limit, len(refs))]
	cmds := make([]*redis.XMessageSliceCmd, len(refs))
	_, err = q.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		for i, r := range refs {
			cmds[i] = pl.XRange(ctx, q.laneKey(r.lane), r.sid, r.sid)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: pending events of %s: %w", trigger, err)
	}
	var out []*Event
	var ids []string
	for i, c := range cmds {
		for _, m := range c.Val() {
			e, err := eventFromEntry(refs[i].lane, m)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			ids = append(ids, e.ID)
		}
	}
	if len(ids) > 0 {
		states, err := q.rdb.HMGet(ctx, q.key("retry"), ids...).Result()
		if err != nil {
			return nil, fmt.Errorf("delivery: pending events of %s: %w", trigger, err)
		}
		for i, s := range states {
			if st, ok := s.(string); ok {
				out[i].applyRetry(st)
			}
		}
	}
	return out, nil
}

// compareStreamIDs orders "<ms>-<seq>" ids.
func compareStreamIDs(a, b string) int {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	x, _ := strconv.ParseUint(am, 10, 64)
	y, _ := strconv.ParseUint(bm, 10, 64)
	if x != y {
		return cmpUint(x, y)
	}
	x, _ = strconv.ParseUint(as, 10, 64)
	y, _ = strconv.ParseUint(bs, 10, 64)
	return cmpUint(x, y)
}

func cmpUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
