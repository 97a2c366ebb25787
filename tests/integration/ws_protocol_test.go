package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/tests/testenv"
)

// Hasura's behaviour on the Apollo protocol (subscriptions-transport-ws,
// sub-protocol graphql-ws), as its Python suite checks it (the conformance
// corpus's FORMAT.md §10).

// apolloSession dials the Apollo protocol on path and initialises it as admin.
func apolloSession(t *testing.T, s *testenv.Server, path string) *wsClient {
	t.Helper()
	c := dialWSPath(t, s, "graphql-ws", path)
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	return c
}

func dialWSPath(t *testing.T, s *testenv.Server, proto, path string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{proto}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != proto {
		t.Fatalf("server chose sub-protocol %q, want %q", got, proto)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func start(c *wsClient, id, query string) {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "start", "payload": map[string]any{"query": query}})
}

// closedWithoutReply requires the server to close the socket with no frame
// but keep-alives before the close, and returns the close code.
func (c *wsClient) closedWithoutReply() int {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.conn.SetReadDeadline(deadline)
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
		var f wsFrame
		if json.Unmarshal(data, &f) != nil || f.Type != "ka" {
			c.t.Fatalf("expected no reply before the close, got %s", data)
		}
	}
}

// errorCode returns the code of an error frame's payload, whether it is one
// error object (flat legacy form included) or a {"errors": [...]} body.
func errorCode(t *testing.T, payload json.RawMessage) string {
	t.Helper()
	var one struct {
		Code       string `json:"code"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(payload, &one); err != nil {
		t.Fatalf("error payload is not an object: %s", payload)
	}
	switch {
	case len(one.Errors) > 0:
		return one.Errors[0].Extensions.Code
	case one.Extensions.Code != "":
		return one.Extensions.Code
	}
	return one.Code
}

func TestApolloConnectionErrors(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	c := apolloSession(t, s, "/v1/graphql")

	// An unknown message type is a connection error; the socket stays usable.
	c.send(map[string]any{"type": "no_such_type"})
	c.expect("connection_error", "", "")
	// So is stop without an id.
	c.send(map[string]any{"type": "stop"})
	c.expect("connection_error", "", "")
	// And a start whose payload is not a GraphQL request.
	c.send(map[string]any{"id": "bad", "type": "start", "payload": "not a request"})
	c.expect("connection_error", "", "")
	// stop of an id nobody started is ignored: the next frame is the query's.
	c.send(map[string]any{"id": "nobody", "type": "stop"})
	start(c, "q", `{ msg_aggregate { aggregate { count } } }`)
	c.expect("data", "q", `{"data":{"msg_aggregate":{"aggregate":{"count":0}}}}`)
	c.expect("complete", "q", "")
}

func TestApolloStartRunsQueriesOnce(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	for _, path := range []string{"/v1/graphql", "/v1alpha1/graphql"} {
		c := apolloSession(t, s, path)
		// A mutation: one data frame, then complete.
		start(c, "m", `mutation { insert_msg(objects: [{room: "a", body: "hi"}]) { affected_rows } }`)
		c.expect("data", "m", `{"data":{"insert_msg":{"affected_rows":1}}}`)
		c.expect("complete", "m", "")
		// A query, given as `query`: one data frame, then complete, not a live query.
		start(c, "q", `query { msg(order_by: {id: asc}) { body } }`)
		c.expect("data", "q", "")
		c.expect("complete", "q", "")
		if n := s.App.Engine.Live.Cohorts(); n != 0 {
			t.Fatalf("%s: a query started %d live cohorts", path, n)
		}
		// A request error: an error frame with a GraphQL error body, then complete.
		start(c, "e", `query { no_such_field }`)
		f := c.next()
		if f.Type != "error" || f.ID != "e" || errorCode(t, f.Payload) != "validation-failed" {
			t.Fatalf("%s: want an error frame with validation-failed, got %s %q %s", path, f.Type, f.ID, f.Payload)
		}
		c.expect("complete", "e", "")
		// The frames were all: stop of the finished query changes nothing.
		c.send(map[string]any{"id": "q", "type": "stop"})
		start(c, "last", `query { msg_aggregate { aggregate { count } } }`)
		c.expect("data", "last", "")
		s.GraphQL(`mutation { delete_msg(where: {}) { affected_rows } }`, nil)
	}
}

func TestApolloStopEndsFrames(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	sub := `subscription { msg(order_by: {id: asc}) { body } }`
	c := apolloSession(t, s, "/v1/graphql")
	start(c, "s", sub)
	c.expect("data", "s", `{"data":{"msg":[]}}`)
	// A witness on another socket shares the cohort and keeps it alive.
	w := apolloSession(t, s, "/v1/graphql")
	start(w, "s", sub)
	w.expect("data", "s", `{"data":{"msg":[]}}`)

	// stop has no reply, and no result arrives for the id afterwards.
	c.send(map[string]any{"id": "s", "type": "stop"})
	s.GraphQL(`mutation { insert_msg(objects: [{room: "a", body: "after stop"}]) { affected_rows } }`, nil)
	w.expect("data", "s", `{"data":{"msg":[{"body":"after stop"}]}}`)
	start(c, "q", `{ msg { body } }`)
	c.expect("data", "q", `{"data":{"msg":[{"body":"after stop"}]}}`)
	c.expect("complete", "q", "")
}

func TestApolloConnectionTerminate(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	c := apolloSession(t, s, "/v1/graphql")
	c.send(map[string]any{"type": "connection_terminate"})
	if code := c.closedWithoutReply(); code != websocket.CloseNormalClosure {
		t.Fatalf("connection_terminate: close code %d, want %d", code, websocket.CloseNormalClosure)
	}
}

func TestApolloInitWithoutCredentialsCloses(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	for _, payload := range []any{
		map[string]any{"headers": map[string]string{}}, // empty headers
		nil, // no payload at all
		map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": "wrong"}},
	} {
		c := dialWS(t, s, "graphql-ws")
		init := map[string]any{"type": "connection_init"}
		if payload != nil {
			init["payload"] = payload
		}
		c.send(init)
		// Hasura says why (connection_error), then closes the connection.
		c.expect("connection_error", "", "")
		c.closeCode()
	}
}

func TestApolloStartFailures(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	// start before connection_init fails the operation, not the connection.
	c := dialWS(t, s, "graphql-ws")
	start(c, "early", `{ msg { id } }`)
	f := c.next()
	if f.Type != "error" || f.ID != "early" || errorCode(t, f.Payload) != "start-failed" {
		t.Fatalf("start before init: got %s %q %s", f.Type, f.ID, f.Payload)
	}
	c.expect("complete", "early", "")
	c.send(adminInit)
	c.expect("connection_ack", "", "")

	// A second start with the id of a running subscription fails.
	start(c, "s", `subscription { msg { id } }`)
	c.expect("data", "s", `{"data":{"msg":[]}}`)
	start(c, "s", `subscription { msg { id } }`)
	f = c.next()
	if f.Type != "error" || f.ID != "s" || errorCode(t, f.Payload) != "start-failed" {
		t.Fatalf("duplicate id: got %s %q %s", f.Type, f.ID, f.Payload)
	}
	c.expect("complete", "s", "")
}

func TestApolloReinitChangesSession(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	s.GraphQL(`mutation { insert_msg(objects: [{room: "a", body: "for a"}, {room: "b", body: "for b"}]) { affected_rows } }`, nil)
	c := apolloSession(t, s, "/v1/graphql")
	start(c, "admin", `{ msg(order_by: {id: asc}) { body } }`)
	c.expect("data", "admin", `{"data":{"msg":[{"body":"for a"},{"body":"for b"}]}}`)
	c.expect("complete", "admin", "")

	// Hasura's harness re-initialises one socket with each test's headers:
	// each connection_init is acknowledged and sets the session anew.
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Hasura-Role": "member", "X-Hasura-Room": "a"}}})
	c.expect("connection_ack", "", "")
	start(c, "member", `{ msg(order_by: {id: asc}) { body } }`)
	c.expect("data", "member", `{"data":{"msg":[{"body":"for a"}]}}`)
	c.expect("complete", "member", "")
}

// graphql-transport-ws: an error frame ends its operation, and nothing
// follows it for that id — no complete (the protocol: "If the server
// dispatched the Error message relative to the original Subscribe message,
// no Complete message will be emitted"). The id is free again afterwards.
func TestTransportErrorIsTheLastFrame(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	subscribe := func(id, query string) {
		c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query}})
	}
	for _, bad := range []string{`subscription { no_such_field }`, `query { no_such_field }`, `mutation { no_such_field }`} {
		subscribe("bad", bad)
		f := c.next()
		if f.Type != "error" || f.ID != "bad" || !strings.Contains(string(f.Payload), "validation-failed") {
			t.Fatalf("%s: want an error frame, got %s %q %s", bad, f.Type, f.ID, f.Payload)
		}
		// The next frame is the next operation's: a complete for "bad"
		// would come before it.
		subscribe("q", `query { msg_aggregate { aggregate { count } } }`)
		c.expect("next", "q", `{"data":{"msg_aggregate":{"aggregate":{"count":0}}}}`)
		c.expect("complete", "q", "")
	}
	subscribe("bad", `subscription { msg { body } }`)
	c.expect("next", "bad", `{"data":{"msg":[]}}`)
}
