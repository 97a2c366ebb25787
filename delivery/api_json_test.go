package delivery

import (
	"encoding/json"
	"testing"
	"time"
)

// The metadata API's rows are Hasura's: event_log's columns (payload is
// the whole event object) and event_invocation_logs' with http_status and
// the request and response objects; times as aeson writes a UTCTime.
func TestEventJSON(t *testing.T) {
	e := &Event{ID: "i", Trigger: "t", Table: usersTable, Op: "INSERT", Status: StatusDead, Tries: 3,
		CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC),
		body:      json.RawMessage(`{"session_variables":null,"op":"INSERT","data":{"old":null,"new":{"id":1}}}`)}
	want := `{"id":"i","schema_name":"public","table_name":"users","trigger_name":"t",` +
		`"payload":{"session_variables":null,"op":"INSERT","data":{"old":null,"new":{"id":1}}},` +
		`"delivered":false,"error":true,"tries":3,"created_at":"2024-01-02T03:04:05.000006Z","locked":null,"next_retry_at":null,"archived":false}`
	if b, err := json.Marshal(e); err != nil || string(b) != want {
		t.Fatalf("event JSON\n got %s\nwant %s (%v)", b, want, err)
	}
	// A pending event waiting for a retry; trailing zeros of the fraction go.
	e.Status, e.CreatedAt, e.NextRetryAt = StatusPending, time.Date(2024, 1, 2, 3, 4, 5, 120_000_000, time.UTC), time.Date(2024, 1, 2, 4, 0, 0, 0, time.UTC)
	b, _ := json.Marshal(e)
	var row struct {
		Delivered, Error bool
		CreatedAt        string `json:"created_at"`
		NextRetryAt      string `json:"next_retry_at"`
	}
	if json.Unmarshal(b, &row); row.Delivered || row.Error || row.CreatedAt != "2024-01-02T03:04:05.12Z" || row.NextRetryAt != "2024-01-02T04:00:00Z" {
		t.Fatalf("pending event JSON %s", b)
	}
}

func TestInvocationLogJSON(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	req := json.RawMessage(`{"event":{"op":"INSERT"},"id":"e"}`)
	const defaults = `[{"name":"Content-Type","value":"application/json"},{"name":"User-Agent","value":"` + UserAgent + `"}`
	for _, c := range []struct {
		log  *InvocationLog
		hdrs []Header
		want string
	}{
		{&InvocationLog{ID: "l", EventID: "e", Trigger: "t", Status: 200, Request: req, Response: `{"ok":true}`, CreatedAt: at},
			[]Header{{Name: "X-A", Value: "v"}, {Name: "X-B", ValueFromEnv: "B_TOKEN"}},
			`{"id":"l","trigger_name":"t","event_id":"e","http_status":200,"request":{"payload":` + string(req) + `,"headers":` + defaults +
				`,{"name":"X-A","value":"v"},{"name":"X-B","value_from_env":"B_TOKEN"}],"version":"2"},` +
				`"response":{"type":"webhook_response","data":{"body":"{\"ok\":true}","headers":[],"status":200},"version":"2"},"created_at":"2024-01-02T03:04:05.123456Z"}`},
		// A response of 300 or more is a client error with the body.
		{&InvocationLog{ID: "l", EventID: "e", Trigger: "t", Status: 503, Request: req, Response: "busy", CreatedAt: at}, nil,
			`{"id":"l","trigger_name":"t","event_id":"e","http_status":503,"request":{"payload":` + string(req) + `,"headers":` + defaults + `],"version":"2"},` +
				`"response":{"type":"client_error","data":{"message":"busy"},"version":"2"},"created_at":"2024-01-02T03:04:05.123456Z"}`},
		// No response at all: no status, the error as the message.
		{&InvocationLog{ID: "l", EventID: "e", Trigger: "t", Request: req, Error: "dial tcp: connection refused", CreatedAt: at}, nil,
			`{"id":"l","trigger_name":"t","event_id":"e","http_status":null,"request":{"payload":` + string(req) + `,"headers":` + defaults + `],"version":"2"},` +
				`"response":{"type":"client_error","data":{"message":"dial tcp: connection refused"},"version":"2"},"created_at":"2024-01-02T03:04:05.123456Z"}`},
	} {
		c.log.SetRequestHeaders(c.hdrs)
		if b, err := json.Marshal(c.log); err != nil || string(b) != c.want {
			t.Errorf("invocation log JSON\n got %s\nwant %s (%v)", b, c.want, err)
		}
	}
}
