package integration

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// A mutation's rows are committed before its returning's remote joins run:
// a join whose remote fails nulls its field, with its error, and the
// answer still carries the written rows (they are in the table).
func TestPartialMutationReturningJoin(t *testing.T) {
	t.Parallel()
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

	wantData(t, s, `mutation { insert_users(objects: [{id: 6, name: "u6"}]) { returning { id profile { bio } } } }`, nil,
		`{"insert_users":{"returning":[{"id":6,"profile":{"bio":"bio of 6"}}]}}`)
	flaky.mode.Store("500")
	wantPartial(t, gql(t, s, `mutation { insert_users(objects: [{id: 7, name: "u7"}]) { returning { id profile { bio } } } }`, nil),
		`{"insert_users":{"returning":[{"id":7,"profile":null}]}}`, `["insert_users","returning",0,"profile"]`, "unexpected", "")
	flaky.mode.Store("")
	wantData(t, s, `{ users_by_pk(id: 7) { name profile { bio } } }`, nil, `{"users_by_pk":{"name":"u7","profile":{"bio":"bio of 7"}}}`)
}
