package delivery

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/graftql/graft/replication"
)

func TestParseTriggers(t *testing.T) {
	raw := `[
	  {"name": "all_defaults", "definition": {"insert": {"columns": "*"}}, "webhook": "http://h/x"},
	  {"name": "full", "definition": {"enable_manual": true,
	      "insert": {"columns": "*"},
	      "update": {"columns": ["name", "email"], "payload": ["id", "name"]},
	      "delete": {"columns": "*"}},
	    "retry_conf": {"num_retries": 3, "interval_sec": 5, "timeout_sec": 7, "tolerance_seconds": 21600},
	    "webhook_from_env": "HOOK",
	    "headers": [{"name": "X-A", "value": "a"}, {"name": "X-B", "value_from_env": "B"}]}
	]`
	ts, err := ParseTriggers(usersTable, json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []Trigger{
		{Name: "all_defaults", Table: usersTable, Insert: &OpSpec{Columns: Columns{All: true}, Payload: Columns{All: true}},
			Retry: RetryConf{NumRetries: 0, IntervalSec: 10, TimeoutSec: 60}, Webhook: "http://h/x"},
		{Name: "full", Table: usersTable, EnableManual: true,
			Insert:  &OpSpec{Columns: Columns{All: true}, Payload: Columns{All: true}},
			Update:  &OpSpec{Columns: Columns{Names: []string{"name", "email"}}, Payload: Columns{Names: []string{"id", "name"}}},
			Delete:  &OpSpec{Columns: Columns{All: true}, Payload: Columns{All: true}},
			Retry:   RetryConf{NumRetries: 3, IntervalSec: 5, TimeoutSec: 7},
			Headers: []Header{{Name: "X-A", Value: "a"}, {Name: "X-B", ValueFromEnv: "B"}}, WebhookFromEnv: "HOOK"},
	}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("ParseTriggers:\n got %+v\nwant %+v", ts, want)
	}
	// A partial retry_conf keeps Hasura's defaults for the rest.
	ts, err = ParseTriggers(usersTable, json.RawMessage(`[{"name":"p","definition":{},"retry_conf":{"num_retries":2},"webhook":"http://h"}]`))
	if err != nil || ts[0].Retry != (RetryConf{NumRetries: 2, IntervalSec: 10, TimeoutSec: 60}) {
		t.Fatalf("partial retry_conf: %+v, %v", ts, err)
	}
	if ts, err := ParseTriggers(usersTable, nil); err != nil || ts != nil {
		t.Fatalf("nil list: %v %v", ts, err)
	}
	// Transforms are stored, not applied: the trigger says so.
	ts, err = ParseTriggers(usersTable, json.RawMessage(`[{"name":"tr","definition":{},"webhook":"http://h",
		"request_transform":{"version":2,"method":"PUT","template_engine":"Kriti"},"response_transform":null}]`))
	if err != nil || !reflect.DeepEqual(ts[0].Ignored, []string{"request_transform"}) || want[1].Ignored != nil {
		t.Fatalf("ignored parts: %+v, %v", ts, err)
	}
	// The snapshot stored with each event round-trips.
	b, _ := json.Marshal(want[1])
	var back Trigger
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, want[1]) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestParseTriggersErrors(t *testing.T) {
	for name, raw := range map[string]string{
		"no name":        `[{"definition":{},"webhook":"http://h"}]`,
		"no webhook":     `[{"name":"a","definition":{}}]`,
		"two webhooks":   `[{"name":"a","definition":{},"webhook":"http://h","webhook_from_env":"E"}]`,
		"bad columns":    `[{"name":"a","definition":{"update":{"columns":"name"}},"webhook":"http://h"}]`,
		"duplicate":      `[{"name":"a","definition":{},"webhook":"http://h"},{"name":"a","definition":{},"webhook":"http://h"}]`,
		"bad header":     `[{"name":"a","definition":{},"webhook":"http://h","headers":[{"name":"X","value":"v","value_from_env":"E"}]}]`,
		"zero timeout":   `[{"name":"a","definition":{},"webhook":"http://h","retry_conf":{"timeout_sec":0}}]`,
		"not a list":     `{"name":"a"}`,
		"negative retry": `[{"name":"a","definition":{},"webhook":"http://h","retry_conf":{"num_retries":-1}}]`,
	} {
		if _, err := ParseTriggers(usersTable, json.RawMessage(raw)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFires(t *testing.T) {
	tr := mustTrigger(t, usersTable, `{"name":"t","definition":{"insert":{"columns":"*"},"update":{"columns":["email"]}},"webhook":"http://h"}`)
	star := mustTrigger(t, usersTable, `{"name":"s","definition":{"update":{"columns":"*"},"delete":{"columns":"*"}},"webhook":"http://h"}`)
	for _, c := range []struct {
		tr   Trigger
		ch   replication.Change
		want bool
	}{
		{tr, insert(`{}`), true},
		{tr, update(`{}`, `{}`, "email"), true},
		{tr, update(`{}`, `{}`, "name", "email"), true},
		{tr, update(`{}`, `{}`, "name"), false},
		{tr, del(`{}`), false},
		{star, insert(`{}`), false},
		{star, update(`{}`, `{}`, "name"), true},
		{star, update(`{}`, `{}`), false}, // no-op update: Hasura compares old and new
		{star, del(`{}`), true},
	} {
		if got := c.tr.Fires(&c.ch); got != c.want {
			t.Errorf("%s fires on %s %v: %v, want %v", c.tr.Name, c.ch.Op, c.ch.Changed, got, c.want)
		}
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestEventID(t *testing.T) {
	a := EventID(0x16B3748, 3, "users_insert")
	if a != EventID(0x16B3748, 3, "users_insert") {
		t.Fatal("EventID is not deterministic")
	}
	if !uuidRE.MatchString(a) || a[14] != '5' {
		t.Fatalf("EventID %q is not a UUIDv5", a)
	}
	for _, b := range []string{EventID(0x16B3749, 3, "users_insert"), EventID(0x16B3748, 4, "users_insert"), EventID(0x16B3748, 3, "users_update")} {
		if b == a {
			t.Fatalf("EventID collision: %s", b)
		}
	}
	if r := randomID(); !uuidRE.MatchString(r) || r[14] != '4' {
		t.Fatalf("randomID %q is not a UUIDv4", r)
	}
}

func TestProjectAndRowKey(t *testing.T) {
	row := json.RawMessage(`{"id":7,"name":"a \"b\"","email":null,"tags":{"x":[1,2]}}`)
	got, err := project(row, Columns{Names: []string{"tags", "id"}})
	if err != nil || string(got) != `{"id":7,"tags":{"x":[1,2]}}` {
		t.Fatalf("project: %s %v", got, err)
	}
	if got, _ := project(row, Columns{All: true}); string(got) != string(row) {
		t.Fatalf("project *: %s", got)
	}
	if got, _ := project(nil, Columns{Names: []string{"id"}}); got != nil {
		t.Fatalf("project nil: %s", got)
	}
	if k := rowKey(row, []string{"id"}); k != `[7]` {
		t.Fatalf("rowKey: %s", k)
	}
	if k := rowKey(row, []string{"id", "missing"}); k != string(row) {
		t.Fatalf("rowKey without the key columns: %s", k)
	}
}

func TestPoolSizeFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if n, err := PoolSizeFromEnv(get); err != nil || n != 100 {
		t.Fatalf("default: %d %v", n, err)
	}
	env["HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE"] = "7"
	if n, err := PoolSizeFromEnv(get); err != nil || n != 7 {
		t.Fatalf("7: %d %v", n, err)
	}
	env["HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE"] = "0"
	if _, err := PoolSizeFromEnv(get); err == nil || !strings.Contains(err.Error(), "POOL_SIZE") {
		t.Fatalf("0: %v", err)
	}
}
