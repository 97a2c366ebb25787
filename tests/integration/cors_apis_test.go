package integration

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/tests/testenv"
)

// startEnv starts a server with extra HASURA_GRAPHQL_* settings and one
// tracked table.
func startEnv(t *testing.T, env map[string]string) *testenv.Server {
	t.Helper()
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, `CREATE TABLE author (id int PRIMARY KEY, name text); INSERT INTO author VALUES (1, 'a')`)
	s := testenv.Start(t, db, testenv.Options{Env: env})
	if env["HASURA_GRAPHQL_ENABLED_APIS"] == "" || strings.Contains(env["HASURA_GRAPHQL_ENABLED_APIS"], "metadata") {
		mustMeta(t, s, op("pg_track_table", map[string]any{"table": "author"}))
	}
	return s
}

// request sends method to path with headers and returns the response.
func request(t *testing.T, s *testenv.Server, method, path, body string, headers map[string]string) *testenv.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestCORSPreflightAndHeaders(t *testing.T) {
	t.Parallel()
	s := startEnv(t, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://app.example.com, https://*.example.org"})
	query := `{"query":"{ author { id } }"}`
	for _, origin := range []string{"https://app.example.com", "https://shop.example.org"} {
		r := request(t, s, http.MethodOptions, "/v1/graphql", "", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-hasura-admin-secret"})
		wantStatus(t, r, 204)
		for k, v := range map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS", "Access-Control-Max-Age": "1728000",
			"Access-Control-Allow-Headers": "content-type,x-hasura-admin-secret"} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("preflight from %s: %s = %q, want %q", origin, k, got, v)
			}
		}
		r = request(t, s, http.MethodPost, "/v1/graphql", query, admin(map[string]string{"Origin": origin}))
		wantOrdered(t, r.Body, `{"data":{"author":[{"id":1}]}}`)
		if r.Header.Get("Access-Control-Allow-Origin") != origin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("POST from %s: CORS headers %v", origin, r.Header)
		}
	}
	for _, origin := range []string{"https://evil.com", "https://a.b.example.org", "https://example.org", "http://app.example.com"} {
		r := request(t, s, http.MethodOptions, "/v1/graphql", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
		if r.Status == 204 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: status %d, headers %v", origin, r.Status, r.Header)
		}
		r = request(t, s, http.MethodPost, "/v1/graphql", query, admin(map[string]string{"Origin": origin}))
		wantStatus(t, r, 200) // served: the browser, lacking the headers, hides it
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("POST from %s got CORS headers %v", origin, r.Header)
		}
	}
}

func TestCORSDefaultAndDisabled(t *testing.T) {
	t.Parallel()
	def := startEnv(t, nil)
	r := request(t, def, http.MethodOptions, "/v1/metadata", "", map[string]string{"Origin": "https://anyone.example"})
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://anyone.example" {
		t.Fatalf("default *: preflight %d %v", r.Status, r.Header)
	}
	off := startEnv(t, map[string]string{"HASURA_GRAPHQL_DISABLE_CORS": "true", "HASURA_GRAPHQL_CORS_DOMAIN": "https://app.example.com"})
	r = request(t, off, http.MethodPost, "/v1/graphql", `{"query":"{ author { id } }"}`, admin(map[string]string{"Origin": "https://app.example.com"}))
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS disabled: %d %v", r.Status, r.Header)
	}
	// With CORS disabled Hasura accepts a socket from any origin.
	c := dialOrigin(t, off, "https://evil.com")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
}

// dialOrigin opens an Apollo socket with an Origin header.
func dialOrigin(t *testing.T, s *testenv.Server, origin string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/v1/graphql", http.Header{"Origin": {origin}})
	if err != nil {
		t.Fatalf("dial from %s: %v", origin, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func TestWebSocketOriginCheck(t *testing.T) {
	t.Parallel()
	s := startEnv(t, map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "https://*.example.org"})
	c := dialOrigin(t, s, "https://app.example.org")
	c.send(adminInit)
	c.expect("connection_ack", "", "")

	d := websocket.Dialer{Subprotocols: []string{"graphql-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/v1/graphql", http.Header{"Origin": {"https://evil.com"}})
	if err == nil {
		conn.Close()
		t.Fatal("socket from another origin accepted")
	}
	if resp == nil || resp.StatusCode != 400 {
		t.Fatalf("refused handshake: %v, response %+v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	wantJSON(t, body, `{"message":"received origin header does not match configured CORS domains","extensions":{"path":"$","code":"access-denied"}}`)
}

func TestEnabledAPIs(t *testing.T) {
	t.Parallel()
	notFound := `{"path":"$","error":"resource does not exist","code":"not-found"}`
	gqlOnly := startEnv(t, map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "graphql"})
	for _, path := range []string{"/v1/metadata", "/v1/query", "/v2/query", "/v1/graphql/explain"} {
		r := post(t, gqlOnly, path, op("export_metadata", map[string]any{}), admin())
		wantStatus(t, r, 404)
		wantJSON(t, r.Body, notFound)
	}
	r := gql(t, gqlOnly, `{ __typename }`, nil)
	wantOrdered(t, r.Body, `{"data":{"__typename":"query_root"}}`)

	metaOnly := startEnv(t, map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "metadata"})
	for _, path := range []string{"/v1/graphql", "/v1alpha1/graphql"} {
		r := post(t, metaOnly, path, map[string]any{"query": "{ author { id } }"}, admin())
		wantStatus(t, r, 404)
		wantJSON(t, r.Body, notFound)
	}
	d := websocket.Dialer{Subprotocols: []string{"graphql-ws"}, HandshakeTimeout: 5 * time.Second}
	if conn, resp, err := d.Dial("ws"+strings.TrimPrefix(metaOnly.URL, "http")+"/v1/graphql", nil); err == nil || resp == nil || resp.StatusCode != 404 {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("websocket with graphql disabled: %v %+v", err, resp)
	}
	mustMeta(t, metaOnly, op("export_metadata", map[string]any{}))
	if r := get(t, metaOnly, "/healthz"); r.Status != 200 || string(r.Body) != "OK" {
		t.Fatalf("/healthz is always served: %d %s", r.Status, r.Body)
	}
	// An unknown path answers Hasura's 404 whatever is enabled.
	r = get(t, gqlOnly, "/v1/nothing")
	wantStatus(t, r, 404)
	wantJSON(t, r.Body, notFound)
}
