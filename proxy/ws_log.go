package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"
)

// websocket-log lines, in Hasura's shape: detail.event is {type, detail},
// detail.connection_info {websocket_id, jwt_expiry, msg}, detail.user_vars
// the session once the connection is initialised. Events: accepted,
// conn_err (connection_init refused), closed, rejected (handshake refused).
// Lines are built only when the type is enabled (wsConn.logOn).

// logWS writes one websocket-log line of the connection.
func (c *wsConn) logWS(level slog.Level, event string, detail any, msg any) {
	if !c.logOn {
		return
	}
	info := map[string]any{"websocket_id": c.id, "jwt_expiry": nil, "msg": msg}
	var userVars any
	if sess := c.session(); sess != nil {
		if !sess.Expires.IsZero() {
			info["jwt_expiry"] = sess.Expires.UTC().Format(time.RFC3339)
		}
		vars := make(map[string]string, len(sess.Vars)+1)
		for k, v := range sess.Vars {
			vars[k] = v
		}
		vars["x-hasura-role"] = sess.Role
		userVars = vars
	}
	c.s.Log.Log(context.Background(), level, "", "type", "websocket-log",
		"event", map[string]any{"type": event, "detail": detail}, "connection_info", info, "user_vars", userVars)
}

// logRejected writes the line of a handshake refused before any connection.
func (s *Server) logRejected(msg string) {
	s.Log.Error("", "type", "websocket-log", "event", map[string]any{"type": "rejected", "detail": msg},
		"connection_info", map[string]any{"websocket_id": nil, "jwt_expiry": nil, "msg": msg}, "user_vars", nil)
}

// connectionID names a connection in its log lines.
func connectionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SocketStats counts the open WebSocket connections and their running
// subscriptions, for metrics: at scrape time, so that connections and
// operations cost nothing more.
func (s *Server) SocketStats() (connections, subscriptions int) {
	s.sockets.Range(func(k, _ any) bool {
		c := k.(*wsConn)
		connections++
		c.mu.Lock()
		subscriptions += len(c.ops)
		c.mu.Unlock()
		return true
	})
	return connections, subscriptions
}
