package delivery

import (
	"strconv"
	"strings"
	"time"

	"github.com/graftql/graft/replication"
)

// The webhook body and the invocation log are written for every attempt;
// appending them by hand costs a fraction of encoding/json's reflection and
// RawMessage re-validation, which were a tenth of the delivery path's CPU.

// appendPayload appends Hasura's webhook body for the event's next attempt.
// The event object is written as the dispatcher built it (valid JSON, from
// Postgres's row_to_json), without re-escaping, as Hasura does.
func appendPayload(b []byte, e *Event, maxRetries int) []byte {
	b = append(b, `{"event":`...)
	b = append(b, e.body...)
	b = append(b, `,"created_at":"`...)
	b = e.CreatedAt.UTC().AppendFormat(b, createdAtLayout)
	b = append(b, `","id":`...)
	b = replication.AppendJSONString(b, e.ID)
	b = append(b, `,"delivery_info":{"max_retries":`...)
	b = strconv.AppendInt(b, int64(maxRetries), 10)
	b = append(b, `,"current_retry":`...)
	b = strconv.AppendInt(b, int64(e.Tries), 10)
	b = append(b, `},"trigger":{"name":`...)
	b = replication.AppendJSONString(b, e.Trigger)
	b = append(b, `},"table":{"schema":`...)
	b = replication.AppendJSONString(b, e.Table.Schema)
	b = append(b, `,"name":`...)
	b = replication.AppendJSONString(b, e.Table.Name)
	return append(b, "}}"...)
}

// appendLog appends l as encoding/json would marshal it (decodeLogs reads
// it back with encoding/json).
func appendLog(b []byte, l *InvocationLog) []byte {
	b = append(b, `{"id":`...)
	b = replication.AppendJSONString(b, l.ID)
	b = append(b, `,"event_id":`...)
	b = replication.AppendJSONString(b, l.EventID)
	b = append(b, `,"trigger_name":`...)
	b = replication.AppendJSONString(b, l.Trigger)
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(l.Attempt), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.Status), 10)
	b = append(b, `,"request":`...)
	if len(l.Request) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, l.Request...)
	}
	b = append(b, `,"response":`...)
	b = replication.AppendJSONString(b, strings.ToValidUTF8(l.Response, "\uFFFD"))
	if l.Error != "" {
		b = append(b, `,"error":`...)
		b = replication.AppendJSONString(b, strings.ToValidUTF8(l.Error, "\uFFFD"))
	}
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(l.Duration), 10)
	b = append(b, `,"created_at":"`...)
	b = l.CreatedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}
