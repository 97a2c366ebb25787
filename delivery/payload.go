package delivery

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// createdAtLayout renders created_at as Hasura does: UTC, microseconds, no
// zone suffix (event_log.created_at is a timestamp without time zone).
const createdAtLayout = "2006-01-02T15:04:05.000000"

// adminSession is the session of a manual invocation with none given
// (pg_invoke_event_trigger runs as the admin calling it).
var adminSession = json.RawMessage(`{"x-hasura-role":"admin"}`)

// eventNamespace is the UUIDv5 namespace of event ids.
var eventNamespace = [16]byte{0x6b, 0x1c, 0x3e, 0x52, 0x9d, 0x0f, 0x4a, 0x7e, 0x8c, 0x21, 0x5f, 0x43, 0xd0, 0x9a, 0x1b, 0x77}

// EventID is the id of the event that trigger fires for the change at index
// changeIndex of the transaction committed at commitLSN: a UUIDv5, the same
// every time the transaction is read again from the slot.
func EventID(commitLSN uint64, changeIndex int, trigger string) string {
	h := sha1.New()
	h.Write(eventNamespace[:])
	fmt.Fprintf(h, "%d/%d/%s", commitLSN, changeIndex, trigger)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// randomID is a UUIDv4.
func randomID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// eventBody is the "event" object of the payload.
type eventBody struct {
	SessionVariables json.RawMessage `json:"session_variables"`
	Op               string          `json:"op"`
	Data             eventData       `json:"data"`
	TraceContext     json.RawMessage `json:"trace_context,omitempty"`
}

type eventData struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// payload is the body POSTed to the webhook.
type payload struct {
	Event        json.RawMessage `json:"event"`
	CreatedAt    string          `json:"created_at"`
	ID           string          `json:"id"`
	DeliveryInfo struct {
		MaxRetries   int `json:"max_retries"`
		CurrentRetry int `json:"current_retry"`
	} `json:"delivery_info"`
	Trigger struct {
		Name string `json:"name"`
	} `json:"trigger"`
	Table struct {
		Schema string `json:"schema"`
		Name   string `json:"name"`
	} `json:"table"`
}

// newEvent is an event ready to be queued.
type newEvent struct {
	ID        string
	Trigger   *Trigger
	Table     Relation
	Op        string
	Body      []byte // the "event" object
	CreatedAt time.Time
	Key       string // identity of the row, for ordering
	// Seq orders WAL events (commit LSN, change, trigger) in fixed-width hex
	// so that Redis compares them as strings; empty for manual events.
	Seq string
}

// walSeq is newEvent.Seq of a change's event.
func walSeq(commitLSN uint64, change, trigger int) string {
	return fmt.Sprintf("%016x%08x%04x", commitLSN, change, trigger)
}

// buildEvent makes the event trigger t fires for one row. oldRow/newRow are
// as row_to_json renders them (nil = null); the payload keeps the columns of
// the trigger's payload spec, the ordering key comes from the whole row.
// A nil session is written as null: a change made outside Graft carries no
// session, as Hasura's trigger reads an unset hasura.user as NULL.
func buildEvent(id string, t *Trigger, table Relation, op string, oldRow, newRow, session, trace json.RawMessage, at time.Time) (*newEvent, error) {
	payloadCols := Columns{All: true}
	if s := t.spec(op); s != nil {
		payloadCols = s.Payload
	}
	oldData, err := project(oldRow, payloadCols)
	if err != nil {
		return nil, fmt.Errorf("old row: %w", err)
	}
	newData, err := project(newRow, payloadCols)
	if err != nil {
		return nil, fmt.Errorf("new row: %w", err)
	}
	if len(trace) == 0 || bytes.Equal(trace, []byte("null")) {
		trace = nil
	}
	body, err := json.Marshal(eventBody{SessionVariables: session, Op: op, Data: eventData{Old: oldData, New: newData}, TraceContext: trace})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	keyRow := newRow // the row's key after the change: later events see it
	if op == "DELETE" || len(keyRow) == 0 {
		keyRow = oldRow
	}
	return &newEvent{ID: id, Trigger: t, Table: table, Op: op, Body: body, CreatedAt: at.UTC(), Key: rowKey(keyRow, t.PrimaryKey)}, nil
}

// render builds the webhook body of a stored event for its next attempt
// (delivery_info.current_retry = e.Tries).
func render(e *Event, maxRetries int) ([]byte, error) {
	if len(e.body) == 0 || e.body[0] != '{' {
		return nil, fmt.Errorf("event %s: the stored event is not a JSON object", e.ID)
	}
	return appendPayload(make([]byte, 0, len(e.body)+256), e, maxRetries), nil
}

// field is one top-level member of a JSON object, in document order.
type field struct {
	Key   string
	Value json.RawMessage
}

// objectFields splits a JSON object into its members, keeping their order.
// It runs for every event (the row's key), so valid objects whose keys have
// no escapes, which is every row_to_json row of ordinary column names, are
// split by a plain scan; the rest go through encoding/json's tokenizer.
func objectFields(raw json.RawMessage) ([]field, error) {
	if json.Valid(raw) {
		if out, ok := scanObject(raw); ok {
			return out, nil
		}
	}
	return decodeObjectFields(raw)
}

// scanObject splits valid JSON, if it is an object without escapes in its
// keys. The values alias raw.
func scanObject(b []byte) ([]field, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var out []field
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return out, true
	}
	for i < len(b) && b[i] == '"' {
		n := bytes.IndexByte(b[i+1:], '"')
		if n < 0 {
			return nil, false
		}
		key := b[i+1 : i+1+n]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, false
		}
		if i = skipSpace(b, i+n+2); i >= len(b) || b[i] != ':' {
			return nil, false
		}
		start := skipSpace(b, i+1)
		end := skipValue(b, start)
		out = append(out, field{Key: string(key), Value: json.RawMessage(b[start:end])})
		if i = skipSpace(b, end); i >= len(b) {
			return nil, false
		}
		if b[i] == '}' {
			return out, true
		}
		if b[i] != ',' {
			return nil, false
		}
		i = skipSpace(b, i+1)
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the value starting at b[i] in valid JSON.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			i++
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
		default:
			if depth == 0 {
				for i < len(b) && !endsScalar(b[i]) {
					i++
				}
				return i
			}
			i++
			continue
		}
		if depth == 0 {
			return i
		}
	}
	return i
}

func endsScalar(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// decodeObjectFields is objectFields with encoding/json's tokenizer.
func decodeObjectFields(raw json.RawMessage) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("row is not a JSON object")
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{Key: tok.(string), Value: v})
	}
	return out, nil
}

// project keeps the columns of row that cols lists (all for "*").
func project(row json.RawMessage, cols Columns) (json.RawMessage, error) {
	if len(row) == 0 || bytes.Equal(row, []byte("null")) {
		return nil, nil
	}
	if cols.All {
		return row, nil
	}
	fields, err := objectFields(row)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, f := range fields {
		if !cols.Has(f.Key) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(strconv.Quote(f.Key))
		b.WriteByte(':')
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// rowKey is the identity of a row: its primary-key values when pk is known
// and present in the row, else the whole row.
func rowKey(row json.RawMessage, pk []string) string {
	if len(pk) > 0 {
		if fields, err := objectFields(row); err == nil {
			vals := make([]json.RawMessage, 0, len(pk))
			for _, col := range pk {
				for _, f := range fields {
					if f.Key == col {
						vals = append(vals, f.Value)
						break
					}
				}
			}
			if len(vals) == len(pk) {
				b, _ := json.Marshal(vals)
				return string(b)
			}
		}
	}
	return string(row)
}

// contentHash names stored trigger definitions.
func contentHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// queueName is the identity of one trigger and row: its events are
// delivered in order.
func queueName(trigger string, table Relation, key string) string {
	h := sha256.New()
	for _, s := range []string{trigger, table.Schema, table.Name, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
