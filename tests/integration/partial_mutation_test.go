package integration

import (
	"testing"
)

// A mutation's rows are committed before its returning's remote joins run:
// a join whose remote fails nulls its field, with its error, and the
// answer still carries the written rows (they are in the table).
func TestPartialMutationReturningJoin(t *testing.T) {
	t.Parallel()
	s, flaky, _ := startFlakyProfiles(t)

	wantData(t, s, `mutation { insert_users(objects: [{id: 6, name: "u6"}]) { returning { id profile { bio } } } }`, nil,
		`{"insert_users":{"returning":[{"id":6,"profile":{"bio":"bio of 6"}}]}}`)
	flaky.mode.Store("500")
	wantPartial(t, gql(t, s, `mutation { insert_users(objects: [{id: 7, name: "u7"}]) { returning { id profile { bio } } } }`, nil),
		`{"insert_users":{"returning":[{"id":7,"profile":null}]}}`, `["insert_users","returning",0,"profile"]`, "unexpected", "")
	flaky.mode.Store("")
	wantData(t, s, `{ users_by_pk(id: 7) { name profile { bio } } }`, nil, `{"users_by_pk":{"name":"u7","profile":{"bio":"bio of 7"}}}`)
}
