package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/graphql"
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

// Buffers are most of what an idle connection costs, and most subscribers
// are idle most of the time: the read buffer is small (client frames are
// small; a larger one is read through it in pieces), and a write buffer is
// taken from a pool only while a frame is written.
var upgrader = websocket.Upgrader{
	Subprotocols:    []string{protoTransport, protoApollo},
	CheckOrigin:     func(*http.Request) bool { return true },
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
}

// wsConn is one client: one reader (serve) and one writer.
type wsConn struct {
	s      *Server
	engine *graphql.Engine // the endpoint's: GraphQL or Relay
	conn   *websocket.Conn
	proto  string
	header http.Header // the handshake's headers, under the init payload's

	ctx    context.Context
	cancel context.CancelFunc
	closed sync.Once
	id     string // names the connection in websocket-log lines
	logOn  bool   // websocket-log is enabled

	// Frames wait in queue for the writer, woken through wake. A slice
	// rather than a buffered channel: an idle connection holds no queue.
	qmu   sync.Mutex
	queue [][]byte
	wake  chan struct{} // capacity 1

	mu          sync.Mutex
	closeCode   int // for closeAfterFlush
	closeReason string
	sess        *authz.Session
	expiry      *time.Timer      // ends the connection when sess expires
	ops         map[string]*wsOp // running subscriptions by client id

	// initHeader is what the session was resolved from (handshake plus
	// init payload headers): remote schemas forward it as client headers.
	initHeader http.Header
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	if msg := s.CORS.WebSocketError(r.Header.Get("Origin")); msg != "" {
		// Hasura refuses the handshake with its error object.
		if configs.LogTypeEnabled(s.Log, "websocket-log") {
			s.logRejected(msg)
		}
		writeJSON(w, 400, map[string]any{"message": msg, "extensions": map[string]any{"path": "$", "code": "access-denied"}})
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	conn.SetReadLimit(wsMaxMessage)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &wsConn{s: s, engine: s.engineFor(r), conn: conn, proto: conn.Subprotocol(), header: r.Header.Clone(), ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), ops: map[string]*wsOp{}, logOn: configs.LogTypeEnabled(s.Log, "websocket-log")}
	if c.proto == "" {
		c.proto = protoApollo
	}
	if s.CORS.DropsCookie() {
		c.header.Del("Cookie") // as Hasura: nothing checked this socket's origin
	}
	s.sockets.Store(c, struct{}{})
	if c.logOn {
		c.id = connectionID()
		c.logWS(slog.LevelInfo, "accepted", nil, nil)
	}
	go c.writer()
	// The reader gets a goroutine of its own and the handler returns: net/http
	// then drops what it keeps for a request until its handler returns (its
	// response buffers, the request, the handler goroutine's grown stack),
	// about 10 KiB that an open subscription would otherwise hold for nothing.
	go c.serve()
}

// serve reads the client's frames until the connection ends.
func (c *wsConn) serve() {
	defer c.s.sockets.Delete(c)
	defer func() {
		// A bug must cost one connection, not the process (the HTTP
		// handler's recover no longer covers this goroutine).
		if p := recover(); p != nil {
			c.s.Log.Error("websocket connection panicked", "type", "websocket-log", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.shutdown(websocket.CloseInternalServerErr, "internal error")
		}
	}()
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

// writer sends queued frames; any write error ends the connection. Only
// the Apollo protocol has keep-alives: a graphql-transport-ws connection
// has no timer at all while idle.
func (c *wsConn) writer() {
	var keepAlive <-chan time.Time
	if c.proto == protoApollo {
		ticker := time.NewTicker(wsKeepAlive)
		defer ticker.Stop()
		keepAlive = ticker.C
	}
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
			c.qmu.Lock()
			batch := c.queue
			c.queue = nil
			c.qmu.Unlock()
			for _, msg := range batch {
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
			}
		case <-keepAlive:
			if c.session() != nil {
				c.send([]byte(`{"type":"ka"}`))
			}
		}
	}
}

// enqueue hands a frame (nil: close once the frames before it are written)
// to the writer; false when wsOutQueue frames are already waiting (besides
// the batch the writer may be writing).
func (c *wsConn) enqueue(frame []byte) bool {
	c.qmu.Lock()
	if len(c.queue) >= wsOutQueue {
		c.qmu.Unlock()
		return false
	}
	c.queue = append(c.queue, frame)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the writer is already due to look
	}
	return true
}

// send queues a frame; a full queue means a slow consumer, which is cut off.
func (c *wsConn) send(frame []byte) {
	if c.ctx.Err() != nil {
		return
	}
	if !c.enqueue(frame) {
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
		c.logWS(slog.LevelInfo, "closed", map[string]any{"code": code, "reason": reason}, nil)
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
