package integration

import (
	"context"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// A write that commits while a subscription's first fetch is running is
// not in that fetch's snapshot: it must still reach the subscriber, through
// the invalidation it causes, not the (here 60 s) fallback refetch. The
// computed field sleeps so that the write lands inside the first fetch; it
// goes through Graft (without event triggers this process reads no WAL:
// its own mutations invalidate).
func TestSubscriptionWriteDuringFirstFetch(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	s.RunSQL(`CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL);
	          CREATE FUNCTION note_slow(n note) RETURNS text LANGUAGE sql STABLE AS $$ SELECT pg_sleep(1)::text || n.body $$;
	          INSERT INTO note VALUES (1, 'a')`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "note"}},
		map[string]any{"type": "pg_add_computed_field", "args": map[string]any{"table": "note", "name": "slow",
			"definition": map[string]any{"function": "note_slow"}}},
	}})
	pool := testenv.Pool(t, db)
	// duringFirstFetch inserts a row once the subscription's statement is
	// running (seen in pg_stat_activity; polled with a deadline).
	duringFirstFetch := func(id int) {
		t.Helper()
		ctx := context.Background()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var n int
			// Sleeping inside note_slow: the statement is executing, its
			// snapshot taken (an "active" query may still be in Parse).
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'
				AND pid <> pg_backend_pid() AND query LIKE '%note_slow%'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the subscription's first fetch never ran")
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.GraphQL(`mutation ($id: Int!) { insert_note_one(object: {id: $id, body: "b"}) { id } }`, map[string]any{"id": id})
	}

	t.Run("live query", func(t *testing.T) {
		c := dialWS(t, s, "graphql-transport-ws")
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		c.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{
			"query": `subscription { note(order_by: {id: asc}) { id slow } }`}})
		duringFirstFetch(2)
		c.expect("next", "q", `{"data":{"note":[{"id":1,"slow":"a"}]}}`)
		c.expect("next", "q", `{"data":{"note":[{"id":1,"slow":"a"},{"id":2,"slow":"b"}]}}`)
	})
	t.Run("streaming", func(t *testing.T) {
		c := dialWS(t, s, "graphql-transport-ws")
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		c.send(map[string]any{"id": "st", "type": "subscribe", "payload": map[string]any{
			"query": `subscription { note_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id slow } }`}})
		duringFirstFetch(3)
		c.expect("next", "st", `{"data":{"note_stream":[{"id":1,"slow":"a"},{"id":2,"slow":"b"}]}}`)
		c.expect("next", "st", `{"data":{"note_stream":[{"id":3,"slow":"b"}]}}`)
	})
}
