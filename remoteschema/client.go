package remoteschema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/tracing"
	"go.opentelemetry.io/otel/trace"
)

// newHTTPClient is the client remote calls share: keep-alive connections
// to each remote, enough of them for concurrent requests (net/http keeps 2
// per host by default, and the rest would reconnect every time).
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// defaultTimeout is Hasura's timeout_seconds default.
const defaultTimeout = 60 * time.Second

// maxResponse bounds what a remote may answer (a var for tests).
var maxResponse int64 = 64 << 20

// userAgent is what Hasura sends as the User-Agent of its requests.
const userAgent = "hasura-graphql-engine/graft"

var envTemplate = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// endpoint is where a remote schema is called: the URL as configured
// (templates unexpanded, for messages) and as resolved now.
type endpoint struct {
	display, url string
	timeout      time.Duration
}

// resolveEndpoint expands url_from_env and {{ENV}} templates; a missing
// variable is an error naming it.
func resolveEndpoint(def *metadata.RemoteSchemaDef) (endpoint, error) {
	ep := endpoint{display: def.URL, url: def.URL, timeout: defaultTimeout}
	if def.TimeoutSeconds != nil && *def.TimeoutSeconds > 0 {
		ep.timeout = time.Duration(*def.TimeoutSeconds) * time.Second
	}
	if def.URLFromEnv != "" {
		ep.display = def.URLFromEnv
		v, ok := os.LookupEnv(def.URLFromEnv)
		if !ok {
			return ep, fmt.Errorf("environment variable %q not set", def.URLFromEnv)
		}
		ep.url = v
		return ep, nil
	}
	var missing string
	ep.url = envTemplate.ReplaceAllStringFunc(def.URL, func(m string) string {
		name := envTemplate.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return ep, fmt.Errorf("environment variable %q not set", missing)
	}
	return ep, nil
}

// httpError is a failed round trip to a remote, reported as Hasura does:
// the message names the configured URL, internal says what happened.
type httpError struct {
	display string
	cause   error
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP exception occurred while sending the request to %q", e.display)
}

func (e *httpError) Unwrap() error { return e.cause }

// internal is Hasura's extensions.internal of an http_exception.
func (e *httpError) internal() map[string]any {
	msg := e.cause.Error()
	if errors.Is(e.cause, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout") {
		msg = "Response timeout"
	}
	return map[string]any{"type": "http_exception", "message": msg,
		"request": map[string]any{"url": e.display, "method": "POST"}}
}

// reply is a remote's answer. Its "remote schema call" span is still
// open: the caller ends it (finish) once it knows whether the answer is
// one (valid JSON, no GraphQL errors).
type reply struct {
	status  int
	body    []byte
	cookies []string
	span    trace.Span
}

// finish ends the reply's span, failed by err (what the caller made of
// the answer) or by a status other than 2xx.
func (r *reply) finish(err error) {
	if err == nil && (r.status < 200 || r.status > 299) {
		err = fmt.Errorf("remote schema answered HTTP %d", r.status)
	}
	tracing.End(r.span, err)
}

// post sends body to the remote with headers, within its timeout. A
// failed round trip ends the span it started, failed; a reply's caller
// finishes it.
func post(ctx context.Context, client *http.Client, ep endpoint, headers http.Header, body []byte) (*reply, error) {
	ctx, cancel := context.WithTimeout(ctx, ep.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, &httpError{display: ep.display, cause: err}
	}
	req.Header = headers
	ctx, span := tracing.StartKind(ctx, "remote schema call", trace.SpanKindClient)
	tracing.Inject(ctx, req.Header)
	resp, err := client.Do(req)
	if err != nil {
		he := &httpError{display: ep.display, cause: err}
		tracing.End(span, fmt.Errorf("%s: %s", he.Error(), he.internal()["message"]))
		return nil, he
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err == nil && int64(len(b)) > maxResponse {
		err = fmt.Errorf("the response is larger than %d bytes", maxResponse)
	}
	if err != nil {
		he := &httpError{display: ep.display, cause: err}
		tracing.End(span, fmt.Errorf("%s: %s", he.Error(), he.internal()["message"]))
		return nil, he
	}
	return &reply{status: resp.StatusCode, body: b, cookies: resp.Header.Values("Set-Cookie"), span: span}, nil
}

// ignoredClientHeaders are not forwarded even with forward_client_headers
// (Hasura's commonClientHeadersIgnored).
var ignoredClientHeaders = map[string]bool{
	"Content-Length": true, "Content-Md5": true, "User-Agent": true, "Host": true, "Origin": true, "Referer": true,
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Datetime": true, "Cache-Control": true,
	"Connection": true, "Dnt": true, "Content-Type": true,
	// A WebSocket's handshake headers describe that connection only.
	"Upgrade": true, "Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"Sec-Websocket-Protocol": true,
}

// outgoingHeaders builds a request's headers in Hasura's order of
// precedence: configured headers, then session variables, then the
// client's (when forwarded), each name once.
func outgoingHeaders(def *metadata.RemoteSchemaDef, session map[string]string, client http.Header) (http.Header, error) {
	h := http.Header{}
	set := func(name, value string) {
		if h.Get(name) == "" {
			h.Set(name, value)
		}
	}
	for _, c := range def.Headers {
		v := c.Value
		if c.ValueFromEnv != "" {
			var ok bool
			if v, ok = os.LookupEnv(c.ValueFromEnv); !ok {
				return nil, fmt.Errorf("environment variable %q not set", c.ValueFromEnv)
			}
		}
		set(c.Name, v)
	}
	for k, v := range session {
		set(k, v)
	}
	if def.ForwardClientHeaders {
		for name, vals := range client {
			lower := strings.ToLower(name)
			switch {
			case name == "Host" || lower == "host":
				set("X-Forwarded-Host", vals[0])
			case lower == "user-agent":
				set("X-Forwarded-User-Agent", vals[0])
			case lower == "origin":
				set("X-Forwarded-Origin", vals[0])
			}
			if ignoredClientHeaders[http.CanonicalHeaderKey(name)] || strings.HasPrefix(lower, "x-hasura-") {
				continue
			}
			set(name, vals[0])
		}
	}
	h.Set("Content-Type", "application/json")
	set("User-Agent", userAgent)
	return h, nil
}

// gqlResponse is a remote's GraphQL answer.
type gqlResponse struct {
	Data   json.RawMessage   `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}
