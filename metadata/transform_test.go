package metadata

import (
	"encoding/json"
	"testing"
)

// TestBodyTransformsAgree: request and response transforms apply a body
// setting alike: remove gives no body (nil), as Hasura sends none, and an
// unknown action is an error rather than a transform.
func TestBodyTransformsAgree(t *testing.T) {
	env := map[string]any{"body": map[string]any{"a": "x"}}
	for _, c := range []struct {
		body    string
		want    any
		wantErr bool
	}{
		{`"{{ $body.a }}"`, "x", false},
		{`{"action": "transform", "template": "{{ $body.a }}"}`, "x", false},
		{`{"action": "remove"}`, nil, false},
		{`{"action": "replace", "template": "{{ $body.a }}"}`, nil, true},
	} {
		transform := json.RawMessage(`{"version": 2, "template_engine": "Kriti", "body": ` + c.body + `}`)
		out, ok, err := TransformBody(transform, env)
		if !ok || (err != nil) != c.wantErr || (err == nil && out != c.want) {
			t.Errorf("TransformBody(%s) = %#v, %v, %v; want %#v, error %v", c.body, out, ok, err, c.want, c.wantErr)
		}
		req, err := ApplyRequestTransform(transform, "http://h", env["body"], env)
		if (err != nil) != c.wantErr || (err == nil && (!req.BodyTransform || req.Body != c.want)) {
			t.Errorf("ApplyRequestTransform(%s) = %+v, %v; want body %#v, error %v", c.body, req, err, c.want, c.wantErr)
		}
	}
	if _, ok, err := TransformBody(json.RawMessage(`{"version": 2}`), env); ok || err != nil {
		t.Errorf("no body setting: ok %v, error %v", ok, err)
	}
}
