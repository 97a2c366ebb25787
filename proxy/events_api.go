package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/graftql/graft/delivery"
	"github.com/graftql/graft/metadata"
)

// eventStore answers the event-trigger log and delivery operations of the
// metadata API from the Redis queue.
// eventStore serves the event metadata API from the default database's
// queue, or an added source's (sources) when the request names one.
type eventStore struct {
	w       *wal
	sources *sourceWALs
}

var _ metadata.EventStore = eventStore{}

func badArgs(msg string) error {
	return &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: msg}
}

func notExists(msg string) error {
	return &metadata.APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: msg}
}

// eventArgs are the args of every event operation, with Hasura's names and
// defaults (limit 100). trigger_name is the name Graft used to take for a
// trigger, still read when name is missing.
type eventArgs struct {
	Name         string          `json:"name"`
	TriggerName  string          `json:"trigger_name"`
	Source       string          `json:"source"`
	EventID      string          `json:"event_id"`
	Status       string          `json:"status"`
	Limit        *int            `json:"limit"`
	Offset       int             `json:"offset"`
	InvLogLimit  *int            `json:"invocation_log_limit"`
	InvLogOffset int             `json:"invocation_log_offset"`
	Payload      json.RawMessage `json:"payload"`
}

func (s eventStore) Call(ctx context.Context, op string, raw json.RawMessage, md *metadata.Metadata) (any, error) {
	var a eventArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, badArgs(err.Error())
	}
	if a.Name == "" {
		a.Name = a.TriggerName
	}
	if err := checkSource(a.Source, md); err != nil {
		return nil, err
	}
	if a.Source != "" && a.Source != "default" && s.sources != nil {
		// An added source's events are in its own queue (walsources.go).
		if w := s.sources.get(a.Source); w != nil && w.queue != nil {
			s.w = w
		}
	}
	q := s.w.queue
	switch op {
	case "get_event_logs":
		if a.Name == "" {
			return nil, badArgs(`key "name" not found`)
		}
		switch a.Status {
		case "", delivery.StatusAll, delivery.StatusPending, delivery.StatusProcessed, delivery.StatusDead:
		default:
			return nil, badArgs("event logs status can only be one of the following: processed or pending")
		}
		limit, offset, err := paging(a.Limit, a.Offset, "")
		if err != nil {
			return nil, err
		}
		if limit == 0 {
			return []*delivery.Event{}, nil
		}
		return q.ListEvents(ctx, a.Name, a.Status, limit, offset)
	case "get_event_invocation_logs":
		f := delivery.LogFilter{Trigger: a.Name}
		if a.Name == "" {
			if a.EventID == "" { // an event's logs: Graft's own filter
				return nil, badArgs(`key "name" not found`)
			}
			f.EventID = a.EventID
		}
		limit, offset, err := paging(a.Limit, a.Offset, "")
		if err != nil {
			return nil, err
		}
		if limit == 0 {
			return []*delivery.InvocationLog{}, nil
		}
		logs, err := q.InvocationLogs(ctx, f, limit, offset)
		if err != nil {
			return nil, err
		}
		return s.withHeaders(logs), nil
	case "get_event_by_id":
		if a.EventID == "" {
			return nil, badArgs(`key "event_id" not found`)
		}
		limit, offset, err := paging(a.InvLogLimit, a.InvLogOffset, "invocation_log_")
		if err != nil {
			return nil, err
		}
		ev, err := q.EventByID(ctx, a.EventID)
		if errors.Is(err, delivery.ErrEventNotFound) {
			return nil, notExists("event id " + a.EventID + " does not exist")
		}
		if err != nil {
			return nil, err
		}
		logs := []*delivery.InvocationLog{}
		if limit > 0 {
			if logs, err = q.InvocationLogs(ctx, delivery.LogFilter{EventID: a.EventID}, limit, offset); err != nil {
				return nil, err
			}
		}
		return map[string]any{"event": ev, "invocations": s.withHeaders(logs)}, nil
	case "redeliver_event":
		if err := q.Redeliver(ctx, a.EventID); err != nil {
			if errors.Is(err, delivery.ErrEventNotFound) {
				return nil, notExists("event " + a.EventID + " does not exist")
			}
			return nil, err
		}
		return map[string]string{"message": "success"}, nil
	case "invoke_event_trigger":
		t, ok := s.findTrigger(a.Name)
		if !ok {
			return nil, notExists("event trigger " + a.Name + " does not exist")
		}
		id, err := q.Invoke(ctx, t, a.Payload, nil)
		if errors.Is(err, delivery.ErrManualDisabled) {
			return nil, &metadata.APIError{Status: 400, Code: "not-supported", Path: "$.args", Message: "manual mode is not enabled for event trigger " + a.Name}
		}
		if err != nil {
			return nil, err
		}
		return map[string]string{"event_id": id}, nil
	}
	return nil, badArgs("unknown event operation " + op)
}

// paging reads a limit (default 100) and an offset, which may not be
// negative (Postgres refuses a negative LIMIT or OFFSET in Hasura's query).
func paging(limit *int, offset int, prefix string) (int, int, error) {
	n := delivery.DefaultLimit
	if limit != nil {
		n = *limit
	}
	switch {
	case n < 0:
		return 0, 0, badArgs(prefix + "limit must not be negative, got " + strconv.Itoa(n))
	case offset < 0:
		return 0, 0, badArgs(prefix + "offset must not be negative, got " + strconv.Itoa(offset))
	}
	return n, offset, nil
}

// checkSource refuses a source the metadata does not have.
func checkSource(name string, md *metadata.Metadata) error {
	if name == "" || name == "default" || md == nil {
		return nil
	}
	for _, src := range md.Sources {
		if src.Name == name {
			return nil
		}
	}
	return notExists(`source with name "` + name + `" does not exist`)
}

// withHeaders gives each log its trigger's configured headers, which its
// request lists as Hasura's invocation logs do.
func (s eventStore) withHeaders(logs []*delivery.InvocationLog) []*delivery.InvocationLog {
	for _, l := range logs {
		if t, ok := s.findTrigger(l.Trigger); ok {
			l.SetRequestHeaders(t.Headers)
		}
	}
	return logs
}

func (s eventStore) findTrigger(name string) (delivery.Trigger, bool) {
	m := s.w.triggers.Load()
	if m == nil {
		return delivery.Trigger{}, false
	}
	for _, list := range *m {
		for _, t := range list {
			if t.Name == name {
				return t, true
			}
		}
	}
	return delivery.Trigger{}, false
}
