package delivery

import (
	"strconv"
	"time"
	"unicode/utf8"
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
	b = appendJSONString(b, e.ID)
	b = append(b, `,"delivery_info":{"max_retries":`...)
	b = strconv.AppendInt(b, int64(maxRetries), 10)
	b = append(b, `,"current_retry":`...)
	b = strconv.AppendInt(b, int64(e.Tries), 10)
	b = append(b, `},"trigger":{"name":`...)
	b = appendJSONString(b, e.Trigger)
	b = append(b, `},"table":{"schema":`...)
	b = appendJSONString(b, e.Table.Schema)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, e.Table.Name)
	return append(b, "}}"...)
}

// appendLog appends l as encoding/json would marshal it (decodeLogs reads
// it back with encoding/json).
func appendLog(b []byte, l *InvocationLog) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, l.ID)
	b = append(b, `,"event_id":`...)
	b = appendJSONString(b, l.EventID)
	b = append(b, `,"trigger_name":`...)
	b = appendJSONString(b, l.Trigger)
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
	b = appendJSONString(b, l.Response)
	if l.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, l.Error)
	}
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(l.Duration), 10)
	b = append(b, `,"created_at":"`...)
	b = l.CreatedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
