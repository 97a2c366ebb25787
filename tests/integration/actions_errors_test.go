package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// wantActionError checks an action error: message, code, and whether the
// admin-only internal details are there.
func wantActionError(t *testing.T, r *testenv.Response, message, code string, internal bool) map[string]any {
	t.Helper()
	wantStatus(t, r, 200)
	e := errorOf(t, r.Body)
	ext, _ := e["extensions"].(map[string]any)
	if e["message"] != message || ext["code"] != code {
		t.Fatalf("error = %s; want message %q, code %q", r.Body, message, code)
	}
	if _, has := ext["internal"]; has != internal {
		t.Fatalf("error = %s; internal details present: %v, want %v", r.Body, has, internal)
	}
	return ext
}

// The handler's output is checked against the output type, with Hasura's
// messages; admin gets the request and response as internal details.
func TestActionsOutputValidation(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	ext := wantActionError(t, gql(t, s, `mutation { null_response { id } }`, nil),
		"expecting object for action webhook response but got null", "unexpected", true)
	internal := ext["internal"].(map[string]any)
	if internal["error"] != "unexpected response" || internal["response"].(map[string]any)["status"] != float64(200) {
		t.Fatalf("internal = %v", internal)
	}
	wantActionError(t, gql(t, s, `mutation { scalar_array }`, nil),
		"got scalar String for the action webhook response, expecting Int", "unexpected", true)
	wantActionError(t, gql(t, s, `mutation { nested_scalar_array }`, nil),
		"expecting array for the action webhook response", "unexpected", true)
	wantActionError(t, gql(t, s, `query { wrong_field { id child { id } } }`, nil),
		`expecting not null value for field "id"`, "unexpected", true)
	// Nulls where the type allows them pass, as do json and custom scalars.
	wantData(t, s, `query { nested_null { id child { id } } }`, nil, `{"nested_null":{"id":1,"child":null}}`)
	wantData(t, s, `query { json_response }`, nil, `{"json_response":{"foo":"bar"}}`)

	// A role sees the same message without the internal details.
	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "wrong_field", "role": "user"}))
	wantActionError(t, gql(t, s, `query { wrong_field { id } }`, nil, userHeaders("1")),
		`expecting not null value for field "id"`, "unexpected", false)
}

// A 4xx answer is the GraphQL error: its message, and its extensions, or
// {path, code} from its code.
func TestActions4xxPassThrough(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	r := gql(t, s, `query { intentional_error(blob: {message: "boom", code: "toplevel", extensions: {foo: "bar", code: "action-error"}}) { id } }`, nil)
	wantOrdered(t, r.Body, `{"errors":[{"message":"boom","extensions":{"foo":"bar","code":"action-error"}}]}`)
	r = gql(t, s, `mutation { create_user(email: "random-email", name: "Clarke") { id } }`, nil)
	wantJSON(t, r.Body, `{"errors":[{"message":"Given email address is not valid","extensions":{"path":"$","code":"invalid-email"}}]}`)
	r = gql(t, s, `query { intentional_error(blob: {message: "plain"}) { id } }`, nil)
	wantJSON(t, r.Body, `{"errors":[{"message":"plain","extensions":{"path":"$","code":"unexpected"}}]}`)
}

// Set-Cookie from the handler reaches the client.
func TestActionsSetCookie(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	r := gql(t, s, `mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { id } }`, nil)
	wantStatus(t, r, 200)
	if got := r.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != "abcd" {
		t.Fatalf("Set-Cookie = %v, want [abcd]; body %s", got, r.Body)
	}
}

// A handler that does not answer in time, one that is not there, one that
// answers 204 without a body, and one that answers too much, are errors of
// code unexpected, not hangs.
func TestActionsHandlerFailures(t *testing.T) {
	t.Parallel()
	s, hook := startActions(t)
	mustMeta(t, s, op("create_action", map[string]any{"name": "slow", "definition": map[string]any{
		"handler": hook.URL() + "/create-user-timeout", "output_type": "UserId", "timeout": 1,
		"arguments": []any{arg("email", "String!"), arg("name", "String!")}}}))
	ext := wantActionError(t, gql(t, s, `mutation { slow(email: "a@b.io", name: "A") { id } }`, nil),
		"http exception when calling webhook", "unexpected", true)
	if msg := ext["internal"].(map[string]any)["error"].(map[string]any)["message"]; msg != "Response timeout" {
		t.Fatalf("timeout internal error = %v", msg)
	}

	mustMeta(t, s, action("unreachable", "mutation", "http://127.0.0.1:1/nowhere", "UserId"))
	wantActionError(t, gql(t, s, `mutation { unreachable { id } }`, nil), "http exception when calling webhook", "unexpected", true)

	wantActionError(t, gql(t, s, `mutation { missing_route { id } }`, nil), "not a valid json response from webhook", "unexpected", true)

	s.App.Actions.SetMaxResponseBytes(8)
	defer s.App.Actions.SetMaxResponseBytes(0)
	ext = wantActionError(t, gql(t, s, `query { json_response }`, nil), "http exception when calling webhook", "unexpected", true)
	if msg, _ := ext["internal"].(map[string]any)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "too large") {
		t.Fatalf("oversized body internal error = %v", msg)
	}
}
