package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/graftql/graft/tests/helpers/joinremote"
	"github.com/graftql/graft/tests/testenv"
)

// Issue 14: a remote that fails (down, 500, non-JSON, slower than its
// timeout) fails only the fields it serves; the rest of the answer stays.

// wantPartial checks an answer with data (compared as JSON) and exactly
// one error at path (a JSON array) with code and a message fragment.
func wantPartial(t testing.TB, r *testenv.Response, data, path, code, msgPart string) {
	t.Helper()
	var body struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string          `json:"message"`
			Path       json.RawMessage `json:"path"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.Body)
	}
	if r.Status != http.StatusOK || len(body.Errors) != 1 || body.Data == nil {
		t.Fatalf("want HTTP 200 with data and one error, got %d %s", r.Status, r.Body)
	}
	wantJSON(t, body.Data, data)
	e := body.Errors[0]
	if compact(string(e.Path)) != compact(path) || e.Extensions.Code != code || !strings.Contains(e.Message, msgPart) {
		t.Fatalf("error = {path %s, code %q, message %q}; want path %s, code %q, message containing %q",
			e.Path, e.Extensions.Code, e.Message, path, code, msgPart)
	}
}

// flakyRemote forwards to the joinremote server, or fails as mode says:
// "500" (a plain-text 500), "html" (a 200 that is not JSON), "slow"
// (no answer before the client gives up).
type flakyRemote struct {
	mode    atomic.Value // string
	release chan struct{}
}

func (f *flakyRemote) handler(target *url.URL) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, _ := f.mode.Load().(string)
		switch mode {
		case "500":
			_, _ = io.Copy(io.Discard, r.Body)
			http.Error(w, "internal server error", http.StatusInternalServerError)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>gateway</html>")
		case "slow":
			select { // until Graft's timeout closes the request
			case <-r.Context().Done():
			case <-f.release:
			}
		default:
			proxy.ServeHTTP(w, r)
		}
	})
}

// startFlakyProfiles starts Graft on the users table with a profile
// relationship to the join remote, reached through a flakyRemote.
func startFlakyProfiles(t *testing.T) (*testenv.Server, *flakyRemote, *joinremote.Server) {
	t.Helper()
	remote := startJoinRemote(t)
	target, err := url.Parse(remote.URL)
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakyRemote{release: make(chan struct{})}
	front := httptest.NewServer(flaky.handler(target))
	t.Cleanup(func() { close(flaky.release); front.Close() })
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, remoteRelSQL)
	s := testenv.Start(t, db)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "users"}))
	mustMeta(t, s, addRemote("profiles", front.URL, map[string]any{"timeout_seconds": 1}))
	mustMeta(t, s, toRemote("users", "profile", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"})))
	return s, flaky, remote
}

func TestPartialRemoteFailures(t *testing.T) {
	t.Parallel()
	s, flaky, remote := startFlakyProfiles(t)
	wantData(t, s, `{ users(order_by: {id: asc}, limit: 2) { id profile { bio } } }`, nil,
		`{"users":[{"id":1,"profile":{"bio":"bio of 1"}},{"id":2,"profile":{"bio":"bio of 2"}}]}`)

	for _, mode := range []string{"500", "html", "slow", "down"} {
		t.Run(mode, func(t *testing.T) {
			flaky.mode.Store(mode)
			if mode == "down" {
				flaky.mode.Store("")
				remote.SetDown(true)
				defer remote.SetDown(false)
			}
			// A remote root field next to a table field: only it is null.
			wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 2) { id } p: profile(user_id: 1) { bio } }`, nil),
				`{"users":[{"id":1},{"id":2}],"p":null}`, `["p"]`, "unexpected", "")
			// A remote join: the field is null in every row, one error at the first row.
			wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 2) { id profile { bio } } }`, nil),
				`{"users":[{"id":1,"profile":null},{"id":2,"profile":null}]}`, `["users",0,"profile"]`, "unexpected", "")
			if mode == "down" { // the same partial payload over both WebSocket protocols
				for _, proto := range [][3]string{{"graphql-ws", "start", "data"}, {"graphql-transport-ws", "subscribe", "next"}} {
					c := dialWS(t, s, proto[0])
					c.send(adminInit)
					c.expect("connection_ack", "", "")
					c.send(map[string]any{"id": "1", "type": proto[1], "payload": map[string]any{
						"query": `{ users(order_by: {id: asc}, limit: 1) { id profile { bio } } p: profile(user_id: 1) { bio } }`}})
					f := c.next()
					if f.Type != proto[2] || f.ID != "1" {
						t.Fatalf("%s: got frame %s %q %s", proto[0], f.Type, f.ID, f.Payload)
					}
					var body struct {
						Data   json.RawMessage
						Errors []struct {
							Path       json.RawMessage
							Extensions struct{ Code string }
						}
					}
					if err := json.Unmarshal(f.Payload, &body); err != nil || len(body.Errors) != 2 {
						t.Fatalf("%s: want data and two errors, got %s", proto[0], f.Payload)
					}
					wantJSON(t, body.Data, `{"users":[{"id":1,"profile":null}],"p":null}`)
					for i, path := range []string{`["users",0,"profile"]`, `["p"]`} {
						if e := body.Errors[i]; compact(string(e.Path)) != path || e.Extensions.Code != "unexpected" {
							t.Fatalf("%s: error %d is %s; want path %s, code unexpected", proto[0], i, f.Payload, path)
						}
					}
					c.expect("complete", "1", "")
				}
			}
			// Only failing fields: Hasura's whole-request error.
			wantGQLError(t, gql(t, s, `{ profile(user_id: 1) { bio } }`, nil), "unexpected", "", "")
		})
	}
	flaky.mode.Store("")
	wantData(t, s, `{ users(order_by: {id: asc}, limit: 1) { id profile { bio } } }`, nil, `{"users":[{"id":1,"profile":{"bio":"bio of 1"}}]}`)
}

// A remote schema -> table join that fails (here Postgres refuses the
// remote's value as the column's type) nulls its own field in a query:
// the remote's other fields and the request's other root fields stay.
func TestPartialRemoteSchemaToTableJoin(t *testing.T) {
	t.Parallel()
	s, _ := startRemoteRels(t)
	mustMeta(t, s, op("create_remote_schema_remote_relationship", map[string]any{"remote_schema": "profiles", "type_name": "Profile",
		"name": "bad_owner", "definition": map[string]any{"to_source": map[string]any{"source": "default", "table": "users",
			"relationship_type": "object", "field_mapping": map[string]any{"bio": "id"}}}}))
	wantPartial(t, gql(t, s, `{ users(limit: 1) { id } profiles(user_ids: [1, 2]) { bio bad_owner { name } } }`, nil),
		`{"users":[{"id":1}],"profiles":[{"bio":"bio of 1","bad_owner":null},{"bio":"bio of 2","bad_owner":null}]}`,
		`["profiles",0,"bad_owner"]`, "data-exception", "integer")
}

// An action that fails in a query with a table field nulls only its own
// field; in a mutation, a failing field after one that ran keeps the
// earlier field's data (the later ones do not run), and a first field
// that fails is Hasura's whole-request error.
func TestPartialActionFailures(t *testing.T) {
	t.Parallel()
	s, _ := startActions(t)
	wantPartial(t, gql(t, s, `{ user_aggregate { aggregate { count } } get_user_by_email(email: "random-email") { id } }`, nil),
		`{"user_aggregate":{"aggregate":{"count":0}},"get_user_by_email":null}`, `["get_user_by_email"]`, "invalid-email", "not valid")
	wantPartial(t, gql(t, s, `mutation { a: create_user(email: "clarke@gmail.com", name: "Clarke") { id }
		b: create_user(email: "bad", name: "B") { id } c: create_user(email: "blake@gmail.com", name: "Blake") { id } }`, nil),
		`{"a":{"id":1},"b":null,"c":null}`, `["b"]`, "invalid-email", "not valid")
	wantData(t, s, `{ user_aggregate { aggregate { count } } }`, nil, `{"user_aggregate":{"aggregate":{"count":1}}}`)
	wantGQLError(t, gql(t, s, `mutation { b: create_user(email: "bad", name: "B") { id } c: create_user(email: "blake@gmail.com", name: "Blake") { id } }`, nil),
		"invalid-email", "", "not valid")
}
