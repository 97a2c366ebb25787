package proxy

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/graphql"
)

// handle processes one client frame; false ends the connection.
func (c *wsConn) handle(m *message) bool {
	switch m.Type {
	case "connection_init":
		return c.init(m)
	case "ping":
		c.send(frame("pong", "", nil))
		return true
	case "pong":
		return true
	case "connection_terminate":
		c.shutdown(websocket.CloseNormalClosure, "")
		return false
	case "start", "subscribe":
		return c.start(m)
	case "stop", "complete":
		return c.stop(m)
	}
	c.protocolError("unknown message type: " + m.Type)
	return c.proto != protoTransport
}

// init authenticates the connection with the headers of connection_init,
// over those of the handshake, exactly as an HTTP request would be. On the
// Apollo protocol a repeated connection_init authenticates again and is
// acknowledged again, as Hasura does (its test harness re-initialises one
// socket with each test's headers); operations already running keep the
// session they started with. graphql-ws allows only one.
func (c *wsConn) init(m *message) bool {
	if c.session() != nil && c.proto == protoTransport {
		c.shutdown(4429, "Too many initialisation requests")
		return false
	}
	hdr := c.header.Clone()
	var p struct {
		Headers map[string]any `json:"headers"`
	}
	_ = json.Unmarshal(m.Payload, &p)
	if p.Headers == nil {
		// Some clients put the headers at the top of the payload.
		_ = json.Unmarshal(m.Payload, &p.Headers)
	}
	for k, v := range p.Headers {
		if s, ok := v.(string); ok {
			hdr.Set(k, s)
		} else if v != nil {
			hdr.Set(k, fmt.Sprint(v))
		}
	}
	sess, err := c.s.Auth.ResolveRequest(c.ctx, hdr, nil)
	if err != nil {
		ae := authError(err)
		c.logWS(slog.LevelError, "conn_err", nil, ae.Message)
		if c.proto == protoTransport {
			c.shutdown(4403, "Forbidden")
			return false
		}
		c.sendJSON(map[string]any{"type": "connection_error", "payload": ae.Message})
		c.closeAfterFlush(websocket.CloseNormalClosure, ae.Message)
		return false
	}
	c.mu.Lock()
	c.sess = &sess
	c.initHeader = hdr
	if c.expiry != nil {
		c.expiry.Stop() // the previous credential's end no longer applies
		c.expiry = nil
	}
	if !sess.Expires.IsZero() {
		// The credential's end is the connection's end.
		c.expiry = time.AfterFunc(time.Until(sess.Expires), func() { c.shutdown(4403, "JWT expired") })
	}
	c.mu.Unlock()
	c.send([]byte(`{"type":"connection_ack"}`))
	if c.proto == protoApollo {
		c.send([]byte(`{"type":"ka"}`))
	}
	return true
}

// closeAfterFlush closes once the frames queued so far are written: a nil
// frame tells the writer to close when it reaches it.
func (c *wsConn) closeAfterFlush(code int, reason string) {
	c.mu.Lock()
	c.closeCode, c.closeReason = code, reason
	c.mu.Unlock()
	if !c.enqueue(nil) {
		c.shutdown(code, reason)
	}
}

func (c *wsConn) start(m *message) bool {
	sess := c.session()
	if sess == nil && c.proto == protoTransport {
		c.shutdown(4401, "Unauthorized")
		return false
	}
	if m.ID == nil || *m.ID == "" {
		c.protocolError("an operation needs an id")
		return c.proto != protoTransport
	}
	id := *m.ID
	if sess == nil {
		// Apollo: Hasura fails the operation, not the connection.
		c.startFailed(id, "start received before the connection is initialised")
		return true
	}
	c.mu.Lock()
	_, dup := c.ops[id]
	c.mu.Unlock()
	if dup {
		if c.proto == protoTransport {
			c.shutdown(4409, "Subscriber for "+id+" already exists")
			return false
		}
		c.startFailed(id, "an operation already exists with this id: "+id)
		return true
	}
	var req graphql.Request
	if err := json.Unmarshal(m.Payload, &req); err != nil {
		// Hasura cannot parse such a message at all: a connection error.
		c.protocolError("parsing ClientMessage failed: invalid start payload: " + err.Error())
		return c.proto != protoTransport
	}
	dataType := "data"
	if c.proto == protoTransport {
		dataType = "next"
	}
	op := &wsOp{}
	c.mu.Lock()
	exchange := &graphql.HTTPExchange{Request: c.initHeader}
	c.mu.Unlock()
	res := c.engine.StartOperation(graphql.WithHTTPExchange(c.ctx, exchange), *sess, &req, func(body []byte) {
		op.deliver(func() { c.send(frame(dataType, id, body)) })
	})
	if res.Sub != nil {
		op.sub = res.Sub
		c.mu.Lock()
		c.ops[id] = op
		c.mu.Unlock()
		return true
	}
	if res.RequestError {
		c.sendError(id, res.Body)
		if c.proto == protoTransport {
			// graphql-ws: error ends the operation; no complete follows it
			// (PROTOCOL.md, "Complete"). Apollo clients expect one.
			return true
		}
	} else {
		c.send(frame(dataType, id, res.Body))
	}
	c.send(frame("complete", id, nil))
	return true
}

// startFailed refuses an Apollo operation as Hasura does: an error frame
// whose payload is one error object with code start-failed, then complete.
func (c *wsConn) startFailed(id, msg string) {
	body, _ := json.Marshal(map[string]any{
		"extensions": map[string]string{"path": "$", "code": "start-failed"},
		"message":    msg,
	})
	c.send(frame("error", id, body))
	c.send(frame("complete", id, nil))
}

// sendError reports an operation error: Apollo's payload is the response
// body, graphql-ws's the errors list.
func (c *wsConn) sendError(id string, body []byte) {
	if c.proto == protoTransport {
		var b struct {
			Errors json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(body, &b) == nil && b.Errors != nil {
			body = b.Errors
		}
	}
	c.send(frame("error", id, body))
}

// stop ends a running subscription. Nothing is sent back on either
// protocol, as with Hasura: after stop no frame for the id arrives. An
// unknown id (a finished query, or a misbehaving client) is ignored.
func (c *wsConn) stop(m *message) bool {
	if m.ID == nil {
		c.protocolError("stop needs an id")
		return c.proto != protoTransport
	}
	c.mu.Lock()
	op, ok := c.ops[*m.ID]
	delete(c.ops, *m.ID)
	c.mu.Unlock()
	if ok {
		op.end()
		c.s.Engine.Live.Unsubscribe(op.sub)
	}
	return true
}

// wsOp is one running subscription of a connection. A refetch may hand it
// a result just as the client stops it; end makes sure no frame for the
// operation is queued once stop has been handled.
type wsOp struct {
	sub   *graphql.LiveSub
	mu    sync.Mutex
	ended bool
}

// deliver runs send unless the operation has ended; send must not block.
func (o *wsOp) deliver(send func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.ended {
		send()
	}
}

func (o *wsOp) end() {
	o.mu.Lock()
	o.ended = true
	o.mu.Unlock()
}
