package actions

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Every POST to an action's handler, sync or an async attempt, writes a
// webhook-log line when HASURA_GRAPHQL_ENABLED_LOG_TYPES has webhook-log
// (the App then calls SetWebhookLog), in the shape of Hasura's webhook-log
// (url, method, status_code, http_error, response) plus which call it was.
// A call that failed before anything was sent (a handler template or
// request transform error) posted nothing and logs nothing, as event
// deliveries do.

// maxLoggedResponse bounds the part of a failed call's answer logged.
const maxLoggedResponse = 1024

// SetWebhookLog makes every handler call write its webhook-log line to
// l; nil writes none. Call it before Start.
func (s *Source) SetWebhookLog(l *slog.Logger) { s.webhookLog.Store(l) }

// sentRequest is what a call POSTed, kept for its webhook-log line.
type sentRequest struct {
	url, method string
	started     time.Time
}

// logCall writes the webhook-log line of one handler call: info when the
// call gave the output, error otherwise (no answer, an error status, an
// answer that is not the output), with the answer's start.
func (s *Source) logCall(ctx context.Context, inv *invocation, res *webhookResult, f *failure) {
	l := s.webhookLog.Load()
	if l == nil || inv.sent == nil {
		return
	}
	level := slog.LevelInfo
	var status, httpErr, response any // null when absent, as Hasura
	if res != nil {
		status = res.status
	} else if f != nil && f.status != 0 {
		status = f.status
	}
	if f != nil {
		level = slog.LevelError
		if res == nil {
			httpErr = f.transportError()
		} else if len(res.body) > 0 {
			response = strings.ToValidUTF8(string(res.body[:min(len(res.body), maxLoggedResponse)]), "\uFFFD")
		}
	}
	kind, id, retry := "synchronous", any(nil), any(nil)
	if inv.asyncID != "" {
		kind, id, retry = "asynchronous", inv.asyncID, inv.retry
	}
	l.Log(ctx, level, "action webhook", "type", "webhook-log", "url", redactURL(inv.sent.url),
		"method", inv.sent.method, "status_code", status, "http_error", httpErr, "response", response,
		"action_name", inv.action.Name, "action_kind", kind, "action_id", id, "current_retry", retry,
		"duration", time.Since(inv.sent.started).Seconds())
}

// transportError is the error of a call that got no answer (the
// http_exception details' message), or the failure's message.
func (f *failure) transportError() string {
	if e, ok := f.internal["error"].(map[string]any); ok {
		if msg, ok := e["message"].(string); ok {
			return msg
		}
	}
	return f.message
}

// redactURL drops a URL's user info and query string, which may hold
// secrets from the environment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return u.String()
}
