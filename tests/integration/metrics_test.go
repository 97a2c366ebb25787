package integration

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

const metricsSecret = "metrics-test-secret"

// scrape reads /v1/metrics with the test's bearer token.
func scrape(t *testing.T, s *testenv.Server) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/v1/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+metricsSecret)
	r := do(t, req)
	wantStatus(t, r, 200)
	return string(r.Body)
}

// metric is the value of the series name{labels} in a scrape (labels may
// be a subset of the series' labels, written name="value" as Prometheus
// does); ok is false when there is no such series.
func metric(body, name string, labels ...string) (v float64, ok bool) {
	for _, line := range strings.Split(body, "\n") {
		series, value, found := strings.Cut(line, " ")
		if !found || strings.HasPrefix(line, "#") {
			continue
		}
		n, ls, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && (strings.Contains(ls, l+",") || strings.Contains(ls, l+"}"))
		}
		if match {
			f, err := strconv.ParseFloat(value, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// waitMetric scrapes until name{labels} equals want, up to a deadline.
func waitMetric(t *testing.T, s *testenv.Server, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := scrape(t, s)
		v, ok := metric(body, name, labels...)
		if ok && v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v (present: %v), want %v; scrape:\n%s", name, labels, v, ok, want, grepLines(body, name))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func metricsEnv(extra map[string]string) map[string]string {
	env := map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "metadata,graphql,metrics", "HASURA_GRAPHQL_METRICS_SECRET": metricsSecret}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestMetricsAfterKnownTraffic(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	s := testenv.Start(t, testenv.NewDatabase(t), testenv.Options{Redis: true, Env: metricsEnv(nil)})
	s.RunSQL(`CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "item"}},
		map[string]any{"type": "pg_create_event_trigger", "args": map[string]any{
			"name": "item_metrics", "table": "item", "webhook": rcv.URL, "insert": map[string]any{"columns": "*"}}},
	}})
	before := scrape(t, s)
	count := func(body, op, status string) float64 {
		v, _ := metric(body, "hasura_graphql_requests_total", `operation_type="`+op+`"`, `response_status="`+status+`"`)
		return v
	}
	const n = 7
	for range n {
		wantStatus(t, gql(t, s, `query { item { id } }`, nil), 200)
	}
	wantStatus(t, gql(t, s, `mutation { insert_item_one(object: {name: "a"}) { id } }`, nil), 200)
	wantGQLError(t, gql(t, s, `{ item { no_such_field } }`, nil), "validation-failed", "", "")
	after := scrape(t, s)
	for _, c := range []struct {
		op, status string
		delta      float64
	}{{"query", "success", n}, {"mutation", "success", 1}, {"query", "failed", 1}, {"subscription", "success", 0}} {
		if d := count(after, c.op, c.status) - count(before, c.op, c.status); d != c.delta {
			t.Errorf("hasura_graphql_requests_total{%s,%s} grew by %v, want %v", c.op, c.status, d, c.delta)
		}
	}
	q0, _ := metric(before, "hasura_graphql_execution_time_seconds_count", `operation_type="query"`)
	q1, _ := metric(after, "hasura_graphql_execution_time_seconds_count", `operation_type="query"`)
	if q1-q0 != n {
		t.Errorf("hasura_graphql_execution_time_seconds_count{query} grew by %v, want %v", q1-q0, n)
	}
	if v, ok := metric(after, "hasura_postgres_connections", `source_name="default"`); !ok || v < 1 {
		t.Errorf("hasura_postgres_connections = %v (present %v)", v, ok)
	}

	// The insert's event is delivered once.
	rcv.next(t)
	waitMetric(t, s, 1, "hasura_event_invocations_total", `status="success"`, `trigger_name="item_metrics"`)
	waitMetric(t, s, 1, "hasura_event_processed_total", `status="success"`, `trigger_name="item_metrics"`)
	waitMetric(t, s, 0, "graft_event_queue_pending")
	waitMetric(t, s, 1, "graft_wal_reader_running")
	if _, ok := metric(scrape(t, s), "graft_wal_lag_bytes"); !ok {
		t.Error("no graft_wal_lag_bytes while the WAL reader runs")
	}

	// One subscription on one socket.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { item { name } }`}})
	c.expect("next", "1", `{"data":{"item":[{"name":"a"}]}}`)
	// The first result may reach the client before the operation is
	// registered on the socket: poll.
	waitMetric(t, s, 1, "hasura_active_subscriptions")
	waitMetric(t, s, 1, "hasura_websocket_connections")
	waitMetric(t, s, 1, "graft_live_query_cohorts")
	c.conn.Close()
	waitMetric(t, s, 0, "hasura_websocket_connections")
	waitMetric(t, s, 0, "hasura_active_subscriptions")
}

func TestMetricsSecretAndEnabledAPIs(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	get := func(s *testenv.Server, auth string) int {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/v1/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return do(t, req).Status
	}
	secured := testenv.Start(t, db, testenv.Options{Env: metricsEnv(nil)})
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, metricsSecret: 401, "Bearer " + metricsSecret: 200} {
		if got := get(secured, auth); got != want {
			t.Errorf("Authorization %q: status %d, want %d", auth, got, want)
		}
	}
	// Without a secret the endpoint is open; without "metrics" in the
	// enabled APIs (the default) it does not exist.
	open := testenv.Start(t, db, testenv.Options{Env: metricsEnv(map[string]string{"HASURA_GRAPHQL_METRICS_SECRET": ""})})
	if got := get(open, ""); got != 200 {
		t.Errorf("no secret: status %d, want 200", got)
	}
	off := testenv.Start(t, db, testenv.Options{Env: map[string]string{"HASURA_GRAPHQL_METRICS_SECRET": metricsSecret}})
	r := get(off, "Bearer "+metricsSecret)
	if r != 404 {
		t.Errorf("metrics not enabled: status %d, want 404", r)
	}
}
