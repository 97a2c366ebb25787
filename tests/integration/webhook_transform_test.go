package integration

import (
	"testing"
)

func TestMetadataTestWebhookTransform(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, "")
	call := func(args map[string]any) []byte {
		t.Helper()
		return mustMeta(t, s, op("test_webhook_transform", args)).Body
	}
	body := map[string]any{"hello": "world", "list": []any{1, 2}}

	// Version 2: URL, method, query params, headers and a body template.
	got := call(map[string]any{"webhook_url": "http://localhost:1234", "body": body, "request_transform": map[string]any{
		"version": 2, "template_engine": "Kriti", "url": "{{$base_url}}/hook", "method": "PUT",
		"query_params":    map[string]any{"who": "{{$body.hello}}", "a": "b c"},
		"request_headers": map[string]any{"add_headers": map[string]any{"x-b": "2", "x-a": "{{ $body.list[1] }}"}, "remove_headers": []string{"x-b"}},
		"body":            map[string]any{"action": "transform", "template": `{"greeting": "hello_{{ $body.hello }}", "n": {{ $body.list[0] }}, "up": {{ toUpper($body.hello) }}}`},
	}})
	wantJSON(t, got, `{"webhook_url":"http://localhost:1234/hook?a=b+c&who=world","method":"PUT","headers":[["x-a","2"]],
		"body":{"greeting":"hello_world","n":1,"up":"WORLD"}}`)

	// Version 1 body, session variables, the URL from the request's env; no
	// URL transform: the URL as given, normalized, and GET.
	got = call(map[string]any{"webhook_url": map[string]any{"from_env": "HOOK"}, "env": map[string]any{"HOOK": "http://example.org"},
		"body": body, "session_variables": map[string]any{"x-hasura-user-id": "7"},
		"request_transform": map[string]any{"template_engine": "Kriti", "body": `{{ getSessionVariable("X-Hasura-User-Id") }}`}})
	wantJSON(t, got, `{"webhook_url":"http://example.org/","method":"GET","headers":[],"body":"7"}`)
	got = call(map[string]any{"webhook_url": "http://x", "body": body, "request_transform": map[string]any{"version": 2,
		"template_engine": "Kriti", "body": map[string]any{"action": "remove"}}})
	wantJSON(t, got, `{"webhook_url":"http://x/","method":"GET","headers":[],"body":""}`)

	// Template errors are validation errors in Kriti's shape.
	bad := func(where, tmpl, kind string) {
		t.Helper()
		args := map[string]any{"webhook_url": "http://x", "body": body, "request_transform": map[string]any{"version": 2,
			"template_engine": "Kriti", "body": map[string]any{"action": "transform", "template": "{{ $body.hello }}"}}}
		args[where] = map[string]any{"version": 2, "template_engine": "Kriti", "body": map[string]any{"action": "transform", "template": tmpl}}
		r := meta(t, s, op("test_webhook_transform", args))
		wantAdminError(t, r, 400, "validation-failed", where[:len(where)-len("_transform")]+" transform validation failed")
		if field(t, r.Body, "internal", 0, "error_code") != kind {
			t.Fatalf("%s %q: %s", where, tmpl, r.Body)
		}
	}
	bad("request_transform", "$body.hello }}", "Parse Error")
	bad("request_transform", "{{ $body.world }}", "Attribute Error")
	bad("request_transform", `{{ nope("x") }}`, "Function Error")
	bad("response_transform", "$body.hello }}", "Parse Error")
	wantAdminError(t, meta(t, s, op("test_webhook_transform", map[string]any{"webhook_url": map[string]any{"from_env": "GRAFT_SURELY_UNSET"},
		"request_transform": map[string]any{"template_engine": "Kriti"}})), 400, "not-exists", "GRAFT_SURELY_UNSET")
}
