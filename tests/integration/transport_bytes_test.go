package integration

import (
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// TestSameBytesOnEveryTransport: a query's result is Postgres's JSON, byte
// for byte, whichever way it travels — HTTP, a query over either WebSocket
// protocol, a subscription's first push, its later pushes (one cohort on
// its own, or several multiplexed into one statement) and a stream. A
// numeric(10,2) keeps its scale (500.00, not 500), a bigint beyond 2^53
// its last digits (a string, as Hasura renders bigint), a float its
// shortest form: nothing on the way decodes the JSON into Go numbers and
// encodes it again.
func TestSameBytesOnEveryTransport(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	s := testenv.Start(t, db)
	s.RunSQL(`CREATE TABLE num (id int PRIMARY KEY, price numeric(10,2) NOT NULL, big bigint NOT NULL, f float8 NOT NULL, r real NOT NULL);
	          INSERT INTO num VALUES (1, 500, 9007199254740993, 0.1, 1.5), (2, 12.30, -9007199254740993, 1e-7, 3.25)`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "num"}})

	const fields = `price big f r`
	one := `subscription($id: Int!) { num_by_pk(id: $id) { ` + fields + ` } }`
	// Two root fields: one statement each, in one round trip.
	all := `subscription { num(order_by: {id: asc}) { id ` + fields + ` }
	  num_aggregate { aggregate { sum { price big f } avg { price } max { r } } } }`
	httpBody := func(query string, vars map[string]any) string {
		t.Helper()
		r := s.GraphQL(query, vars)
		if r.Status != 200 {
			t.Fatalf("http: %d %s", r.Status, r.Body)
		}
		return string(r.Body)
	}
	asQuery := func(sub string) string { return "query" + sub[len("subscription"):] }
	vars1, vars2 := map[string]any{"id": 1}, map[string]any{"id": 2}
	want1, want2, wantAll := httpBody(asQuery(one), vars1), httpBody(asQuery(one), vars2), httpBody(asQuery(all), nil)
	if want1 != `{"data":{"num_by_pk":{"price":500.00,"big":"9007199254740993","f":0.1,"r":1.5}}}` {
		t.Fatalf("http body %s", want1)
	}

	type proto struct{ name, start, data string }
	protos := []proto{{"graphql-ws", "start", "data"}, {"graphql-transport-ws", "subscribe", "next"}}
	exact := func(c *wsClient, typ, id, want string) {
		t.Helper()
		f := c.next()
		if f.Type != typ || f.ID != id || string(f.Payload) != want {
			t.Fatalf("got frame %s %q %s\nwant      %s %q %s", f.Type, f.ID, f.Payload, typ, id, want)
		}
	}
	var clients []*wsClient
	for _, p := range protos {
		c := dialWS(t, s, p.name)
		c.send(adminInit)
		c.expect("connection_ack", "", "")
		sendOp := func(id, query string, vars map[string]any) {
			c.send(map[string]any{"id": id, "type": p.start, "payload": map[string]any{"query": query, "variables": vars}})
		}
		// A query over the socket.
		sendOp("q", asQuery(one), vars1)
		exact(c, p.data, "q", want1)
		c.expect("complete", "q", "")
		// Subscriptions: two cohorts of one shape (multiplexed on refetch)
		// and one on its own.
		sendOp("s1", one, vars1)
		exact(c, p.data, "s1", want1)
		sendOp("s2", one, vars2)
		exact(c, p.data, "s2", want2)
		sendOp("all", all, nil)
		exact(c, p.data, "all", wantAll)
		clients = append(clients, c)
	}

	// Later pushes, after a write through Graft: the two cohorts of one
	// shape are refetched by one multiplexed statement, the one with two
	// root fields by its own.
	before := s.App.Engine.Live.Statements()
	s.GraphQL(`mutation { a: update_num_by_pk(pk_columns: {id: 1}, _set: {price: "700.10", big: 9007199254740995, f: 2.5e-8}) { id }
	                      b: update_num_by_pk(pk_columns: {id: 2}, _set: {price: "1", r: 0.5}) { id } }`, nil)
	want1, want2, wantAll = httpBody(asQuery(one), vars1), httpBody(asQuery(one), vars2), httpBody(asQuery(all), nil)
	if want2 != `{"data":{"num_by_pk":{"price":1.00,"big":"-9007199254740993","f":1e-07,"r":0.5}}}` {
		t.Fatalf("http body after update %s", want2)
	}
	for i, p := range protos {
		got := map[string]string{}
		for range 3 {
			f := clients[i].next()
			if f.Type != p.data {
				t.Fatalf("%s: frame %s %q %s", p.name, f.Type, f.ID, f.Payload)
			}
			got[f.ID] = string(f.Payload)
		}
		for id, want := range map[string]string{"s1": want1, "s2": want2, "all": wantAll} {
			if got[id] != want {
				t.Fatalf("%s: push for %s\ngot  %s\nwant %s", p.name, id, got[id], want)
			}
		}
	}

	if n := s.App.Engine.Live.Statements() - before; n != 2 {
		t.Fatalf("refetch took %d statements, want 2 (one multiplexed)", n)
	}

	// A stream sends the rows as a list query over the same rows would.
	c := dialWS(t, s, "graphql-transport-ws")
	c.send(adminInit)
	c.expect("connection_ack", "", "")
	c.send(map[string]any{"id": "st", "type": "subscribe", "payload": map[string]any{"query": `subscription {
	  rows: num_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id ` + fields + ` } }`}})
	exact(c, "next", "st", httpBody(`{ rows: num(order_by: {id: asc}) { id `+fields+` } }`, nil))
}
