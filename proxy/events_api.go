package proxy

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/graftql/graft/delivery"
	"github.com/graftql/graft/metadata"
)

// eventStore answers the event-trigger log and delivery operations of the
// metadata API from the Redis queue.
type eventStore struct{ w *wal }

var _ metadata.EventStore = eventStore{}

func badArgs(msg string) error {
	return &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: msg}
}

func (s eventStore) Call(ctx context.Context, op string, raw json.RawMessage, md *metadata.Metadata) (any, error) {
	q := s.w.queue
	var a struct {
		Name        string          `json:"name"`
		TriggerName string          `json:"trigger_name"`
		EventID     string          `json:"event_id"`
		Status      string          `json:"status"`
		Limit       int             `json:"limit"`
		Offset      int             `json:"offset"`
		InvLogLimit int             `json:"invocation_log_limit"`
		Payload     json.RawMessage `json:"payload"`
		Source      string          `json:"source"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, badArgs(err.Error())
	}
	if a.Limit == 0 {
		a.Limit = 100
	}
	switch op {
	case "get_event_logs":
		if a.Status != "" {
			return q.EventLogs(ctx, a.TriggerName, a.Status, a.Limit, a.Offset)
		}
		// No status: every event, pending first (Hasura lists them all).
		var all []*delivery.Event
		for _, st := range []string{"pending", "processed", "dead"} {
			evs, err := q.EventLogs(ctx, a.TriggerName, st, a.Limit+a.Offset, 0)
			if err != nil {
				return nil, err
			}
			all = append(all, evs...)
		}
		if a.Offset >= len(all) {
			return []*delivery.Event{}, nil
		}
		return all[a.Offset:min(len(all), a.Offset+a.Limit)], nil
	case "get_event_invocation_logs":
		return q.InvocationLogs(ctx, delivery.LogFilter{Trigger: a.TriggerName}, a.Limit, a.Offset)
	case "get_event_by_id":
		ev, err := q.EventByID(ctx, a.EventID)
		if errors.Is(err, delivery.ErrEventNotFound) {
			return nil, &metadata.APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: "event " + a.EventID + " does not exist"}
		}
		if err != nil {
			return nil, err
		}
		limit := a.InvLogLimit
		if limit == 0 {
			limit = 100
		}
		logs, err := q.InvocationLogs(ctx, delivery.LogFilter{EventID: a.EventID}, limit, 0)
		if err != nil {
			return nil, err
		}
		return map[string]any{"event": ev, "invocation_logs": logs}, nil
	case "redeliver_event":
		if err := q.Redeliver(ctx, a.EventID); err != nil {
			if errors.Is(err, delivery.ErrEventNotFound) {
				return nil, &metadata.APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: "event " + a.EventID + " does not exist"}
			}
			return nil, err
		}
		return map[string]string{"message": "success"}, nil
	case "invoke_event_trigger":
		t, ok := s.findTrigger(a.Name)
		if !ok {
			return nil, &metadata.APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: "event trigger " + a.Name + " does not exist"}
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
