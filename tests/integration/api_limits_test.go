package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

func TestAPILimitsDepthNodesBatch(t *testing.T) {
	t.Parallel()
	s := startGuarded(t, false)
	mustMeta(t, s, op("set_api_limits", map[string]any{
		"depth_limit": map[string]any{"global": 1, "per_role": map[string]any{"editor": 5}},
		"node_limit":  map[string]any{"global": 2},
		"batch_limit": map[string]any{"global": 2},
	}))
	deep := `{ author { articles { id } } }`
	r := gql(t, s, deep, nil, as("user"))
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"errors":[{"message":"depth limit exceeded: the operation's depth is 2, the limit is 1","extensions":{"path":"$","code":"validation-failed"}}]}`)
	wantOrdered(t, gql(t, s, `{ author(where: {id: {_eq: 1}}) { id } }`, nil, as("user")).Body, `{"data":{"author":[{"id":1}]}}`)
	// The editor's own depth limit is 5; the global node limit still applies to it.
	r = gql(t, s, `{ a: author { id } b: author { id } c: author { id } }`, nil, as("editor"))
	wantJSON(t, r.Body, `{"errors":[{"message":"node limit exceeded: the operation has 3 nodes, the limit is 2","extensions":{"path":"$","code":"validation-failed"}}]}`)
	// Introspection counts for neither.
	if r := gql(t, s, `{ __schema { types { name fields { name } } } }`, nil, as("user")); len(r.Body) < 100 || json.Valid(r.Body) == false {
		t.Fatalf("introspection refused: %s", r.Body)
	}
	one := map[string]any{"query": `{ author(where: {id: {_eq: 2}}) { id } }`}
	r = post(t, s, "/v1/graphql", []any{one, one, one}, admin(as("user")))
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"errors":[{"message":"batch limit exceeded: the batch has 3 operations, the limit is 2","extensions":{"path":"$","code":"validation-failed"}}]}`)
	r = post(t, s, "/v1/graphql", []any{one, one}, admin(as("user")))
	wantJSON(t, r.Body, `[{"data":{"author":[{"id":2}]}},{"data":{"author":[{"id":2}]}}]`)
	// Admin is exempt.
	wantData(t, s, deep, nil, `{"author":[{"articles":[{"id":10}]},{"articles":[]}]}`)

	// Over WebSocket too.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]string{
		"X-Hasura-Admin-Secret": testenv.AdminSecret, "X-Hasura-Role": "user"}}})
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "d", "type": "subscribe", "payload": map[string]any{"query": "subscription " + deep}})
	c.expect("error", "d", `[{"message":"depth limit exceeded: the operation's depth is 2, the limit is 1","extensions":{"path":"$","code":"validation-failed"}}]`)

	// disabled turns them off; remove_api_limits drops them.
	mustMeta(t, s, op("set_api_limits", map[string]any{"disabled": true, "depth_limit": map[string]any{"global": 1}}))
	wantOrdered(t, gql(t, s, deep, nil, as("user")).Body, `{"data":{"author":[{"articles":[{"id":10}]},{"articles":[]}]}}`)
	mustMeta(t, s, op("set_api_limits", map[string]any{"depth_limit": map[string]any{"global": 1}}))
	mustMeta(t, s, op("remove_api_limits", map[string]any{}))
	wantOrdered(t, gql(t, s, deep, nil, as("user")).Body, `{"data":{"author":[{"articles":[{"id":10}]},{"articles":[]}]}}`)
	var md map[string]json.RawMessage
	json.Unmarshal(exportMetadata(t, s), &md)
	if md["api_limits"] != nil {
		t.Fatalf("remove_api_limits left %s", md["api_limits"])
	}
	wantMetaError(t, s, op("set_api_limits", map[string]any{"rate_limit": map[string]any{"global": map[string]any{"max_reqs_per_min": 5, "unique_params": "cookie"}}}),
		`{"path":"$.args","error":"rate_limit: Not a valid value. Should be either: 'IP' or a list of Hasura session variables","code":"parse-failed"}`)
	// replace_metadata refuses what set_api_limits refuses.
	md["api_limits"] = json.RawMessage(`{"depth_limit": {"per_role": {}}}`)
	b, _ := json.Marshal(md)
	wantMetaError(t, s, op("replace_metadata", jsonRaw(b)), `{"path":"$.args","error":"api_limits: depth_limit: key \"global\" not found","code":"parse-failed"}`)
}

func TestAPILimitTime(t *testing.T) {
	t.Parallel()
	s := startGuarded(t, false)
	// slow_authors sleeps far longer than the limit: only the limit ends it.
	runSQL(t, s, `CREATE FUNCTION slow_authors() RETURNS SETOF author AS $$ SELECT pg_sleep(30); SELECT * FROM author $$ LANGUAGE sql STABLE`)
	mustMeta(t, s, op("pg_track_function", map[string]any{"function": "slow_authors"}))
	mustMeta(t, s, op("set_api_limits", map[string]any{"time_limit": map[string]any{"global": 0.2}}))
	r := gql(t, s, `{ slow_authors { id } }`, nil, as("user"))
	wantStatus(t, r, 200)
	wantJSON(t, r.Body, `{"errors":[{"message":"time limit exceeded: the operation ran longer than 0.2s","extensions":{"path":"$","code":"time-limit-exceeded"}}]}`)
	wantOrdered(t, gql(t, s, `{ author(where: {id: {_eq: 1}}) { id } }`, nil, as("user")).Body, `{"data":{"author":[{"id":1}]}}`)
}

// Two replicas on one Redis share the rate limit: together they admit
// exactly max_reqs_per_min requests of one user within the minute.
func TestAPIRateLimitSharedByReplicas(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, allowSQL)
	opts := testenv.Options{Redis: true, WALMode: "off"}
	a := testenv.Start(t, db, opts)
	mustMeta(t, a, op("bulk", []any{
		op("pg_track_table", map[string]any{"table": "author"}),
		perm("select", "author", "user", map[string]any{"columns": "*", "filter": map[string]any{}}),
		op("set_api_limits", map[string]any{"rate_limit": map[string]any{
			"global": map[string]any{"max_reqs_per_min": 5, "unique_params": []string{"x-hasura-user-id"}}}}),
	}))
	b := testenv.Start(t, db, opts) // loads the metadata above at start
	// A user id of its own: Redis outlives this test's database.
	raw := make([]byte, 8)
	rand.Read(raw)
	user := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": hex.EncodeToString(raw)}
	admitted, limited := 0, 0
	for i := 0; i < 10; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		r := gql(t, s, `{ author(where: {id: {_eq: 1}}) { id } }`, nil, user)
		var body struct {
			Data   json.RawMessage
			Errors []struct {
				Message    string
				Extensions struct{ Code, Path string }
			}
		}
		json.Unmarshal(r.Body, &body)
		switch {
		case string(body.Data) == `{"author":[{"id":1}]}` && body.Errors == nil:
			admitted++
		case body.Data == nil && len(body.Errors) == 1 && body.Errors[0].Extensions.Code == "rate-limit-exceeded" &&
			body.Errors[0].Message == "rate limit exceeded: more than 5 requests per minute":
			limited++
		default:
			t.Fatalf("request %d: %s", i, r.Body)
		}
	}
	if admitted != 5 || limited != 5 {
		t.Fatalf("admitted %d, limited %d: want 5 and 5 across both replicas", admitted, limited)
	}
	// Another user has a count of its own; admin is exempt.
	other := map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": fmt.Sprint("other-", hex.EncodeToString(raw))}
	wantOrdered(t, gql(t, b, `{ author(where: {id: {_eq: 1}}) { id } }`, nil, other).Body, `{"data":{"author":[{"id":1}]}}`)
	wantData(t, a, `{ author(where: {id: {_eq: 1}}) { id } }`, nil, `{"author":[{"id":1}]}`)
}
