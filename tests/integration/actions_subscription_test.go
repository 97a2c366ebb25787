package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// userWS opens an Apollo WebSocket with the session of role user, id.
func userWS(t *testing.T, s *testenv.Server, id string) *wsClient {
	t.Helper()
	c := dialWS(t, s, "graphql-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": id}}})
	c.expect("connection_ack", "", "")
	return c
}

// A subscription to an async call's result gets the result pushed as soon
// as the worker stores it (the test server's fallback refetch is a
// minute: only the worker's invalidation can bring it); another user's
// subscription to the same id sees nothing.
func TestActionsAsyncSubscription(t *testing.T) {
	h := newBlockingHandler(t)
	s, _ := startBlockingAsync(t, h)
	mustMeta(t, s, op("create_action_permission", map[string]any{"action": "slow_async", "role": "user"}))
	id := startAsync(t, s, `mutation { slow_async }`, userHeaders("1"))
	h.waitCall(t, "the worker")

	sub := map[string]any{"query": `subscription ($id: uuid!) { slow_async(id: $id) { id output { v } errors } }`,
		"variables": map[string]any{"id": id}}
	mine := userWS(t, s, "1")
	mine.send(map[string]any{"id": "1", "type": "start", "payload": sub})
	mine.expect("data", "1", `{"data":{"slow_async":{"id":"`+id+`","output":null,"errors":null}}}`)
	other := userWS(t, s, "2")
	other.send(map[string]any{"id": "1", "type": "start", "payload": sub})
	other.expect("data", "1", `{"data":{"slow_async":null}}`)

	// Over HTTP the subscription runs once, as a query.
	wantJSON(t, gql(t, s, sub["query"].(string), map[string]any{"id": id}, userHeaders("1")).Body,
		`{"data":{"slow_async":{"id":"`+id+`","output":null,"errors":null}}}`)

	h.open()
	mine.expect("data", "1", `{"data":{"slow_async":{"id":"`+id+`","output":{"v":"done"},"errors":null}}}`)
}
