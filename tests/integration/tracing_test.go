package integration

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/tests/helpers/remotegql"
	"github.com/graftql/graft/tests/testenv"
	"github.com/graftql/graft/tracing"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// The tracer is process-wide: these tests record into their own exporter
// and therefore do not run in parallel.

const (
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent = "00-" + traceID + "-00f067aa0ba902b7-01"
)

func tracedServer(t *testing.T, db string, redis bool) (*testenv.Server, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	return testenv.Start(t, db, testenv.Options{Redis: redis, Spans: exp}), exp
}

// waitSpans polls until every name in want has a span in traceID's trace:
// the request span ends after the response was written.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, want ...string) map[string]tracetest.SpanStub {
	t.Helper()
	return waitTraceSpans(t, exp, traceID, want...)
}

// waitTraceSpans is waitSpans for the trace id.
func waitTraceSpans(t *testing.T, exp *tracetest.InMemoryExporter, traceID string, want ...string) map[string]tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]tracetest.SpanStub{}
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID().String() == traceID {
				got[s.Name] = s
			}
		}
		missing := ""
		for _, n := range want {
			if _, ok := got[n]; !ok {
				missing = n
			}
		}
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			names := make([]string, 0, len(got))
			for n := range got {
				names = append(names, n)
			}
			t.Fatalf("no span %q in trace %s; have %v", missing, traceID, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTracingQuerySpans(t *testing.T) {
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, false)
	s.RunSQL(`CREATE TABLE item (id int PRIMARY KEY, name text); INSERT INTO item VALUES (1, 'pen')`)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "item"}))
	r := gql(t, s, `{ item_by_pk(id: 1) { name } }`, nil, admin(map[string]string{"traceparent": traceparent}))
	mustBody(t, r, `{"data":{"item_by_pk":{"name":"pen"}}}`)
	spans := waitSpans(t, exp, "/v1/graphql", "graphql parse", "graphql plan", "sql")
	req := spans["/v1/graphql"]
	if req.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("request span's parent %s, want the caller's span", req.Parent.SpanID())
	}
	for _, n := range []string{"graphql parse", "graphql plan"} {
		if spans[n].Parent.SpanID() != req.SpanContext.SpanID() {
			t.Errorf("%s is not under the request span", n)
		}
	}
	var text string
	for _, a := range spans["sql"].Attributes {
		if a.Key == "db.query.text" {
			text = a.Value.AsString()
		}
	}
	if !strings.Contains(text, "item") {
		t.Errorf("sql span's statement %q", text)
	}

	// The same query again is served from the caches: no parse or plan
	// work, so no span for either; the request and its statement have one.
	// (A metadata reload just after the tracking empties the caches: the
	// query is repeated, each time in a trace of its own, until one is.)
	var cached map[string]tracetest.SpanStub
	for attempt := 0; ; attempt++ {
		again := fmt.Sprintf("5bf92f3577b34da6a3ce929d0e0e%04x", attempt)
		r = gql(t, s, `{ item_by_pk(id: 1) { name } }`, nil, admin(map[string]string{"traceparent": "00-" + again + "-00f067aa0ba902b7-01"}))
		mustBody(t, r, `{"data":{"item_by_pk":{"name":"pen"}}}`)
		cached = waitTraceSpans(t, exp, again, "/v1/graphql", "sql")
		_, parsed := cached["graphql parse"]
		_, planned := cached["graphql plan"]
		if !parsed && !planned {
			break
		}
		if attempt == 20 {
			t.Fatalf("20 repeats of the query, each with a parse or plan span: %v", cached)
		}
	}
	if cached["sql"].Parent.SpanID() != cached["/v1/graphql"].SpanContext.SpanID() {
		t.Error("the cached request's sql span is not under its request span")
	}
}

func TestTracingEventJoinsTheMutationTrace(t *testing.T) {
	rcv := newReceiver(t)
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, true)
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	mustMeta(t, s, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "item"}),
		op("pg_create_event_trigger", map[string]any{"name": "item_traced", "table": "item", "webhook": rcv.URL + "/hook",
			"insert": map[string]any{"columns": "*"}}),
	}))
	r := gql(t, s, `mutation { insert_item_one(object: {name: "pen"}) { id } }`, nil, admin(map[string]string{"traceparent": traceparent}))
	mustBody(t, r, `{"data":{"insert_item_one":{"id":1}}}`)
	d := rcv.next(t)
	if got := d.Header.Get("traceparent"); !strings.HasPrefix(got, "00-"+traceID+"-") {
		t.Fatalf("webhook traceparent %q, want trace %s", got, traceID)
	}
	tc, _ := d.Body["event"].(map[string]any)["trace_context"].(map[string]any)
	if tc["trace_id"] != traceID || tc["sampling_state"] != "1" {
		t.Fatalf("payload trace_context %v", tc)
	}
	spans := waitSpans(t, exp, "event trigger webhook")
	if got := spans["event trigger webhook"].Parent.SpanID().String(); got != tc["span_id"] {
		t.Fatalf("delivery span's parent %s, want the payload's span_id %v", got, tc["span_id"])
	}

	// A write through the legacy data API carries the trace too.
	r = post(t, s, "/v1/query", op("insert", map[string]any{"table": "item", "objects": []any{map[string]any{"name": "ink"}}}),
		admin(map[string]string{"traceparent": traceparent}))
	wantStatus(t, r, 200)
	d = rcv.next(t)
	if tc, _ := d.Body["event"].(map[string]any)["trace_context"].(map[string]any); tc["trace_id"] != traceID {
		t.Fatalf("legacy insert's payload trace_context %v", d.Body["event"])
	}
}

// headerRecorder serves next and keeps the traceparent of each request.
type headerRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (h *headerRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Header.Get("traceparent"))
		h.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (h *headerRecorder) carried(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, tp := range h.seen {
		if strings.HasPrefix(tp, "00-"+id+"-") {
			return true
		}
	}
	return false
}

func TestTracingActionAndRemoteCarryTraceparent(t *testing.T) {
	db := testenv.NewDatabase(t)
	s, exp := tracedServer(t, db, false)
	var action, remote headerRecorder
	hook := httptest.NewServer(action.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"msg": "hi"})
	})))
	t.Cleanup(hook.Close)
	rs := httptest.NewServer(remote.wrap(remotegql.NewPythonHandler()))
	t.Cleanup(rs.Close)
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{
		map[string]any{"name": "Echo", "fields": []any{map[string]any{"name": "msg", "type": "String"}}}}}))
	mustMeta(t, s, op("create_action", map[string]any{"name": "echo", "definition": map[string]any{
		"handler": hook.URL, "type": "query", "output_type": "Echo"}}))
	mustMeta(t, s, addRemote("hello", rs.URL+"/hello-graphql", nil))
	headers := admin(map[string]string{"traceparent": traceparent})
	mustBody(t, gql(t, s, `{ echo { msg } }`, nil, headers), `{"data":{"echo":{"msg":"hi"}}}`)
	mustBody(t, gql(t, s, `{ hello }`, nil, headers), `{"data":{"hello":"Hello world"}}`)
	if !action.carried(traceID) {
		t.Errorf("action handler saw traceparents %v", action.seen)
	}
	if !remote.carried(traceID) {
		t.Errorf("remote schema saw traceparents %v", remote.seen)
	}
	waitSpans(t, exp, "action webhook", "remote schema call")
}

// TestTracingMetadataConfig: set_opentelemetry_config as Hasura's turns on
// the OTLP/HTTP export (a batch of one is sent at once), with the
// configured headers; set_opentelemetry_status disabled turns it off.
func TestTracingMetadataConfig(t *testing.T) {
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	got := make(chan []byte, 100)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" && r.Header.Get("X-Collector-Key") == "k" {
			got <- body
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(collector.Close)
	wantAdminError(t, meta(t, s, op("set_opentelemetry_config", map[string]any{"status": "enabled", "data_types": []string{"traces"},
		"exporter_otlp": map[string]any{"protocol": "grpc", "otlp_traces_endpoint": collector.URL}})), 400, "invalid-configuration", "http/protobuf")
	mustMeta(t, s, op("set_opentelemetry_config", map[string]any{"status": "enabled", "data_types": []string{"traces"},
		"exporter_otlp": map[string]any{"protocol": "http/protobuf", "otlp_traces_endpoint": collector.URL + "/v1/traces",
			"headers": []any{map[string]any{"name": "X-Collector-Key", "value": "k"}}},
		"batch_span_processor": map[string]any{"max_export_batch_size": 1}}))
	id, _ := hex.DecodeString(traceID)
	deadline := time.Now().Add(10 * time.Second)
	for found := false; !found; {
		// The exporter is built after the change committed: query until
		// a span of this trace reaches the collector.
		gql(t, s, `{ __typename }`, nil, admin(map[string]string{"traceparent": traceparent}))
		for drained := false; !drained && !found; {
			select {
			case body := <-got:
				found = bytes.Contains(body, id)
			default:
				drained = true
			}
		}
		if !found && time.Now().After(deadline) {
			t.Fatal("no span of the request reached the collector")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustMeta(t, s, op("set_opentelemetry_status", "disabled"))
	var md struct {
		OpenTelemetry struct {
			Status string `json:"status"`
		} `json:"opentelemetry"`
	}
	json.Unmarshal(exportMetadata(t, s), &md)
	if md.OpenTelemetry.Status != "disabled" {
		t.Fatalf("exported opentelemetry status %q", md.OpenTelemetry.Status)
	}
	for deadline := time.Now().Add(10 * time.Second); tracing.Enabled(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("tracing still on after set_opentelemetry_status disabled")
		}
	}
}
