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

// A result stored by another Graft process (sharing the database and
// Redis) is pushed to a subscriber at once too: the storing worker
// publishes the change on the Redis channel. The subscriber's process has
// its own claimer stopped, so only the other one can store the result.
func TestActionsAsyncSubscriptionAcrossProcesses(t *testing.T) {
	h := newBlockingHandler(t)
	db := testenv.NewDatabase(t)
	a := testenv.Start(t, db, testenv.Options{AdminSecrets: []string{testenv.AdminSecret}, Redis: true})
	mustMeta(t, a, op("set_custom_types", map[string]any{"objects": []any{map[string]any{"name": "Done",
		"fields": []any{arg("v", "String")}}}}))
	mustMeta(t, a, asyncAction("slow_async", h.srv.URL+"/slow", "Done", 0))
	b := testenv.Start(t, db, testenv.Options{AdminSecrets: []string{testenv.AdminSecret}, Redis: true, SlotName: a.Slot})
	b.App.Actions.Close()

	id := startAsync(t, a, `mutation { slow_async }`)
	h.waitCall(t, "the first server's worker")
	sub := map[string]any{"query": `subscription ($id: uuid!) { slow_async(id: $id) { id output { v } } }`,
		"variables": map[string]any{"id": id}}
	c := dialWS(t, b, "graphql-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "1", "type": "start", "payload": sub})
	c.expect("data", "1", `{"data":{"slow_async":{"id":"`+id+`","output":null}}}`)
	h.open()
	c.expect("data", "1", `{"data":{"slow_async":{"id":"`+id+`","output":{"v":"done"}}}}`)
}
