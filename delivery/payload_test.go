package delivery

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
)

// objectFields' plain scan must split exactly as encoding/json's tokenizer,
// and leave what it does not handle (escaped keys, invalid JSON) to it.
func TestObjectFieldsScanMatchesDecoder(t *testing.T) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a" : -1.5e3 , "b":"x\"y\\","c":[1,{"d":"]}"}],"e":{"f":null},"g":true}`,
		`{"id":7,"name":"a \"b\"","email":null,"tags":{"x":[1,2]}}`, `{"k\"q":1,"z":2}`, `{"a":"\u00e9","b":[]}`,
		"{\n\t\"a\" :\r\n [ 1 , 2 ] ,\"b\": {\"c\" : \"d\"}\n}", `[1,2]`, `"s"`, `{"a":1,}`, `{"a":1`, `{"a":01}`,
	} {
		want, werr := decodeObjectFields(json.RawMessage(s))
		got, gerr := objectFields(json.RawMessage(s))
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q %v\nwant %q %v", s, got, gerr, want, werr)
		}
	}
}

// The hand-written webhook body, invocation log and strings must read back
// as what encoding/json gives.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x00\x1f", "é ü 日本 🎉", "bad \xff utf8", "<a & b>", "\u2028"}
	for _, s := range strs {
		var got string
		b := replication.AppendJSONString(nil, strings.ToValidUTF8(s, "\uFFFD"))
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %v (%s)", s, err, b)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Errorf("%q read back as %q", s, got)
		}
	}
	at := time.Date(2026, 11, 25, 1, 2, 3, 456789000, time.UTC)
	e := &Event{ID: "3f1b", Trigger: `tr"ig`, Table: Relation{Schema: "public", Name: "users"}, Tries: 2, CreatedAt: at,
		body: json.RawMessage(`{"session_variables":null,"op":"INSERT","data":{"old":null,"new":{"id":1,"n":"é"}},"trace_context":null}`)}
	var p payload
	p.Event, p.CreatedAt, p.ID = e.body, "2026-11-25T01:02:03.456789", e.ID
	p.DeliveryInfo.MaxRetries, p.DeliveryInfo.CurrentRetry = 5, 2
	p.Trigger.Name, p.Table.Schema, p.Table.Name = e.Trigger, "public", "users"
	want, _ := json.Marshal(p)
	if got := appendPayload(nil, e, 5); string(got) != string(want) {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
	for _, l := range []*InvocationLog{
		{ID: "l1", EventID: "e1", Trigger: "t", Attempt: 1, Status: 500, Request: want, Response: "oops\n\"x\"",
			Error: "dial tcp: refused", Duration: 1234567, CreatedAt: at},
		{ID: "l2", EventID: "e2", Trigger: "t", CreatedAt: at.Add(time.Hour)},
	} {
		var got, exp InvocationLog
		if err := json.Unmarshal(appendLog(nil, l), &got); err != nil {
			t.Fatalf("log: %v: %s", err, appendLog(nil, l))
		}
		std, _ := json.Marshal((*storedLog)(l))
		_ = json.Unmarshal(std, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("log\n got %+v\nwant %+v", got, exp)
		}
	}
}

// storedLog is InvocationLog without its MarshalJSON: the form appendLog writes.
type storedLog InvocationLog
