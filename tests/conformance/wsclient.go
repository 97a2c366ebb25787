package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// wsSubprotocol is Apollo's subscriptions-transport-ws, the protocol the
	// harness's websocket and subscription transports speak.
	wsSubprotocol = "graphql-ws"
	// wsFrameTimeout bounds the wait for each expected frame (the harness
	// waits 15 seconds for an answer).
	wsFrameTimeout = 15 * time.Second
	// wsOperationID is the id the harness gives its one operation.
	wsOperationID = "hge_test"
	// subscriptionDirective lets a subscription have several root fields.
	subscriptionDirective = "@_multiple_top_level_fields"
)

// socketResult is what one step got over a socket: the first frame for the
// operation, whose payload is compared like an HTTP body.
type socketResult struct {
	frameType string // type of the first frame for the operation
	body      []byte // its payload, or the whole frame when it is not data/error
	compare   bool   // body is a data or error payload to compare with response
}

// wsFrame is one message of the Apollo protocol.
type wsFrame struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
	raw     []byte
}

func (f wsFrame) String() string { return truncate(compactJSON(f.raw), 500) }

// socketStep runs one step over a fresh Apollo socket as FORMAT.md §6
// describes: connection_init with the headers, connection_ack, start, then
// one data frame (or error, when expectError) for the operation, then
// complete; with subscription the query becomes a subscription and stop
// follows the first data frame. The returned problems are protocol
// violations; comparing the payload is left to the caller.
func (c *graftClient) socketStep(ctx context.Context, step Step, headers map[string]string, subscription, expectError bool) (socketResult, []string) {
	var res socketResult
	payload := json.RawMessage(step.Query)
	if subscription {
		var err error
		if payload, err = asSubscription(step.Query); err != nil {
			return res, []string{err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*wsFrameTimeout)
	defer cancel()
	dialer := websocket.Dialer{Subprotocols: []string{wsSubprotocol}, HandshakeTimeout: wsFrameTimeout}
	url := "ws" + strings.TrimPrefix(c.baseURL, "http") + step.URL
	conn, resp, err := dialer.DialContext(ctx, url, nil)
	if err != nil {
		status := ""
		if resp != nil {
			status = fmt.Sprintf(" (HTTP %d)", resp.StatusCode)
		}
		return res, []string{fmt.Sprintf("websocket handshake on %s%s: %v", step.URL, status, err)}
	}
	defer conn.Close()
	stopClosing := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClosing()
	s := &socket{conn: conn}
	if p := conn.Subprotocol(); p != wsSubprotocol {
		return res, []string{fmt.Sprintf("server chose sub-protocol %q, not %q", p, wsSubprotocol)}
	}

	if err := s.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": headers}}); err != nil {
		return res, []string{err.Error()}
	}
	f, err := s.next()
	if err != nil {
		return res, []string{"waiting for connection_ack: " + err.Error()}
	}
	if f.Type != "connection_ack" {
		return res, []string{"expected connection_ack, got " + f.String()}
	}

	if err := s.send(map[string]any{"id": wsOperationID, "type": "start", "payload": payload}); err != nil {
		return res, []string{err.Error()}
	}
	f, err = s.next()
	if err != nil {
		return res, []string{"waiting for the operation's data frame: " + err.Error()}
	}
	res.frameType, res.body = f.Type, f.raw
	if f.ID == nil || *f.ID != wsOperationID {
		return res, []string{fmt.Sprintf("expected a frame for operation %q, got %s", wsOperationID, f)}
	}
	allowed := []string{"data"}
	if expectError {
		allowed = append(allowed, "error")
	}
	if !slices.Contains(allowed, f.Type) {
		return res, []string{fmt.Sprintf("expected a %s frame, got %s", strings.Join(allowed, " or "), f)}
	}
	if len(f.Payload) == 0 {
		return res, []string{"the " + f.Type + " frame has no payload"}
	}
	res.body, res.compare = f.Payload, true

	var problems []string
	if subscription {
		if err := s.send(map[string]any{"id": wsOperationID, "type": "stop"}); err != nil {
			problems = append(problems, err.Error())
		}
	} else {
		f, err = s.next()
		switch {
		case err != nil:
			problems = append(problems, "waiting for complete: "+err.Error())
		case f.Type != "complete" || f.ID == nil || *f.ID != wsOperationID:
			problems = append(problems, fmt.Sprintf("expected complete for operation %q after the %s frame, got %s", wsOperationID, res.frameType, f))
		}
	}
	s.close()
	return res, problems
}

// socket reads and writes frames of one connection.
type socket struct {
	conn *websocket.Conn
}

func (s *socket) send(v any) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(wsFrameTimeout))
	if err := s.conn.WriteJSON(v); err != nil {
		return fmt.Errorf("websocket write: %w", err)
	}
	return nil
}

// next returns the next frame that is not a keep-alive.
func (s *socket) next() (wsFrame, error) {
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(wsFrameTimeout))
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return wsFrame{}, fmt.Errorf("server closed the socket (code %d %q)", ce.Code, ce.Text)
			}
			return wsFrame{}, fmt.Errorf("websocket read: %w", err)
		}
		var f wsFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return wsFrame{}, fmt.Errorf("frame is not JSON: %s", truncate(string(data), 300))
		}
		f.raw = data
		if f.Type != "ka" {
			return f, nil
		}
	}
}

// close says goodbye as a well-behaved client does; errors do not matter.
func (s *socket) close() {
	_ = s.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}

// asSubscription rewrites a query body for the subscription transport as
// the harness does: the text must begin with `query `, which becomes
// `subscription`, and the directive goes before the first `{`.
func asSubscription(body []byte) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("subscription transport needs a single operation {query, ...}: %w", err)
	}
	var text string
	if err := json.Unmarshal(m["query"], &text); err != nil {
		return nil, fmt.Errorf("subscription transport: query is not a string: %w", err)
	}
	if !strings.HasPrefix(text, "query ") {
		return nil, fmt.Errorf("subscription transport: query text must begin with \"query \": %s", truncate(text, 100))
	}
	text = "subscription" + strings.TrimPrefix(text, "query")
	brace := strings.Index(text, "{")
	if brace < 0 {
		return nil, fmt.Errorf("subscription transport: query text has no selection set: %s", truncate(text, 100))
	}
	text = strings.TrimRight(text[:brace], " \t\r\n") + " " + subscriptionDirective + " " + text[brace:]
	q, err := json.Marshal(text)
	if err != nil {
		return nil, fmt.Errorf("encode query: %w", err)
	}
	m["query"] = q
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return out, nil
}
