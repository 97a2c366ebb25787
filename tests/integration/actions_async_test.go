package integration

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// asyncAction builds a create_action body for an asynchronous mutation.
func asyncAction(name, handler, output string, timeout int, args ...map[string]any) map[string]any {
	def := map[string]any{"kind": "asynchronous", "handler": handler, "output_type": output, "arguments": args}
	if timeout > 0 {
		def["timeout"] = timeout
	}
	return op("create_action", map[string]any{"name": name, "definition": def})
}

// startAsync returns id of an async call the mutation made.
func startAsync(t *testing.T, s *testenv.Server, mutation string, headers ...map[string]string) string {
	t.Helper()
	r := gql(t, s, mutation, nil, headers...)
	var out struct {
		Data map[string]string
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Data) != 1 {
		t.Fatalf("async mutation = %s (%v)", r.Body, err)
	}
	for _, id := range out.Data {
		if len(id) != 36 {
			t.Fatalf("async mutation answered %q, want a uuid", id)
		}
		return id
	}
	return ""
}

// pollAsync asks query (with $id) until the call has output or errors,
// for at most 10 s, and returns the last body.
func pollAsync(t *testing.T, s *testenv.Server, query, id string, headers ...map[string]string) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := gql(t, s, query, map[string]any{"id": id}, headers...)
		var out struct {
			Data map[string]*struct {
				Output json.RawMessage
				Errors json.RawMessage
			}
		}
		_ = json.Unmarshal(r.Body, &out)
		for _, v := range out.Data {
			if v != nil && (len(v.Output) > 0 && string(v.Output) != "null" || len(v.Errors) > 0 && string(v.Errors) != "null") {
				return r.Body
			}
		}
		if time.Now().After(deadline) {
			return r.Body
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An async action answers its id at once; the worker calls the handler
// and <action>(id) returns the output or the error, to its session only.
func TestActionsAsync(t *testing.T) {
	t.Parallel()
	s, hook := startActions(t)
	base := hook.URL()
	mustMeta(t, s, asyncAction("create_user_async", base+"/create-user", "UserId", 0, arg("email", "String!"), arg("name", "String!")))
	mustMeta(t, s, asyncAction("no_body_async", base+"/test-action-user-role-async", "UserId", 0))
	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "create_user_async", "role": "user"}))
	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "no_body_async", "role": "user"}))

	id := startAsync(t, s, `mutation { create_user_async(email: "random-email", name: "Clarke") }`)
	body := pollAsync(t, s, `query ($id: uuid!) { create_user_async(id: $id) { id output { id } errors } }`, id)
	wantJSON(t, body, `{"data":{"create_user_async":{"id":"`+id+`","output":null,
	  "errors":{"path":"$","error":"Given email address is not valid","code":"invalid-email"}}}}`)

	id = startAsync(t, s, `mutation { create_user_async(email: "clarke@hasura.io", name: "Clarke") }`)
	body = pollAsync(t, s, `query ($id: uuid!) { create_user_async(id: $id) { __typename output { __typename id user { name email is_admin } } errors } }`, id)
	wantOrdered(t, body, `{"data":{"create_user_async":{"__typename":"create_user_async","output":{"__typename":"UserId","id":1,
	  "user":{"name":"Clarke","email":"clarke@hasura.io","is_admin":false}},"errors":null}}}`)

	// Made by user 1: user 1 sees it, user 2 does not.
	id = startAsync(t, s, `mutation { create_user_async(email: "blake@hasura.io", name: "Blake") }`, userHeaders("1"))
	q := `query ($id: uuid!) { create_user_async(id: $id) { output { id } errors } }`
	wantJSON(t, pollAsync(t, s, q, id, userHeaders("1")), `{"data":{"create_user_async":{"output":{"id":2},"errors":null}}}`)
	wantJSON(t, gql(t, s, q, map[string]any{"id": id}, userHeaders("2")).Body, `{"data":{"create_user_async":null}}`)

	// A 204 without a body: the error, without internal details for a role.
	id = startAsync(t, s, `mutation { no_body_async }`, userHeaders("1"))
	q = `query ($id: uuid!) { no_body_async(id: $id) { errors } }`
	wantJSON(t, pollAsync(t, s, q, id, userHeaders("1")),
		`{"data":{"no_body_async":{"errors":{"path":"$","error":"not a valid json response from webhook","code":"unexpected"}}}}`)
}

// A handler slower than the timeout records Hasura's Response timeout,
// with the handler's template unexpanded.
func TestActionsAsyncTimeout(t *testing.T) {
	s, hook := startActions(t)
	t.Setenv("GRAFT_TEST_ASYNC_BASE", hook.URL())
	mustMeta(t, s, asyncAction("slow_async", "{{GRAFT_TEST_ASYNC_BASE}}/create-user-timeout", "UserId", 1,
		arg("email", "String!"), arg("name", "String!")))
	id := startAsync(t, s, `mutation { slow_async(email: "clarke@hasura.io", name: "Clarke") }`)
	body := pollAsync(t, s, `query ($id: uuid!) { slow_async(id: $id) { errors } }`, id)
	var out struct {
		Data struct {
			SlowAsync struct {
				Errors struct {
					Code     string
					Internal struct {
						Error   struct{ Message string }
						Request struct{ URL string }
					}
				}
			} `json:"slow_async"`
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	e := out.Data.SlowAsync.Errors
	if e.Code != "unexpected" || e.Internal.Error.Message != "Response timeout" || e.Internal.Request.URL != "{{GRAFT_TEST_ASYNC_BASE}}/create-user-timeout" {
		t.Fatalf("timeout error = %s", body)
	}
}
