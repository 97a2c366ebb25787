package integration

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// An added source's WAL drives its subscriptions and event triggers as the
// default database's does: its own slot (named after the main slot and the
// source), dropped with the source.

// startWALSources serves a default database with author and an added source
// "library" (a second database) with Redis and the WAL in auto mode. It
// returns the server, the library's and the default database's URLs and
// the main slot's name; the
// source's slot is <slot>_library.
func startWALSources(t *testing.T) (s *testenv.Server, lib, db, slot string) {
	t.Helper()
	lib = testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL)
	db = testenv.NewDatabase(t)
	testenv.Exec(t, db, `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL); INSERT INTO author VALUES (1, 'Ann')`)
	b := make([]byte, 6)
	rand.Read(b)
	slot = "graft_test_" + hex.EncodeToString(b)
	// Registered before the server's own cleanup, so they run after it
	// stopped, and before the databases are dropped.
	t.Cleanup(func() { testenv.DropSlot(lib, slot+"_library"); testenv.DropSlot(lib, slot+"_books") })
	t.Cleanup(func() { testenv.DropSlot(db, slot) })
	s = testenv.Start(t, db, testenv.Options{Redis: true, SlotName: slot, Env: metricsEnv(nil)})
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "author"}))
	r := mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(lib)}))
	wantJSON(t, r.Body, `{"message":"success"}`)
	trackLibrary(t, s, "library")
	return s, lib, db, slot
}

// sourceSlots lists the replication slots of a database.
func sourceSlots(t *testing.T, dbURL string) []string {
	t.Helper()
	rows, err := testenv.Pool(t, dbURL).Query(t.Context(), `SELECT slot_name FROM pg_replication_slots WHERE database = current_database()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestSourcesWALSubscriptionsAndEventTriggers(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	s, lib, db, slot := startWALSources(t)
	r := mustMeta(t, s, op("pg_create_event_trigger", map[string]any{"name": "book_events", "source": "library", "table": "book",
		"webhook": rcv.URL + "/book", "insert": map[string]any{"columns": "*"}, "update": map[string]any{"columns": "*"},
		"delete": map[string]any{"columns": "*"}}))
	// Served now: no "not served" warning.
	wantJSON(t, r.Body, `{"message":"success"}`)
	mustMeta(t, s, op("pg_create_event_trigger", map[string]any{"name": "author_events", "table": "author",
		"webhook": rcv.URL + "/author", "insert": map[string]any{"columns": "*"}}))

	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "b", "type": "subscribe", "payload": map[string]any{"query": `subscription { book(order_by: {id: asc}) { id title } }`}})
	c.expect("next", "b", `{"data":{"book":[{"id":1,"title":"Dune"},{"id":2,"title":"Pamphlet"}]}}`)
	c.send(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": `subscription { author(order_by: {id: asc}) { name } }`}})
	c.expect("next", "a", `{"data":{"author":[{"name":"Ann"}]}}`)

	// A streaming subscription on the added source, on a connection of its
	// own (its frames and the live query's interleave in any order).
	st := dialWS(t, s, "graphql-transport-ws")
	st.send(adminInit)
	st.expect("connection_ack", "", "")
	st.send(map[string]any{"id": "st", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { book_stream(batch_size: 10, cursor: {initial_value: {id: 2}}) { id title } }`}})
	st.expect("next", "st", `{"data":{"book_stream":[]}}`)

	// A mutation on the added source: pushed, and its event delivered.
	wantData(t, s, `mutation { insert_book_one(object: {id: 3, title: "Atlas", pages: 300}) { id } }`, nil, `{"insert_book_one":{"id":3}}`)
	c.expect("next", "b", `{"data":{"book":[{"id":1,"title":"Dune"},{"id":2,"title":"Pamphlet"},{"id":3,"title":"Atlas"}]}}`)
	st.expect("next", "st", `{"data":{"book_stream":[{"id":3,"title":"Atlas"}]}}`)
	d := rcv.next(t)
	mustBody(t, &testenv.Response{Body: []byte(event(t, d))}, `{"op":"INSERT","data":{"old":null,"new":{"id":3,"title":"Atlas","pages":300}},
		"session_variables":{"x-hasura-role":"admin"},"trigger":{"name":"book_events"},"table":{"schema":"public","name":"book"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)

	// Plain SQL in the added source's database, not through Graft: the
	// source's WAL sees it.
	testenv.Exec(t, lib, `INSERT INTO book VALUES (4, 'Emma', 474)`)
	c.expect("next", "b", `{"data":{"book":[{"id":1,"title":"Dune"},{"id":2,"title":"Pamphlet"},{"id":3,"title":"Atlas"},{"id":4,"title":"Emma"}]}}`)
	st.expect("next", "st", `{"data":{"book_stream":[{"id":4,"title":"Emma"}]}}`)
	st.send(map[string]any{"id": "st", "type": "complete"})
	d = rcv.next(t)
	mustBody(t, &testenv.Response{Body: []byte(event(t, d))}, `{"op":"INSERT","data":{"old":null,"new":{"id":4,"title":"Emma","pages":474}},
		"session_variables":null,"trigger":{"name":"book_events"},"table":{"schema":"public","name":"book"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)
	// Update and delete carry the whole old row (the source's table got
	// REPLICA IDENTITY FULL for its trigger).
	testenv.Exec(t, lib, `UPDATE book SET pages = 475 WHERE id = 4; DELETE FROM review WHERE book_id = 2; DELETE FROM book WHERE id = 2`)
	// Different rows are delivered in parallel: in either order.
	byOp := map[string]string{}
	for range 2 {
		d = rcv.next(t)
		byOp[d.Body["event"].(map[string]any)["op"].(string)] = event(t, d)
	}
	mustBody(t, &testenv.Response{Body: []byte(byOp["UPDATE"])}, `{"op":"UPDATE","data":{"old":{"id":4,"title":"Emma","pages":474},"new":{"id":4,"title":"Emma","pages":475}},
		"session_variables":null,"trigger":{"name":"book_events"},"table":{"schema":"public","name":"book"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)
	mustBody(t, &testenv.Response{Body: []byte(byOp["DELETE"])}, `{"op":"DELETE","data":{"old":{"id":2,"title":"Pamphlet","pages":12},"new":null},
		"session_variables":null,"trigger":{"name":"book_events"},"table":{"schema":"public","name":"book"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)
	c.expect("next", "b", `{"data":{"book":[{"id":1,"title":"Dune"},{"id":3,"title":"Atlas"},{"id":4,"title":"Emma"}]}}`)

	// The default source keeps working alongside.
	testenv.Exec(t, db, `INSERT INTO author VALUES (2, 'Bo')`)
	c.expect("next", "a", `{"data":{"author":[{"name":"Ann"},{"name":"Bo"}]}}`)
	d = rcv.next(t)
	mustBody(t, &testenv.Response{Body: []byte(event(t, d))}, `{"op":"INSERT","data":{"old":null,"new":{"id":2,"name":"Bo"}},
		"session_variables":null,"trigger":{"name":"author_events"},"table":{"schema":"public","name":"author"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)

	// The source's event logs are served from its own queue.
	r = mustMeta(t, s, op("pg_get_event_logs", map[string]any{"source": "library", "name": "book_events"}))
	if n := strings.Count(string(r.Body), `"trigger_name":"book_events"`); n != 4 {
		t.Fatalf("event logs of the added source's trigger: %d, want 4: %s", n, r.Body)
	}

	// With an event trigger the source reads its persistent slot.
	if got := sourceSlots(t, lib); len(got) != 1 || got[0] != slot+"_library" {
		t.Fatalf("slots in the added source's database: %v, want [%s_library]", got, slot)
	}
	// Its WAL reader and its event queue are in the metrics, beside the
	// default database's: lag and retained WAL of its own slot, nothing
	// pending once its four events were delivered.
	for _, source := range []string{"library", "default"} {
		label := `source_name="` + source + `"`
		waitMetric(t, s, 1, "graft_wal_reader_running", label)
		waitMetric(t, s, 0, "graft_event_queue_pending", label)
		body := scrape(t, s)
		for _, name := range []string{"graft_wal_lag_bytes", "graft_wal_retained_bytes"} {
			if v, ok := metric(body, name, label); !ok || v < 0 {
				t.Errorf("%s{%s} = %v (present %v)", name, label, v, ok)
			}
		}
	}
	// (A live query planned on the old name does not follow a rename.)
	c.send(map[string]any{"id": "b", "type": "complete"})
	// Renaming the source moves it to a slot named after its new name (the
	// old one is dropped), whose events still fire.
	mustMeta(t, s, op("rename_source", map[string]any{"name": "library", "new_name": "books"}))
	waitFor(t, "the renamed source's slot", func() (bool, error) {
		got := sourceSlots(t, lib)
		return len(got) == 1 && got[0] == slot+"_books", nil
	})
	testenv.Exec(t, lib, `INSERT INTO book VALUES (5, 'Ubik', 202)`)
	d = rcv.next(t)
	mustBody(t, &testenv.Response{Body: []byte(event(t, d))}, `{"op":"INSERT","data":{"old":null,"new":{"id":5,"title":"Ubik","pages":202}},
		"session_variables":null,"trigger":{"name":"book_events"},"table":{"schema":"public","name":"book"},
		"delivery_info":{"max_retries":0,"current_retry":0}}`)

	// Dropping the source drops its slot: none is left behind.
	mustMeta(t, s, op("pg_drop_source", map[string]any{"name": "books"}))
	waitFor(t, "the dropped source's slot to go", func() (bool, error) { return len(sourceSlots(t, lib)) == 0, nil })
	// The default source's subscriptions still get changes.
	testenv.Exec(t, db, `INSERT INTO author VALUES (3, 'Cy')`)
	c.expect("next", "a", `{"data":{"author":[{"name":"Ann"},{"name":"Bo"},{"name":"Cy"}]}}`)
}

// An added source whose database cannot replicate (here: its role has no
// REPLICATION) is served without its WAL: nothing is set up in its
// database, its event triggers are reported not served with the reason,
// its live queries still see Graft's own writes, and the default source's
// subscriptions keep their WAL.
func TestSourcesWALUnavailableReportedWithReason(t *testing.T) {
	t.Parallel()
	b := make([]byte, 6)
	rand.Read(b)
	role := "graft_norepl_" + hex.EncodeToString(b)
	base := testenv.RequireDatabase(t)
	testenv.Exec(t, base, `CREATE ROLE `+role+` LOGIN NOSUPERUSER NOREPLICATION`)
	// Registered first: runs last, once the database it was granted on is gone.
	t.Cleanup(func() { testenv.Exec(t, base, `DROP ROLE IF EXISTS `+role) })
	lib := testenv.NewDatabase(t)
	testenv.Exec(t, lib, librarySQL+`; GRANT ALL ON ALL TABLES IN SCHEMA public TO `+role)
	u, err := url.Parse(lib)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL); INSERT INTO author VALUES (1, 'Ann')`)
	s := testenv.Start(t, db, testenv.Options{Redis: true})
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "author"}))
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "library", "configuration": sourceConfig(u.String())}))
	trackLibrary(t, s, "library")

	// Its event triggers are stored with a warning naming the reason.
	r := mustMeta(t, s, op("pg_create_event_trigger", map[string]any{"name": "book_events", "source": "library", "table": "book",
		"webhook": "http://127.0.0.1:1/hook", "insert": map[string]any{"columns": "*"}}))
	if !strings.Contains(string(r.Body), `"code":"not-served"`) || !strings.Contains(string(r.Body), "REPLICATION") {
		t.Fatalf("event trigger on a source that cannot replicate: %s", r.Body)
	}
	// /healthz?detail says why its reader does not run.
	h := get(t, s, "/healthz?detail")
	if !strings.Contains(string(h.Body), `"library"`) || !strings.Contains(string(h.Body), "REPLICATION") {
		t.Fatalf("/healthz?detail does not report the source's reader: %s", h.Body)
	}
	// Nothing was set up in its database.
	if got := sourceSlots(t, lib); len(got) != 0 {
		t.Fatalf("slots in a source that cannot replicate: %v", got)
	}
	// Its live queries still see Graft's own writes.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "b", "type": "subscribe", "payload": map[string]any{"query": `subscription { book_by_pk(id: 2) { title } }`}})
	c.expect("next", "b", `{"data":{"book_by_pk":{"title":"Pamphlet"}}}`)
	wantData(t, s, `mutation { update_book_by_pk(pk_columns: {id: 2}, _set: {title: "Leaflet"}) { id } }`, nil, `{"update_book_by_pk":{"id":2}}`)
	c.expect("next", "b", `{"data":{"book_by_pk":{"title":"Leaflet"}}}`)
	// The default source's subscriptions still get writes made outside Graft.
	c.send(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": `subscription { author { name } }`}})
	c.expect("next", "a", `{"data":{"author":[{"name":"Ann"}]}}`)
	testenv.Exec(t, db, `INSERT INTO author VALUES (2, 'Bo')`)
	c.expect("next", "a", `{"data":{"author":[{"name":"Ann"},{"name":"Bo"}]}}`)
}
