package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/graftql/graft/tests/helpers/remotegql"
	"github.com/graftql/graft/tests/testenv"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// tracedCall sends query in a trace of its own (id n) and returns that
// trace's spans by name once every name in want has one.
func tracedCall(t *testing.T, s *testenv.Server, exp *tracetest.InMemoryExporter, n int, query string, want ...string) map[string]tracetest.SpanStub {
	t.Helper()
	id := fmt.Sprintf("6cf92f3577b34da6a3ce929d0e0e%04x", n)
	r := gql(t, s, query, nil, admin(map[string]string{"traceparent": "00-" + id + "-00f067aa0ba902b7-01"}))
	if !strings.Contains(string(r.Body), `"errors"`) {
		t.Fatalf("%s: answer %s, want errors", query, r.Body)
	}
	return waitTraceSpans(t, exp, id, want...)
}

// wantFailed asserts that span failed with a message holding each of parts,
// and recorded the error as an exception event.
func wantFailed(t *testing.T, span tracetest.SpanStub, parts ...string) {
	t.Helper()
	if span.Status.Code != codes.Error {
		t.Errorf("span %q: status %v %q, want Error", span.Name, span.Status.Code, span.Status.Description)
		return
	}
	for _, p := range parts {
		if !strings.Contains(span.Status.Description, p) {
			t.Errorf("span %q: status message %q, want it to hold %q", span.Name, span.Status.Description, p)
		}
	}
	recorded := false
	for _, e := range span.Events {
		recorded = recorded || e.Name == "exception"
	}
	if !recorded {
		t.Errorf("span %q: no exception event (events %v)", span.Name, span.Events)
	}
}

// TestTracingActionFailures: an action handler that is down, too slow,
// answers 500 or answers something that is not JSON fails the action's
// span with what happened, and the request's span with the GraphQL error.
func TestTracingActionFailures(t *testing.T) {
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, false)
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body: only then does the server notice a client
		// that went away (and cancel r's context).
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/slow": // answers after the action's timeout, or when the test ends
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"oops":true}`))
		case "/text":
			w.Write([]byte(`this is not json`))
		}
	}))
	t.Cleanup(hook.Close)
	t.Cleanup(func() { close(release) }) // before hook.Close: cleanups run last first
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // its port now refuses connections
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{
		map[string]any{"name": "Echo", "fields": []any{map[string]any{"name": "msg", "type": "String"}}}}}))
	for name, handler := range map[string]string{"down": down.URL, "slow": hook.URL + "/slow", "status": hook.URL + "/500", "text": hook.URL + "/text"} {
		mustMeta(t, s, op("create_action", map[string]any{"name": name, "definition": map[string]any{
			"handler": handler, "type": "query", "output_type": "Echo", "timeout": 1}}))
	}
	cases := []struct {
		action string
		parts  []string
	}{
		{"down", []string{"http exception when calling webhook", "connection refused"}},
		{"slow", []string{"http exception when calling webhook", "Response timeout"}},
		{"status", []string{"internal error", "webhook returned status 500"}},
		{"text", []string{"not a valid json response from webhook", "invalid json"}},
	}
	for i, c := range cases {
		spans := tracedCall(t, s, exp, i, `{ `+c.action+` { msg } }`, "/v1/graphql", "action webhook")
		wantFailed(t, spans["action webhook"], c.parts...)
		wantFailed(t, spans["/v1/graphql"], c.parts[0])
	}
}

// TestTracingRemoteFailures: a remote schema that is down, answers 502,
// answers something that is not JSON or answers GraphQL errors fails the
// remote call's span, and the request's.
func TestTracingRemoteFailures(t *testing.T) {
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, false)
	var mode atomic.Value
	mode.Store("ok")
	python := remotegql.NewPythonHandler()
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("IntrospectionQuery")) || mode.Load() == "ok" {
			python.ServeHTTP(w, r)
			return
		}
		switch mode.Load() {
		case "502":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`{"errors":[{"message":"upstream is gone"}]}`))
		case "text":
			w.Write([]byte(`<html>not json</html>`))
		case "errors":
			w.Write([]byte(`{"data":null,"errors":[{"message":"hello is broken today"}]}`))
		}
	}))
	t.Cleanup(rs.Close)
	mustMeta(t, s, addRemote("hello", rs.URL+"/hello-graphql", nil))
	mustBody(t, gql(t, s, `{ hello }`, nil, admin(nil)), `{"data":{"hello":"Hello world"}}`)

	cases := []struct {
		mode  string
		parts []string
	}{
		{"502", []string{"upstream is gone"}},
		{"text", []string{"invalid response from remote schema", "HTTP 200"}},
		{"errors", []string{"hello is broken today"}},
	}
	for i, c := range cases {
		mode.Store(c.mode)
		spans := tracedCall(t, s, exp, 100+i, `{ hello }`, "/v1/graphql", "remote schema call")
		wantFailed(t, spans["remote schema call"], c.parts...)
		wantFailed(t, spans["/v1/graphql"], c.parts[0])
	}
	rs.Close() // now down
	spans := tracedCall(t, s, exp, 200, `{ hello }`, "/v1/graphql", "remote schema call")
	wantFailed(t, spans["remote schema call"], "HTTP exception occurred while sending the request", "connection refused")
	wantFailed(t, spans["/v1/graphql"], "HTTP exception occurred while sending the request")
}

// TestTracingSQLFailure: a statement Postgres refuses fails its span with
// Postgres' message, and the request's span.
func TestTracingSQLFailure(t *testing.T) {
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, false)
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY); INSERT INTO item VALUES (1);
		CREATE VIEW broken AS SELECT id, 1 / (id - 1) AS ratio FROM item`)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "broken"}))
	spans := tracedCall(t, s, exp, 300, `{ broken { ratio } }`, "/v1/graphql", "sql")
	wantFailed(t, spans["sql"], "division by zero")
	wantFailed(t, spans["/v1/graphql"], "division by zero")
	if spans["sql"].Parent.SpanID() != spans["/v1/graphql"].SpanContext.SpanID() {
		t.Error("the failed statement's span is not under the request span")
	}
}
