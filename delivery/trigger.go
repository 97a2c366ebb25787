package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/graftql/graft/replication"
)

// Relation names a table (schema and name).
type Relation = replication.Relation

// Hasura's retry_conf defaults.
const (
	DefaultNumRetries  = 0
	DefaultIntervalSec = 10
	DefaultTimeoutSec  = 60
)

// Trigger is one Hasura event trigger of one table, as found in the table's
// "event_triggers" metadata list.
type Trigger struct {
	Name         string
	Table        Relation
	EnableManual bool
	// Insert, Update and Delete are nil when the trigger does not fire on
	// that operation.
	Insert, Update, Delete *OpSpec
	Retry                  RetryConf
	// Exactly one of Webhook and WebhookFromEnv is set. Webhook may contain
	// {{ENV_VAR}} templates; both are resolved at delivery time.
	Webhook        string
	WebhookFromEnv string
	Headers        []Header
	// PrimaryKey lists the table's primary-key columns when the trigger
	// source knows them. Events of one row (same key values) for one trigger
	// are delivered in commit order; without a key, the whole row is the
	// identity, so updates of one row are not ordered among themselves.
	PrimaryKey []string
	// Ignored names the parts of the definition Graft stores (they
	// round-trip through export_metadata) but does not apply, such as
	// request_transform: the webhook gets Hasura's plain payload.
	Ignored []string
}

// OpSpec is the definition of one operation of a trigger.
type OpSpec struct {
	// Columns whose change fires an UPDATE trigger ("*" = any column).
	// Hasura accepts it for insert and delete too, where it has no effect.
	Columns Columns
	// Payload restricts the columns sent in data.old/data.new ("*" = all).
	Payload Columns
}

// Columns is Hasura's column list: "*" (All) or explicit names.
type Columns struct {
	All   bool
	Names []string
}

// Has reports whether col is in the list.
func (c Columns) Has(col string) bool { return c.All || slices.Contains(c.Names, col) }

// UnmarshalJSON accepts "*" or a list of column names.
func (c *Columns) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("columns: expected \"*\" or a list of columns, got %q", s)
		}
		*c = Columns{All: true}
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("columns: expected \"*\" or a list of columns: %w", err)
	}
	*c = Columns{Names: names}
	return nil
}

// MarshalJSON renders the Hasura form.
func (c Columns) MarshalJSON() ([]byte, error) {
	if c.All {
		return []byte(`"*"`), nil
	}
	if c.Names == nil {
		return []byte(`[]`), nil
	}
	return json.Marshal(c.Names)
}

// RetryConf is Hasura's retry_conf.
type RetryConf struct {
	NumRetries  int `json:"num_retries"`
	IntervalSec int `json:"interval_sec"`
	TimeoutSec  int `json:"timeout_sec"`
}

// Header is a header sent with every delivery; ValueFromEnv names an
// environment variable read at delivery time.
type Header struct {
	Name         string `json:"name"`
	Value        string `json:"value,omitempty"`
	ValueFromEnv string `json:"value_from_env,omitempty"`
}

// hasuraTrigger is the metadata JSON of one event trigger.
type hasuraTrigger struct {
	Name       string `json:"name"`
	Definition struct {
		EnableManual bool          `json:"enable_manual"`
		Insert       *hasuraOpSpec `json:"insert"`
		Update       *hasuraOpSpec `json:"update"`
		Delete       *hasuraOpSpec `json:"delete"`
	} `json:"definition"`
	RetryConf *struct {
		NumRetries  *int `json:"num_retries"`
		IntervalSec *int `json:"interval_sec"`
		TimeoutSec  *int `json:"timeout_sec"`
	} `json:"retry_conf"`
	Webhook           string          `json:"webhook"`
	WebhookFromEnv    string          `json:"webhook_from_env"`
	Headers           []Header        `json:"headers"`
	RequestTransform  json.RawMessage `json:"request_transform"`
	ResponseTransform json.RawMessage `json:"response_transform"`
}

type hasuraOpSpec struct {
	Columns *Columns `json:"columns"`
	Payload *Columns `json:"payload"`
}

func (s *hasuraOpSpec) spec() *OpSpec {
	if s == nil {
		return nil
	}
	o := &OpSpec{Columns: Columns{All: true}, Payload: Columns{All: true}}
	if s.Columns != nil {
		o.Columns = *s.Columns
	}
	if s.Payload != nil {
		o.Payload = *s.Payload
	}
	return o
}

// ParseTriggers parses a table's "event_triggers" metadata list. An empty or
// null raw value yields no triggers.
func ParseTriggers(table Relation, raw json.RawMessage) ([]Trigger, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var list []hasuraTrigger
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("event_triggers of %s.%s: %w", table.Schema, table.Name, err)
	}
	out := make([]Trigger, 0, len(list))
	seen := map[string]bool{}
	for i, h := range list {
		t, err := h.trigger(table)
		if err != nil {
			return nil, fmt.Errorf("event_triggers[%d] of %s.%s: %w", i, table.Schema, table.Name, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("event_triggers of %s.%s: duplicate trigger %q", table.Schema, table.Name, t.Name)
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

func (h *hasuraTrigger) trigger(table Relation) (Trigger, error) {
	t := Trigger{
		Name: h.Name, Table: table, EnableManual: h.Definition.EnableManual,
		Insert: h.Definition.Insert.spec(), Update: h.Definition.Update.spec(), Delete: h.Definition.Delete.spec(),
		Retry:   RetryConf{NumRetries: DefaultNumRetries, IntervalSec: DefaultIntervalSec, TimeoutSec: DefaultTimeoutSec},
		Webhook: h.Webhook, WebhookFromEnv: h.WebhookFromEnv, Headers: h.Headers,
	}
	for name, v := range map[string]json.RawMessage{"request_transform": h.RequestTransform, "response_transform": h.ResponseTransform} {
		if v := bytes.TrimSpace(v); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
			t.Ignored = append(t.Ignored, name)
		}
	}
	slices.Sort(t.Ignored)
	if rc := h.RetryConf; rc != nil {
		if rc.NumRetries != nil {
			t.Retry.NumRetries = *rc.NumRetries
		}
		if rc.IntervalSec != nil {
			t.Retry.IntervalSec = *rc.IntervalSec
		}
		if rc.TimeoutSec != nil {
			t.Retry.TimeoutSec = *rc.TimeoutSec
		}
	}
	return t, t.validate()
}

func (t *Trigger) validate() error {
	switch {
	case t.Name == "":
		return fmt.Errorf("trigger name is required")
	case (t.Webhook == "") == (t.WebhookFromEnv == ""):
		return fmt.Errorf("trigger %q: exactly one of webhook and webhook_from_env is required", t.Name)
	case t.Retry.NumRetries < 0 || t.Retry.IntervalSec < 0:
		return fmt.Errorf("trigger %q: retry_conf values must not be negative", t.Name)
	case t.Retry.TimeoutSec <= 0:
		return fmt.Errorf("trigger %q: retry_conf.timeout_sec must be positive", t.Name)
	}
	for _, h := range t.Headers {
		if h.Name == "" || (h.Value != "" && h.ValueFromEnv != "") {
			return fmt.Errorf("trigger %q: a header needs a name and at most one of value and value_from_env", t.Name)
		}
	}
	return nil
}

// spec returns the trigger's definition for op, nil when it does not fire.
func (t *Trigger) spec(op string) *OpSpec {
	switch op {
	case "INSERT":
		return t.Insert
	case "UPDATE":
		return t.Update
	case "DELETE":
		return t.Delete
	}
	return nil
}

// Fires reports whether the trigger fires on the change: INSERT and DELETE
// when the operation is enabled; UPDATE when one of the trigger's update
// columns is among the changed columns ("*": any change, none for a no-op
// update, as Hasura compares the old and new rows).
func (t *Trigger) Fires(c *replication.Change) bool {
	s := t.spec(c.Op)
	if s == nil {
		return false
	}
	if c.Op != "UPDATE" {
		return true
	}
	for _, col := range c.Changed {
		if s.Columns.Has(col) {
			return true
		}
	}
	return false
}
