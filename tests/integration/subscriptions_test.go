package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/tests/testenv"
)

// wsClient is a minimal client of either GraphQL WebSocket protocol.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialWS(t *testing.T, s *testenv.Server, proto string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{proto}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/v1/graphql", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

type wsFrame struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// next reads the next frame that is not a keep-alive, within a deadline
// (one for the whole wait: keep-alives do not extend it).
func (c *wsClient) next() wsFrame {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.conn.SetReadDeadline(deadline)
		var f wsFrame
		if err := c.conn.ReadJSON(&f); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if f.Type != "ka" {
			return f
		}
	}
}

func (c *wsClient) expect(typ, id, payload string) {
	c.t.Helper()
	f := c.next()
	if f.Type != typ || f.ID != id {
		c.t.Fatalf("got frame %s %q %s, want %s %q", f.Type, f.ID, f.Payload, typ, id)
	}
	if payload != "" {
		mustBody(c.t, &testenv.Response{Body: f.Payload}, payload)
	}
}

// closeCode reads until the server closes and returns the close code.
func (c *wsClient) closeCode() int {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.conn.SetReadDeadline(deadline)
		if _, _, err := c.conn.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func startChat(t *testing.T) *testenv.Server {
	t.Helper()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	s.RunSQL(`CREATE TABLE msg (id serial PRIMARY KEY, room text NOT NULL, body text NOT NULL);
	          CREATE TABLE other (id serial PRIMARY KEY)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "msg"}},
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "other"}},
		perm("select", "msg", "member", map[string]any{"columns": []string{"id", "body"}, "filter": map[string]any{"room": map[string]any{"_eq": "X-Hasura-Room"}}}),
	}})
	return s
}

var adminInit = map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": testenv.AdminSecret}}}

func TestSubscriptionsApolloProtocol(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	c := dialWS(t, s, "graphql-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	sub := `subscription($room: String!) { msg(where: {room: {_eq: $room}}, order_by: {id: asc}) { body } }`
	c.send(map[string]any{"id": "1", "type": "start", "payload": map[string]any{"query": sub, "variables": map[string]any{"room": "a"}}})
	c.expect("data", "1", `{"data":{"msg":[]}}`)
	s.GraphQL(`mutation { insert_msg(objects: [{room: "a", body: "hello"}]) { affected_rows } }`, nil)
	c.expect("data", "1", `{"data":{"msg":[{"body":"hello"}]}}`)
	// A query over the socket: one result, then complete.
	c.send(map[string]any{"id": "2", "type": "start", "payload": map[string]any{"query": `{ msg_aggregate { aggregate { count } } }`}})
	c.expect("data", "2", `{"data":{"msg_aggregate":{"aggregate":{"count":1}}}}`)
	c.expect("complete", "2", "")
	// A write to another room's rows changes nothing for this subscriber:
	// stop has no reply (as with Hasura), so the next frame is the query's.
	s.GraphQL(`mutation { insert_msg(objects: [{room: "b", body: "elsewhere"}]) { affected_rows } }`, nil)
	c.send(map[string]any{"id": "1", "type": "stop"})
	c.send(map[string]any{"id": "3", "type": "start", "payload": map[string]any{"query": `{ msg_aggregate { aggregate { count } } }`}})
	c.expect("data", "3", `{"data":{"msg_aggregate":{"aggregate":{"count":2}}}}`)
	c.expect("complete", "3", "")
	c.send(map[string]any{"type": "no_such_type"})
	c.expect("connection_error", "", "")
	c.send(map[string]any{"type": "connection_terminate"})
	if code := c.closeCode(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d", code)
	}
}

func TestSubscriptionsTransportProtocol(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Hasura-Role": "member", "X-Hasura-Room": "a"}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"type": "ping"})
	c.expect("pong", "", "")
	c.send(map[string]any{"id": "s", "type": "subscribe", "payload": map[string]any{"query": `subscription { msg { body } }`}})
	c.expect("next", "s", `{"data":{"msg":[]}}`)
	s.GraphQL(`mutation { insert_msg(objects: [{room: "b", body: "not yours"}, {room: "a", body: "yours"}]) { affected_rows } }`, nil)
	c.expect("next", "s", `{"data":{"msg":[{"body":"yours"}]}}`)
	// The role's schema has no room column: a validation error for that operation.
	c.send(map[string]any{"id": "bad", "type": "subscribe", "payload": map[string]any{"query": `subscription { msg { room } }`}})
	f := c.next()
	if f.Type != "error" || f.ID != "bad" || !strings.Contains(string(f.Payload), "validation-failed") {
		t.Fatalf("want an error frame, got %s %s %s", f.Type, f.ID, f.Payload)
	}
	c.send(map[string]any{"id": "s", "type": "subscribe", "payload": map[string]any{"query": `subscription { msg { body } }`}})
	if code := c.closeCode(); code != 4409 {
		t.Fatalf("duplicate id: close code %d, want 4409", code)
	}
}

func TestSubscriptionsAuthAndSharing(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	bad := dialWS(t, s, "graphql-transport-ws")
	bad.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{}}})
	if code := bad.closeCode(); code != 4403 {
		t.Fatalf("unauthenticated init: close code %d, want 4403", code)
	}
	apollo := dialWS(t, s, "graphql-ws")
	apollo.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{}}})
	apollo.expect("connection_error", "", "")

	// Identical subscriptions share one cohort; different variables do not.
	q := `subscription($r: String) { msg(where: {room: {_eq: $r}}) { id } }`
	var clients []*wsClient
	for i, room := range []string{"a", "a", "b"} {
		c := dialWS(t, s, "graphql-ws")
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		c.send(map[string]any{"id": "x", "type": "start", "payload": map[string]any{"query": q, "variables": map[string]any{"r": room}}})
		c.expect("data", "x", `{"data":{"msg":[]}}`)
		clients = append(clients, c)
		_ = i
	}
	if n := s.App.Engine.Live.Cohorts(); n != 2 {
		t.Fatalf("%d live cohorts for 2 distinct subscriptions", n)
	}
	// Both cohorts (rooms a and b) are refetched by one multiplexed statement.
	before := s.App.Engine.Live.Statements()
	s.GraphQL(`mutation { insert_msg(objects: [{room: "a", body: "hi"}, {room: "b", body: "yo"}]) { affected_rows } }`, nil)
	clients[0].expect("data", "x", `{"data":{"msg":[{"id":1}]}}`)
	clients[1].expect("data", "x", `{"data":{"msg":[{"id":1}]}}`)
	clients[2].expect("data", "x", `{"data":{"msg":[{"id":2}]}}`)
	if n := s.App.Engine.Live.Statements() - before; n != 1 {
		t.Fatalf("refetching 2 cohorts of one query shape took %d statements, want 1", n)
	}
}

func TestSubscriptionsFallbackRefetchSeesPlainSQL(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{LiveFallbackMS: "100"})
	s.RunSQL(`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "counter"}})
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": testenv.AdminSecret}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { counter_by_pk(id: 1) { n } }`}})
	c.expect("next", "1", `{"data":{"counter_by_pk":{"n":0}}}`)
	// Written behind Graft's back: no invalidation, the fallback refetch finds it,
	// and unchanged results in between are never pushed.
	testenv.Exec(t, db, `UPDATE counter SET n = 1 WHERE id = 1`)
	c.expect("next", "1", `{"data":{"counter_by_pk":{"n":1}}}`)
}

func TestSubscriptionsStreaming(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	s.GraphQL(`mutation { insert_msg(objects: [{room: "a", body: "m1"}, {room: "a", body: "m2"}, {room: "a", body: "m3"}]) { affected_rows } }`, nil)
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": testenv.AdminSecret}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "st", "type": "subscribe", "payload": map[string]any{"query": `subscription {
	  msg_stream(batch_size: 2, cursor: {initial_value: {id: 1}, ordering: ASC}, where: {room: {_eq: "a"}}) { id body } }`}})
	// Rows past the cursor, in batches of 2, each row once.
	c.expect("next", "st", `{"data":{"msg_stream":[{"id":2,"body":"m2"},{"id":3,"body":"m3"}]}}`)
	s.GraphQL(`mutation { insert_msg(objects: [{room: "b", body: "other room"}, {room: "a", body: "m5"}]) { affected_rows } }`, nil)
	c.expect("next", "st", `{"data":{"msg_stream":[{"id":5,"body":"m5"}]}}`)
	s.GraphQL(`mutation { insert_msg_one(object: {room: "a", body: "m6"}) { id } }`, nil)
	c.expect("next", "st", `{"data":{"msg_stream":[{"id":6,"body":"m6"}]}}`)
	// A streaming field is a subscription only.
	mustErrorCode(t, s.GraphQL(`{ msg_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }`, nil), "validation-failed")
}

// Cohorts beyond one multiplexed batch: one statement per batch (the
// batches run side by side), and every cohort gets its own result.
func TestSubscriptionsSeveralBatches(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db, testenv.Options{LiveBatchSize: "2"})
	s.RunSQL(`CREATE TABLE msg (id serial PRIMARY KEY, room text NOT NULL, body text NOT NULL)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "msg"}})
	q := `subscription($r: String) { msg(where: {room: {_eq: $r}}) { body } }`
	rooms := []string{"a", "b", "c", "d", "e"}
	var clients []*wsClient
	for _, room := range rooms {
		c := dialWS(t, s, "graphql-transport-ws")
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		c.send(map[string]any{"id": "x", "type": "subscribe", "payload": map[string]any{"query": q, "variables": map[string]any{"r": room}}})
		c.expect("next", "x", `{"data":{"msg":[]}}`)
		clients = append(clients, c)
	}
	before := s.App.Engine.Live.Statements()
	var objects []any
	for _, room := range rooms {
		objects = append(objects, map[string]any{"room": room, "body": "to " + room})
	}
	s.GraphQL(`mutation($o: [msg_insert_input!]!) { insert_msg(objects: $o) { affected_rows } }`, map[string]any{"o": objects})
	for i, room := range rooms {
		clients[i].expect("next", "x", `{"data":{"msg":[{"body":"to `+room+`"}]}}`)
	}
	if n := s.App.Engine.Live.Statements() - before; n != 3 {
		t.Fatalf("refetching 5 cohorts in batches of 2 took %d statements, want 3", n)
	}
}
