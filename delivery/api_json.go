package delivery

import (
	"encoding/json"
	"time"
)

// The metadata API's event and invocation log rows, in the shape of
// Hasura's EventLog and EventInvocationLog (server/src-lib/Hasura/RQL/
// Types/EventTrigger.hs): fields in their order, and times as aeson
// writes a UTCTime (UTC, "Z", fractional seconds without trailing zeros).

const apiTimeLayout = "2006-01-02T15:04:05.999999Z"

func apiTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(apiTimeLayout)
	return &s
}

// MarshalJSON renders the event as a row of Hasura's hdb_catalog.event_log,
// what pg_get_event_logs and pg_get_event_by_id return. Its payload is the
// webhook payload's "event" object (op, data, session_variables and
// trace_context), which is what Hasura stores in event_log.payload;
// delivered and error tell processed from dead-lettered events.
func (e *Event) MarshalJSON() ([]byte, error) {
	var next *string
	if e.Status == StatusPending {
		next = apiTime(e.NextRetryAt)
	}
	payload := e.body
	if len(payload) == 0 {
		payload = json.RawMessage("null")
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
		CreatedAt   *string         `json:"created_at"`
		Locked      *string         `json:"locked"`
		NextRetryAt *string         `json:"next_retry_at"`
		Archived    bool            `json:"archived"`
	}{e.ID, e.Table.Schema, e.Table.Name, e.Trigger, payload, e.Status == StatusProcessed, e.Status == StatusDead,
		e.Tries, apiTime(e.CreatedAt), nil, next, false})
}

// SetRequestHeaders names the headers an attempt was sent with, for the
// request of MarshalJSON: the trigger's configured headers (a value from
// the environment is named, not shown). Without it only the headers every
// delivery has are listed.
func (l *InvocationLog) SetRequestHeaders(h []Header) { l.headers = h }

// invocationVersion is Hasura's version of the event trigger invocation
// request and response JSON.
const invocationVersion = "2"

// MarshalJSON renders the attempt as a row of Hasura's
// hdb_catalog.event_invocation_logs: http_status (null when no response
// came), the request as {payload, headers, version} and the response as
// {type, data, version}: "webhook_response" with the body and status of a
// response under 300, "client_error" with the body of any other response,
// or the error when there was none. Response headers are not recorded:
// the list is empty.
func (l *InvocationLog) MarshalJSON() ([]byte, error) {
	type header struct {
		Name         string `json:"name"`
		Value        string `json:"value,omitempty"`
		ValueFromEnv string `json:"value_from_env,omitempty"`
	}
	headers := []header{{Name: "Content-Type", Value: "application/json"}, {Name: "User-Agent", Value: UserAgent}}
	for _, h := range l.headers {
		headers = append(headers, header(h))
	}
	request := struct {
		Payload json.RawMessage `json:"payload"`
		Headers []header        `json:"headers"`
		Version string          `json:"version"`
	}{l.Request, headers, invocationVersion}
	if len(request.Payload) == 0 {
		request.Payload = json.RawMessage("null")
	}
	type response struct {
		Type    string `json:"type"`
		Data    any    `json:"data"`
		Version string `json:"version"`
	}
	var status *int
	var resp response
	switch {
	case l.Status != 0 && l.Status < 300:
		resp = response{"webhook_response", struct {
			Body    string   `json:"body"`
			Headers []header `json:"headers"`
			Status  int      `json:"status"`
		}{l.Response, []header{}, l.Status}, invocationVersion}
	default:
		msg := l.Response
		if l.Status == 0 && l.Error != "" {
			msg = l.Error
		}
		resp = response{"client_error", struct {
			Message string `json:"message"`
		}{msg}, invocationVersion}
	}
	if l.Status != 0 {
		status = &l.Status
	}
	return json.Marshal(struct {
		ID          string  `json:"id"`
		TriggerName string  `json:"trigger_name"`
		EventID     string  `json:"event_id"`
		HTTPStatus  *int    `json:"http_status"`
		Request     any     `json:"request"`
		Response    any     `json:"response"`
		CreatedAt   *string `json:"created_at"`
	}{l.ID, l.Trigger, l.EventID, status, request, resp, apiTime(l.CreatedAt)})
}
