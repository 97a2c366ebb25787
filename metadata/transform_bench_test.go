package metadata

import (
	"encoding/json"
	"testing"
	"time"
)

// transformSpeedupFloor is the least speedup parsing once must give over
// parsing on every call, for a transform like the ones actions use.
const transformSpeedupFloor = 1.5

// benchTransform sets url, query, a header and a body template.
var benchTransform = json.RawMessage(`{"version": 2, "template_engine": "Kriti", "method": "PUT",
  "url": "{{$base_url}}/users/{{$body.input.id}}", "query_params": {"role": "{{$session_variables['x-hasura-role']}}"},
  "request_headers": {"add_headers": {"X-User": "{{ getSessionVariable(\"x-hasura-user-id\") }}"}, "remove_headers": ["Cookie"]},
  "body": {"action": "transform", "template": "{\"user\": {\"id\": {{$body.input.id}}, \"name\": \"{{ toUpper($body.input.name) }}\", \"tags\": [{{$body.input.tags[0]}}, \"x\"]}, \"by\": {{$session_variables}}}"}}`)

func benchEnv() (any, map[string]any) {
	body := map[string]any{"action": map[string]any{"name": "create_user"},
		"input": map[string]any{"id": 7.0, "name": "ada", "tags": []any{"a", "b"}}}
	sess := map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "7"}
	return body, map[string]any{"body": body, "session_variables": sess, "base_url": "http://h", "query_params": map[string]any{}}
}

// BenchmarkRequestTransform: applying a request transform per call,
// before (decoded and parsed on every call: ApplyRequestTransform) and
// after (parsed once, as a snapshot's action holds it); it reports the
// per-call times and their ratio against transformSpeedupFloor.
func BenchmarkRequestTransform(b *testing.B) {
	body, env := benchEnv()
	compiled := CompileRequestTransform(benchTransform)
	perCall := func(name string, apply func() (*TransformedRequest, error)) time.Duration {
		var d time.Duration
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := apply(); err != nil {
					b.Fatal(err)
				}
			}
			d = b.Elapsed() / time.Duration(b.N)
		})
		return d
	}
	before := perCall("parse-per-call", func() (*TransformedRequest, error) {
		return ApplyRequestTransform(benchTransform, "http://h", body, env)
	})
	after := perCall("parsed-once", func() (*TransformedRequest, error) {
		return compiled.Apply("http://h", body, env)
	})
	if before == 0 || after == 0 {
		return // a -bench filter skipped one of them
	}
	ratio := float64(before) / float64(after)
	b.ReportMetric(ratio, "before/after")
	b.Logf("request transform per call: %v parsed each call, %v parsed once: %.2fx (floor %.2fx)", before, after, ratio, transformSpeedupFloor)
	if ratio < transformSpeedupFloor {
		b.Errorf("parsing once is %.2fx faster, below the floor %.2fx", ratio, transformSpeedupFloor)
	}
}

// The compiled transform gives what parsing on each call gives.
func TestCompiledTransformAgrees(t *testing.T) {
	body, env := benchEnv()
	want, err := ApplyRequestTransform(benchTransform, "http://h", body, env)
	if err != nil {
		t.Fatal(err)
	}
	compiled := CompileRequestTransform(benchTransform)
	for range 2 {
		got, err := compiled.Apply("http://h", body, env)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("compiled = %s, want %s", g, w)
		}
	}
	got, _ := json.Marshal(want)
	const expect = `{"URL":"http://h/users/7?role=user","Method":"PUT","AddHeaders":[["X-User","7"]],"RemoveHeaders":["Cookie"],` +
		`"Body":{"by":{"x-hasura-role":"user","x-hasura-user-id":"7"},"user":{"id":7,"name":"ADA","tags":["a","x"]}},"BodyTransform":true}`
	if string(got) != expect {
		t.Fatalf("transformed request = %s\nwant %s", got, expect)
	}
}
