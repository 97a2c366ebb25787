package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/authz"
)

// The two GraphQL-over-WebSocket protocols Hasura speaks.
const (
	protoApollo    = "graphql-ws"           // subscriptions-transport-ws (Hasura's default)
	protoTransport = "graphql-transport-ws" // the graphql-ws library
)

// WebSocket limits: a client that cannot keep up is disconnected instead of
// growing the server's memory.
const (
	wsOutQueue     = 256
	wsWriteTimeout = 10 * time.Second
	wsInitTimeout  = 10 * time.Second
	wsKeepAlive    = 5 * time.Second
	wsMaxMessage   = 4 << 20
)

var upgrader = websocket.Upgrader{
	Subprotocols:    []string{protoTransport, protoApollo},
	CheckOrigin:     func(*http.Request) bool { return true },
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
}

// wsConn is one client: one reader (the handler goroutine) and one writer.
type wsConn struct {
	s      *Server
	conn   *websocket.Conn
	proto  string
	header http.Header // the handshake's headers, under the init payload's

	ctx    context.Context
	cancel context.CancelFunc
	out    chan []byte
	closed sync.Once

	mu          sync.Mutex
	closeCode   int // for closeAfterFlush
	closeReason string
	sess        *authz.Session
	expiry      *time.Timer      // ends the connection when sess expires
	ops         map[string]*wsOp // running subscriptions by client id
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	conn.SetReadLimit(wsMaxMessage)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &wsConn{s: s, conn: conn, proto: conn.Subprotocol(), header: r.Header.Clone(), ctx: ctx, cancel: cancel,
		out: make(chan []byte, wsOutQueue), ops: map[string]*wsOp{}}
	if c.proto == "" {
		c.proto = protoApollo
	}
	s.sockets.Store(c, struct{}{})
	defer s.sockets.Delete(c)
	go c.writer()
	c.read()
	c.mu.Lock()
	flushing := c.closeCode != 0
	c.mu.Unlock()
	if flushing {
		// closeAfterFlush: the writer closes after the last frames.
		select {
		case <-c.ctx.Done():
		case <-time.After(wsWriteTimeout):
		}
	}
	c.shutdown(websocket.CloseNormalClosure, "")
}

// writer sends queued frames; any write error ends the connection.
func (c *wsConn) writer() {
	ticker := time.NewTicker(wsKeepAlive)
	defer ticker.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case msg := <-c.out:
			if msg == nil {
				c.mu.Lock()
				code, reason := c.closeCode, c.closeReason
				c.mu.Unlock()
				c.shutdown(code, reason)
				return
			}
			c.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.shutdown(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ticker.C:
			if c.proto == protoApollo && c.session() != nil {
				c.send([]byte(`{"type":"ka"}`))
			}
		}
	}
}

// send queues a frame; a full queue means a slow consumer, which is cut off.
func (c *wsConn) send(frame []byte) {
	select {
	case c.out <- frame:
	case <-c.ctx.Done():
	default:
		c.s.Log.Warn("websocket client too slow; disconnecting", "type", "websocket-log")
		go c.shutdown(websocket.ClosePolicyViolation, "slow consumer")
	}
}

func (c *wsConn) sendJSON(v any) {
	b, err := json.Marshal(v)
	if err == nil {
		c.send(b)
	}
}

// frame builds {"type":typ,"id":id,"payload":payload} without re-encoding payload.
func frame(typ, id string, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(id)+40)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b, _ = appendJSON(b, id)
	}
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

func appendJSON(b []byte, s string) ([]byte, error) {
	enc, err := json.Marshal(s)
	return append(b, enc...), err
}

// shutdown stops every subscription and closes the socket once.
func (c *wsConn) shutdown(code int, reason string) {
	c.closed.Do(func() {
		c.mu.Lock()
		if c.expiry != nil {
			c.expiry.Stop()
		}
		for id, op := range c.ops {
			op.end()
			c.s.Engine.Live.Unsubscribe(op.sub)
			delete(c.ops, id)
		}
		c.mu.Unlock()
		if code != websocket.CloseAbnormalClosure {
			c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		c.cancel()
		c.conn.Close()
	})
}

func (c *wsConn) session() *authz.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// message is a frame of either protocol.
type message struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

func (c *wsConn) read() {
	initDeadline := time.AfterFunc(wsInitTimeout, func() {
		if c.session() == nil {
			c.shutdown(4408, "Connection initialisation timeout")
		}
	})
	defer initDeadline.Stop()
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			c.protocolError("invalid message")
			if c.proto == protoTransport {
				return
			}
			continue
		}
		if !c.handle(&m) {
			return
		}
	}
}

// protocolError reports a malformed or unexpected frame as the protocol says.
func (c *wsConn) protocolError(msg string) {
	if c.proto == protoTransport {
		c.shutdown(4400, msg)
		return
	}
	c.sendJSON(map[string]any{"type": "connection_error", "payload": msg})
}
