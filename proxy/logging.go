package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/graftql/graft/proxy/metrics"
	"github.com/graftql/graft/tracing"
)

type statusRecorder struct {
	http.ResponseWriter
	status int
	size   int
	// With metrics, a GraphQL request's body is read through body (which
	// tells the operation type) and failed tells an error response.
	body   peekBody
	failed bool
	// errorHead is the start of an error response (a GraphQL error, or
	// an HTTP status of 400 or more), kept for the request span's status
	// message (tracing.go) while tracing is on; nil otherwise.
	errorHead []byte
}

// peekBody reads a request body for the handler and looks at the first
// chunk read: the GraphQL operation type, for metrics, without reading
// or copying the body a second time.
type peekBody struct {
	io.ReadCloser
	op   int
	seen bool
}

func (p *peekBody) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if !p.seen && n > 0 {
		p.seen = true
		p.op = metrics.OperationType(b[:n])
	}
	return n, err
}

// errorsPrefix starts a GraphQL response that is an error; a remote
// schema's errors are passed on after a null data.
var (
	errorsPrefix   = []byte(`{"errors"`)
	nullDataPrefix = []byte(`{"data":null,"errors"`)
)

// maxErrorHead bounds the error response kept for the request span.
const maxErrorHead = 4096

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Hijack lets WebSocket upgrades through the recorder.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("the response writer cannot be hijacked")
	}
	r.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	if r.size == 0 && (bytes.HasPrefix(b, errorsPrefix) || bytes.HasPrefix(b, nullDataPrefix)) {
		r.failed = true
	}
	if r.size == 0 && (r.failed || r.status >= 400) && tracing.Enabled() {
		r.errorHead = append([]byte(nil), b[:min(len(b), maxErrorHead)]...)
	}
	n, err := r.ResponseWriter.Write(b)
	r.size += n
	return n, err
}

// logRequests writes one http-log line per request, as Hasura does, and
// counts requests for metrics (atomic adds only). Bodies and headers are
// not logged: they may carry tokens and secrets.
func (s *Server) logRequests(next http.Handler) http.Handler {
	m := s.Metrics
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		gql := false
		if m != nil {
			m.RequestStarted()
			if gql = r.Method == http.MethodPost && isGraphQLPath(r.URL.Path); gql {
				rec.body = peekBody{ReadCloser: r.Body, op: metrics.OpUnknown}
				r.Body = &rec.body
			}
		}
		defer func() {
			if m != nil {
				m.RequestDone()
			}
			// A bug must cost one request an error, not the connection.
			if p := recover(); p != nil {
				s.Log.Error("request panicked", "type", "http-log", "url", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeGraphQLError(rec, http.StatusInternalServerError, "unexpected", "internal error")
				}
			}
		}()
		next.ServeHTTP(rec, r)
		if gql {
			m.GraphQL(rec.body.op, rec.failed || rec.status >= 400, time.Since(start))
		}
		if s.HTTPLog == nil {
			return
		}
		d := make([]byte, 0, 256)
		d = append(d, `{"http_info":{"status":`...)
		d = strconv.AppendInt(d, int64(rec.status), 10)
		d = append(d, `,"method":`...)
		d = appendJSONString(d, r.Method)
		d = append(d, `,"url":`...)
		d = appendJSONString(d, r.URL.Path)
		d = append(d, `,"ip":`...)
		d = appendJSONString(d, r.RemoteAddr)
		d = append(d, `,"http_version":`...)
		d = appendJSONString(d, r.Proto)
		d = append(d, `},"operation":{"response_size":`...)
		d = strconv.AppendInt(d, int64(rec.size), 10)
		d = append(d, `,"query_execution_time":`...)
		d = strconv.AppendFloat(d, time.Since(start).Seconds(), 'g', -1, 64)
		d = append(d, "}}"...)
		s.HTTPLog(d)
	})
}

// isGraphQLPath tells the endpoints whose requests count as GraphQL
// requests in metrics.
func isGraphQLPath(p string) bool {
	return p == "/v1/graphql" || p == "/v1alpha1/graphql" || p == relayPath
}

// appendJSONString appends s as a JSON string. Paths and addresses are
// plain ASCII, appended as they are; anything else goes through
// encoding/json (with its HTML escaping, as before).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
