package metadata

import (
	"context"
	"encoding/json"
	"fmt"
)

// EventStore is what the event-trigger operations need from the event
// queue (package delivery implements it; the server wires it in). Without
// one, those operations answer that event delivery is not running.
type EventStore interface {
	// Call runs a log, redeliver or invoke operation ("get_event_logs",
	// "get_event_invocation_logs", "get_event_by_id", "redeliver_event",
	// "invoke_event_trigger") with its args and the current metadata.
	Call(ctx context.Context, op string, args json.RawMessage, md *Metadata) (any, error)
}

// SetEventStore connects the event-trigger log and delivery operations.
func (m *Manager) SetEventStore(s EventStore) {
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	m.events = s
}

func (m *Manager) eventStore() EventStore {
	m.sourcesMu.Lock()
	defer m.sourcesMu.Unlock()
	return m.events
}

// eventTriggerArgs is pg_create_event_trigger's args.
type eventTriggerArgs struct {
	Name           string          `json:"name"`
	Table          QualifiedName   `json:"table"`
	Source         string          `json:"source"`
	Webhook        string          `json:"webhook,omitempty"`
	WebhookFromEnv string          `json:"webhook_from_env,omitempty"`
	Insert         json.RawMessage `json:"insert,omitempty"`
	Update         json.RawMessage `json:"update,omitempty"`
	Delete         json.RawMessage `json:"delete,omitempty"`
	EnableManual   bool            `json:"enable_manual"`
	RetryConf      json.RawMessage `json:"retry_conf,omitempty"`
	Headers        json.RawMessage `json:"headers,omitempty"`
	Replace        bool            `json:"replace"`
	RequestTrans   json.RawMessage `json:"request_transform,omitempty"`
	ResponseTrans  json.RawMessage `json:"response_transform,omitempty"`
	CleanupConfig  json.RawMessage `json:"cleanup_config,omitempty"`
}

// storedTrigger is an event trigger as Hasura exports it in table metadata.
type storedTrigger struct {
	Name             string          `json:"name"`
	Definition       triggerDef      `json:"definition"`
	RetryConf        json.RawMessage `json:"retry_conf"`
	Webhook          string          `json:"webhook,omitempty"`
	WebhookFromEnv   string          `json:"webhook_from_env,omitempty"`
	Headers          json.RawMessage `json:"headers,omitempty"`
	RequestTransform json.RawMessage `json:"request_transform,omitempty"`
	// Kept so export_metadata returns it (NotServed reports it unapplied).
	ResponseTransform json.RawMessage `json:"response_transform,omitempty"`
	CleanupConfig     json.RawMessage `json:"cleanup_config,omitempty"`
}

type triggerDef struct {
	EnableManual bool            `json:"enable_manual"`
	Insert       json.RawMessage `json:"insert,omitempty"`
	Update       json.RawMessage `json:"update,omitempty"`
	Delete       json.RawMessage `json:"delete,omitempty"`
}

// eventTriggers decodes a table's event triggers.
func (t *TableMeta) eventTriggers() ([]storedTrigger, error) {
	var out []storedTrigger
	if len(t.EventTriggers) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(t.EventTriggers, &out)
	return out, err
}

func (t *TableMeta) setEventTriggers(list []storedTrigger) {
	if len(list) == 0 {
		t.EventTriggers = nil
		return
	}
	b, _ := json.Marshal(list)
	t.EventTriggers = b
}

func opCreateEventTrigger(w *work, r *Request) (any, error) {
	var a eventTriggerArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if a.Name == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "name" not found`}
	}
	if (a.Webhook == "") == (a.WebhookFromEnv == "") {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: "exactly one of webhook and webhook_from_env is expected"}
	}
	if len(a.Insert) == 0 && len(a.Update) == 0 && len(a.Delete) == 0 && !a.EnableManual {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: "atleast one amongst insert/update/delete/enable_manual spec must be provided"}
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	if err != nil {
		return nil, err
	}
	// Trigger names are unique across all tables, as in Hasura.
	src, _ := w.sourceOf(a.Source)
	for i := range src.Tables {
		list, err := src.Tables[i].eventTriggers()
		if err != nil {
			return nil, err
		}
		for j, et := range list {
			if et.Name != a.Name {
				continue
			}
			if !a.Replace || src.Tables[i].Table != a.Table {
				return nil, alreadyExists("already-exists", "event trigger with name %q already exists", a.Name)
			}
			src.Tables[i].setEventTriggers(append(list[:j], list[j+1:]...))
		}
	}
	retry := a.RetryConf
	if len(retry) == 0 {
		retry = json.RawMessage(`{"interval_sec":10,"num_retries":0,"timeout_sec":60}`)
	}
	list, _ := tm.eventTriggers()
	list = append(list, storedTrigger{Name: a.Name, RetryConf: retry, Webhook: a.Webhook, WebhookFromEnv: a.WebhookFromEnv,
		Headers: a.Headers, RequestTransform: a.RequestTrans, ResponseTransform: a.ResponseTrans, CleanupConfig: a.CleanupConfig,
		Definition: triggerDef{EnableManual: a.EnableManual, Insert: a.Insert, Update: a.Update, Delete: a.Delete}})
	tm.setEventTriggers(list)
	w.changed = true
	return successWith(w.eventTriggerWarnings(src.Name, a.Name, a.Table.String())), nil
}

func opDeleteEventTrigger(w *work, r *Request) (any, error) {
	var a struct {
		Name   string `json:"name"`
		Source string `json:"source"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	src, err := w.sourceOf(a.Source)
	if err != nil {
		return nil, err
	}
	for i := range src.Tables {
		list, _ := src.Tables[i].eventTriggers()
		for j, et := range list {
			if et.Name == a.Name {
				src.Tables[i].setEventTriggers(append(list[:j], list[j+1:]...))
				w.changed = true
				return success, nil
			}
		}
	}
	return nil, notExists("event trigger %q does not exist", a.Name)
}

// eventOp delegates an event log or delivery operation to the event store.
func eventOp(name string) opFunc {
	return func(w *work, r *Request) (any, error) {
		store := w.m.eventStore()
		if store == nil {
			return nil, &APIError{Status: 400, Code: "not-supported", Path: "$.args",
				Message: fmt.Sprintf("%s needs event delivery, which is not running (set HASURA_GRAPHQL_REDIS_URL)", r.Type)}
		}
		return store.Call(w.ctx, name, r.Args, w.md)
	}
}

// EventTriggerJSON is a table's event_triggers list as stored (Hasura's shape).
func (t *Table) EventTriggerJSON() json.RawMessage { return t.Meta.EventTriggers }
