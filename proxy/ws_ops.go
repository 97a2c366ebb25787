package proxy

import (
	"encoding/json"
	"fmt"
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
// over those of the handshake, exactly as an HTTP request would be.
func (c *wsConn) init(m *message) bool {
	if c.session() != nil {
		if c.proto == protoTransport {
			c.shutdown(4429, "Too many initialisation requests")
			return false
		}
		return true
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
	c.mu.Unlock()
	c.send([]byte(`{"type":"connection_ack"}`))
	if c.proto == protoApollo {
		c.send([]byte(`{"type":"ka"}`))
	}
	if !sess.Expires.IsZero() {
		// The credential's end is the connection's end.
		time.AfterFunc(time.Until(sess.Expires), func() { c.shutdown(4403, "JWT expired") })
	}
	return true
}

// closeAfterFlush closes once the frames queued so far are written: a nil
// frame tells the writer to close when it reaches it.
func (c *wsConn) closeAfterFlush(code int, reason string) {
	c.mu.Lock()
	c.closeCode, c.closeReason = code, reason
	c.mu.Unlock()
	select {
	case c.out <- nil:
	default:
		c.shutdown(code, reason)
	}
}

func (c *wsConn) start(m *message) bool {
	sess := c.session()
	if sess == nil {
		if c.proto == protoTransport {
			c.shutdown(4401, "Unauthorized")
			return false
		}
		c.protocolError("start before connection_init")
		return true
	}
	if m.ID == nil || *m.ID == "" {
		c.protocolError("an operation needs an id")
		return c.proto != protoTransport
	}
	id := *m.ID
	c.mu.Lock()
	_, dup := c.ops[id]
	c.mu.Unlock()
	if dup {
		if c.proto == protoTransport {
			c.shutdown(4409, "Subscriber for "+id+" already exists")
			return false
		}
		c.sendError(id, []byte(`{"errors":[{"message":"an operation with this id is already running","extensions":{"code":"validation-failed","path":"$"}}]}`))
		return true
	}
	var req graphql.Request
	if err := json.Unmarshal(m.Payload, &req); err != nil {
		c.sendError(id, []byte(`{"errors":[{"message":"invalid payload","extensions":{"code":"parse-failed","path":"$"}}]}`))
		return true
	}
	dataType := "data"
	if c.proto == protoTransport {
		dataType = "next"
	}
	res := c.s.Engine.StartOperation(c.ctx, *sess, &req, func(body []byte) { c.send(frame(dataType, id, body)) })
	if res.Sub != nil {
		c.mu.Lock()
		c.ops[id] = res.Sub
		c.mu.Unlock()
		return true
	}
	if res.RequestError {
		c.sendError(id, res.Body)
	} else {
		c.send(frame(dataType, id, res.Body))
	}
	c.send(frame("complete", id, nil))
	return true
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

func (c *wsConn) stop(m *message) bool {
	if m.ID == nil {
		c.protocolError("stop needs an id")
		return c.proto != protoTransport
	}
	c.mu.Lock()
	sub, ok := c.ops[*m.ID]
	delete(c.ops, *m.ID)
	c.mu.Unlock()
	if ok {
		c.s.Engine.Live.Unsubscribe(sub)
		if c.proto == protoApollo {
			c.send(frame("complete", *m.ID, nil))
		}
	}
	return true
}
