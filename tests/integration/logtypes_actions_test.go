package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// Every action handler call writes a webhook-log line: a sync call, and
// each attempt of an async call run by the Redis queue (here a 503, then
// the output), naming the call and its retry; none when webhook-log is
// not enabled.
func TestLogTypesActionWebhook(t *testing.T) {
	t.Parallel()
	h := newFlakyHandler(t, 1, 503, `{"message":"busy"}`)
	logs := &logBuffer{}
	s := testenv.Start(t, testenv.NewDatabase(t), testenv.Options{Redis: true, Logs: logs,
		Env: queueEnv(2), LogTypes: "startup,webhook-log"})
	mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	mustMeta(t, s, asyncAction("flaky_async", h.srv.URL+"/async?token=secret", "Done", 2))
	mustMeta(t, s, action("done_sync", "mutation", h.srv.URL+"/sync", "Done"))

	id := startAsync(t, s, `mutation { flaky_async }`)
	wantJSON(t, pollAsync(t, s, flakyResult, id), `{"data":{"flaky_async":{"output":{"v":"done"},"errors":null}}}`)
	wantJSON(t, gql(t, s, `mutation { done_sync { v } }`, nil).Body, `{"data":{"done_sync":{"v":"done"}}}`)

	lines := logs.lines(t, "webhook-log") // each written before its result is recorded or answered
	if len(lines) != 3 {
		t.Fatalf("%d webhook-log lines, want 3 (two async attempts, one sync call): %+v", len(lines), lines)
	}
	for i, want := range []struct {
		level, url, kind string
		status           float64
		id, retry        any
		response         any
	}{
		{"error", h.srv.URL + "/async", "asynchronous", 503, id, float64(0), `{"message":"busy"}`},
		{"info", h.srv.URL + "/async", "asynchronous", 200, id, float64(1), nil},
		{"info", h.srv.URL + "/sync", "synchronous", 200, nil, nil, nil},
	} {
		d := lines[i].Detail
		if lines[i].Level != want.level || d["url"] != want.url || d["method"] != "POST" || d["status_code"] != want.status ||
			d["action_kind"] != want.kind || d["action_id"] != want.id || d["current_retry"] != want.retry ||
			d["response"] != want.response || d["http_error"] != nil {
			t.Errorf("webhook-log line %d: %+v, want %+v", i, lines[i], want)
		}
	}
	if name := lines[2].Detail["action_name"]; name != "done_sync" {
		t.Errorf("sync line's action_name = %v", name)
	}
}

// An unreachable handler: the line is an error with the transport error
// and no status; with webhook-log disabled, no line at all.
func TestLogTypesActionWebhookUnreachable(t *testing.T) {
	t.Parallel()
	for _, enabled := range []bool{true, false} {
		logs := &logBuffer{}
		types := "startup,http-log"
		if enabled {
			types += ",webhook-log"
		}
		s := testenv.Start(t, testenv.NewDatabase(t), testenv.Options{Logs: logs, LogTypes: types})
		mustMeta(t, s, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
			"fields": []any{arg("v", "String")}}}}))
		mustMeta(t, s, action("gone", "mutation", "http://127.0.0.1:1/gone", "Done"))
		if e := errorOf(t, gql(t, s, `mutation { gone { v } }`, nil).Body); e["message"] != "http exception when calling webhook" {
			t.Fatalf("unreachable handler: error %v", e)
		}
		lines := logs.lines(t, "webhook-log")
		if !enabled {
			if len(lines) != 0 || len(logs.lines(t, "http-log")) == 0 {
				t.Errorf("webhook-log disabled: %d lines, want none (and some http-log lines)", len(lines))
			}
			continue
		}
		if len(lines) != 1 {
			t.Fatalf("%d webhook-log lines, want 1: %+v", len(lines), lines)
		}
		d := lines[0].Detail
		if lines[0].Level != "error" || d["status_code"] != nil || d["http_error"] == nil || d["url"] != "http://127.0.0.1:1/gone" {
			t.Errorf("webhook-log line: %+v", lines[0])
		}
	}
}
