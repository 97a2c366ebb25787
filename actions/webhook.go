package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/tracing"
	"go.opentelemetry.io/otel/trace"
)

// nameValue is a header in Hasura's error details.
type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// webhookResult is a handler's answer and the request that got it, for
// error details.
type webhookResult struct {
	status  int
	header  http.Header
	body    []byte
	request map[string]any // {body, url, headers, transformed_request}
}

// ignoredClientHeaders are the client headers forward_client_headers does
// not pass on (Hasura's commonClientHeadersIgnored).
var ignoredClientHeaders = map[string]bool{
	"Content-Length": true, "Content-Md5": true, "User-Agent": true, "Host": true, "Origin": true, "Referer": true,
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Datetime": true, "Cache-Control": true,
	"Connection": true, "Dnt": true, "Content-Type": true,
}

// invocation is one call of an action's handler.
type invocation struct {
	action  *metadata.Action
	payload []byte // {action, input, session_variables, request_query}
	session string // the caller's session variables as JSON
	role    string
	headers http.Header // the client's, for forward_client_headers
	// setCookie passes the handler's Set-Cookie on to the client (sync).
	setCookie func(string)
	// asyncID and retry name an async call's attempt (webhook-log):
	// retry counts the attempts before this one, as current_retry.
	asyncID string
	retry   int
	sent    *sentRequest // set once the request is sent (webhook-log)
}

// failure is an action error in Hasura's terms: a message and code, a 4xx
// body's own extensions, and details only admin sees.
type failure struct {
	message    string
	code       string
	extensions json.RawMessage
	internal   map[string]any
	// retryable: the handler may answer differently next time (no answer,
	// a timeout, a 5xx); see retry.go. status is the HTTP status, if any.
	retryable bool
	status    int
}

func (f *failure) Error() string { return f.message }

func unexpected(message string, internal map[string]any) *failure {
	return &failure{message: message, code: "unexpected", internal: internal}
}

// payload is the body Hasura POSTs: {action, input, session_variables, request_query}.
func payload(name string, input json.RawMessage, session string, query *string) []byte {
	var buf bytes.Buffer
	n, _ := json.Marshal(name)
	q, _ := json.Marshal(query)
	buf.WriteString(`{"action":{"name":`)
	buf.Write(n)
	buf.WriteString(`},"input":`)
	buf.Write(input)
	buf.WriteString(`,"session_variables":`)
	buf.WriteString(session)
	buf.WriteString(`,"request_query":`)
	buf.Write(q)
	buf.WriteByte('}')
	return buf.Bytes()
}

// invoke calls the handler and returns its output, transformed and
// checked against the output type.
// The "action webhook" span covers both: an unreachable handler, a
// timeout, an error status, an answer that is not JSON or not the output
// type all fail it (spanError).
func (s *Source) invoke(ctx context.Context, inv *invocation, ct *metadata.CustomTypes) (any, *failure) {
	ctx, span := tracing.StartKind(ctx, "action webhook", trace.SpanKindClient)
	res, f := s.call(ctx, inv)
	var value any
	if f == nil {
		value, f = s.respond(inv, ct, res)
	}
	s.logCall(ctx, inv, res, f)
	tracing.End(span, spanError(f))
	return value, f
}

// call POSTs the payload to the action's handler. Failures to get an
// answer at all are failures in Hasura's shape.
func (s *Source) call(ctx context.Context, inv *invocation) (*webhookResult, *failure) {
	a, body := inv.action, inv.payload
	configured := make([]nameValue, 0, len(a.Headers))
	for _, h := range a.Headers {
		v := h.Value
		if h.ValueFromEnv != "" {
			v = os.Getenv(h.ValueFromEnv)
		}
		configured = append(configured, nameValue{h.Name, v})
	}
	info := map[string]any{"body": json.RawMessage(body), "url": a.Handler, "headers": configured, "transformed_request": nil}
	url, err := metadata.ResolveTemplate(a.Handler)
	if err != nil {
		return nil, unexpected(err.Error(), map[string]any{"request": info})
	}
	method := http.MethodPost
	var tr *metadata.TransformedRequest
	if rt, _ := a.Transforms(); rt != nil {
		if tr, err = transformRequest(rt, body, url, inv.session); err != nil {
			return nil, unexpected("request transform failed: "+err.Error(), map[string]any{"request": info})
		}
		if tr.BodyTransform {
			if body = nil; tr.Body != nil {
				body, _ = json.Marshal(tr.Body)
			}
		}
		url, method = tr.URL, tr.Method
		info["transformed_request"] = map[string]any{"body": json.RawMessage(orNull(body)), "url": url, "method": method}
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, unexpected("invalid handler url: "+err.Error(), map[string]any{"request": info})
	}
	if a.ForwardClientHeaders {
		for name, vals := range inv.headers {
			if !ignoredClientHeaders[http.CanonicalHeaderKey(name)] {
				req.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), vals...)
			}
		}
	}
	for _, h := range configured {
		req.Header.Set(h.Name, h.Value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if tr != nil {
		for _, n := range tr.RemoveHeaders {
			req.Header.Del(n)
		}
		for _, h := range tr.AddHeaders {
			req.Header.Set(h[0], h[1])
		}
	}
	httpFailure := func(err error) *failure {
		msg := err.Error()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "Response timeout"
		}
		f := unexpected("http exception when calling webhook", map[string]any{
			"error": map[string]any{"type": "http_exception", "message": msg}, "request": info})
		// An oversized body would be as large next time.
		f.retryable = !errors.Is(err, errTooLarge)
		return f
	}
	tracing.Inject(ctx, req.Header)
	inv.sent = &sentRequest{url: url, method: method, started: time.Now()}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, httpFailure(err)
	}
	defer resp.Body.Close()
	limit := s.maxResponse.Load()
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err == nil && int64(len(raw)) > limit {
		err = fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
	}
	if err != nil {
		f := httpFailure(err)
		f.status = resp.StatusCode
		return nil, f
	}
	return &webhookResult{status: resp.StatusCode, header: resp.Header, body: raw, request: info}, nil
}

// transformRequest applies a request_transform: Kriti sees the payload
// as $body, the session as $session_variables, the handler as $base_url.
func transformRequest(rt *metadata.RequestTransform, body []byte, url, session string) (*metadata.TransformedRequest, error) {
	var decoded, sessVars any
	_ = json.Unmarshal(body, &decoded)
	_ = json.Unmarshal([]byte(session), &sessVars)
	return rt.Apply(url, decoded, map[string]any{"body": decoded,
		"session_variables": sessVars, "base_url": url, "query_params": map[string]any{}})
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// responseHeaders lists the handler's headers for error details, by name.
func responseHeaders(h http.Header) []nameValue {
	out := []nameValue{}
	for name, vals := range h {
		switch name {
		case "Date", "Content-Length", "Server", "Connection", "Transfer-Encoding", "Keep-Alive":
			continue
		}
		for _, v := range vals {
			out = append(out, nameValue{name, v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// respond turns the handler's answer into the output or a failure.
func (s *Source) respond(inv *invocation, ct *metadata.CustomTypes, res *webhookResult) (_ any, f *failure) {
	defer func() {
		if f != nil && f.status == 0 {
			f.status = res.status
		}
	}()
	var value any
	valid := json.Valid(res.body)
	if valid {
		value, _ = decode(res.body)
	}
	details := func(msg string) map[string]any {
		resp := map[string]any{"status": res.status, "headers": responseHeaders(res.header)}
		if valid {
			resp["body"] = json.RawMessage(res.body)
		} else {
			resp["body"] = string(res.body)
		}
		return map[string]any{"error": msg, "response": resp, "request": res.request}
	}
	a := inv.action
	switch {
	case res.status >= 200 && res.status < 300:
		if inv.setCookie != nil {
			for _, c := range res.header.Values("Set-Cookie") {
				inv.setCookie(c)
			}
		}
		if !valid || len(bytes.TrimSpace(res.body)) == 0 {
			return nil, unexpected("not a valid json response from webhook", details("invalid json"))
		}
		if _, rt := a.Transforms(); rt != nil {
			var sessVars any
			_ = json.Unmarshal([]byte(inv.session), &sessVars)
			out, ok, err := rt.Apply(map[string]any{"body": plain(value), "session_variables": sessVars})
			if err != nil {
				return nil, unexpected("response transform failed: "+err.Error(), details("response transform failed"))
			}
			if ok {
				b, _ := json.Marshal(out)
				value, _ = decode(b)
			}
		}
		if err := validate(ct, value, a.Output); err != nil {
			return nil, unexpected(err.Error(), details("unexpected response"))
		}
		return value, nil
	case res.status >= 400 && res.status < 500:
		var e struct {
			Message    *string         `json:"message"`
			Code       *string         `json:"code"`
			Extensions json.RawMessage `json:"extensions"`
		}
		if !valid || json.Unmarshal(res.body, &e) != nil || e.Message == nil {
			return nil, unexpected("got unexpected response from webhook", details("unexpected response"))
		}
		f := &failure{message: *e.Message, code: "unexpected", status: res.status}
		if e.Code != nil {
			f.code = *e.Code
		}
		if len(e.Extensions) > 0 && e.Extensions[0] == '{' {
			f.extensions = e.Extensions
			var c struct{ Code *string }
			if json.Unmarshal(e.Extensions, &c) == nil && c.Code != nil {
				f.code = *c.Code
			}
		}
		return nil, f
	}
	f = unexpected("internal error", details("webhook returned status "+strconv.Itoa(res.status)))
	f.retryable, f.status = res.status >= 500, res.status
	return nil, f
}
