package replication_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/graftql/graft/replication"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

const everythingSchema = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE address AS (street text, zip int, tags text[], seen timestamptz, loc point, "Odd ""name""" bool);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN email AS text;
CREATE DOMAIN scores AS numeric[];
CREATE TABLE everything (
	id int PRIMARY KEY,
	i2 int2, i4 int4, i8 int8, num numeric, num_scaled numeric(10,3), f4 float4, f8 float8,
	b bool, t text, vc varchar(20), ch char(5), u uuid, j json, jb jsonb,
	d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
	by bytea, ip inet, net cidr, mac macaddr,
	ta text[], ia int[][], lb int[], jba jsonb[], tsa timestamptz[], na numeric[], ba bool[],
	m mood, ma mood[], addr address, addrs address[], pi posint, em email, sc scores,
	mon money, rng int4range, tsv tsvector, bits bit varying, x xml, o oid, pt point, bx box, bxa box[],
	"Mixed Case ""col""" text
	%s
);`

// The rows cover ordinary values, edge values (NaN, infinities, BC dates,
// empty and NULL-holding arrays, control characters, quoting), and NULLs.
const everythingRows = `
INSERT INTO everything VALUES
(1, 1, 2, 3, 123.456, 1.5, 0.1, 3.141592653589793, true, 'plain', 'vc', 'ab',
 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,   "a":  [1,2]}', '{"b": 1, "a": [1,2], "c": {"z": null}}',
 '2015-10-17', '14:42:43', '14:42:43+02', '2015-10-17 14:42:43.123', '2015-10-17 14:42:43.5+02',
 '1 year 2 mons 3 days 04:05:06.7', '\xdeadbeef', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
 '{a,b,"c d"}', '{{1,2},{3,4}}', '[2:3]={5,6}', ARRAY['{"k": 1}'::jsonb, '[1, "x"]'],
 ARRAY['2015-10-17 14:42:43+00'::timestamptz], '{1.5,2}', '{t,f,NULL}',
 'happy', '{sad,ok}', ROW('1 Main St', 12345, '{x,"y z"}', '2020-01-01 00:00:00+00', '(1,2)', true)::address,
 ARRAY[ROW('a,b', 1, NULL, NULL, NULL, false)::address, NULL], 7, 'me@example.com', '{1,2.5}',
 12.34, '[1,10)', 'a fat cat', B'1010', '<a>x</a>', 42, '(1.5,2)', '((0,0),(1,1))',
 '{((0,0),(1,1));((2,2),(3,3))}', 'mixed' %s),
(2, -32768, -2147483648, -9223372036854775808, 'NaN', -0.001, 'Infinity', '-Infinity', false,
 E'quotes " '' back\\slash \n newline \t tab \r \b \f \x01 ctl \x7f é ü 😀 <&> \u2028 /', '', 'x',
 '00000000-0000-0000-0000-000000000000', '[]', '{"nested": {"deep": [null, true, 1.5e10, "s\"q"]}}',
 '0044-03-15 BC', '00:00:00', '23:59:59.999999-11:30', '0044-03-15 12:00:00 BC', 'infinity',
 '-1 days', '\x', '::1', '::/0', '00:00:00:00:00:00',
 '{}', '{{1,NULL},{NULL,4}}', '{}', '{}', '{NULL,infinity,-infinity,"0044-03-15 12:00:00+00 BC","2000-02-29 23:59:59.000001+00"}', '{NaN,Infinity,-Infinity,0}', '{}',
 'sad', '{}', ROW(NULL, NULL, NULL, NULL, NULL, NULL)::address, '{}', 1, '', '{NaN}',
 -1.5, 'empty', '', B'', '<b/>', 0, '(0,0)', '((0,0),(0,0))', '{}', E'"NULL"\\' %s),
(3, NULL, NULL, NULL, 1e30, NULL, 1e-30, 1e100, NULL, 'NULL', NULL, NULL, NULL, 'null', 'null',
 '-infinity', NULL, NULL, '-infinity', '-infinity', NULL, NULL, NULL, NULL, NULL,
 '{NULL,"NULL",null}', NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL %s);`

// TestDecodeMatchesRowToJSON inserts, updates and deletes rows of every
// common type and checks that each decoded row is byte-for-byte what
// row_to_json returns for it in a UTC session.
func TestDecodeMatchesRowToJSON(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	slot := newSlotName(t, db)
	conn := utcConn(t, db)
	ctx := context.Background()

	var postgis bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')").Scan(&postgis); err != nil {
		t.Fatal(err)
	}
	geoCols, geoVals := [3]string{}, [3]string{}
	if postgis {
		// Geometry has a cast to json (GeoJSON, rendered by the server);
		// geography does not (hex EWKB text).
		geoCols[0] = ", geom geometry, geog geography, geoms geometry[], gaddr geo_address"
		geoVals[0] = `, 'SRID=4326;POINT(1 2)', 'POINT(1 2)', ARRAY['POINT(0 0)'::geometry, NULL], ROW('LINESTRING(0 0,1 1)', 'p')`
		geoVals[1] = `, 'POINT EMPTY', 'LINESTRING(0 0,1 1)', '{}', ROW(NULL, NULL)`
		geoVals[2] = `, NULL, NULL, NULL, NULL`
		testenv.Exec(t, db, `CREATE TYPE geo_address AS (g geometry, label text)`)
	} else {
		t.Log("PostGIS is not installed: geometry not covered")
	}
	testenv.Exec(t, db, fmt.Sprintf(everythingSchema, geoCols[0])+`
		CREATE TABLE docs (id int PRIMARY KEY, note text, big text);
		CREATE TABLE docs_plain (id int PRIMARY KEY, note text, big text);
		ALTER TABLE docs ALTER big SET STORAGE EXTERNAL;
		ALTER TABLE docs_plain ALTER big SET STORAGE EXTERNAL;`)
	everything := replication.Relation{Schema: "public", Name: "everything"}
	docs := replication.Relation{Schema: "public", Name: "docs"}
	docsPlain := replication.Relation{Schema: "public", Name: "docs_plain"}
	setTables(t, db, []replication.Relation{everything, docs, docsPlain}, []replication.Relation{everything, docs})

	s := newSink()
	startStream(t, streamConfig(t, db, slot, s))

	rowJSON := func(table string, id int) []byte {
		var js string
		if err := conn.QueryRow(ctx, "SELECT row_to_json(row_)::text FROM "+pgx.Identifier{table}.Sanitize()+" row_ WHERE id = $1", id).Scan(&js); err != nil {
			t.Fatalf("row_to_json of %s %d: %v", table, id, err)
		}
		return []byte(js)
	}

	testenv.Exec(t, db, fmt.Sprintf(everythingRows, geoVals[0], geoVals[1], geoVals[2]))
	before := map[int][]byte{1: rowJSON("everything", 1), 2: rowJSON("everything", 2), 3: rowJSON("everything", 3)}
	tx := s.next(t)
	wantIDs(t, tx, 1, 2, 3)
	for i, c := range tx.Changes {
		id := i + 1
		if c.Op != "INSERT" || c.Table != everything || c.Old != nil || len(c.Changed) != len(columnNames(t, before[id])) {
			t.Errorf("insert %d: op %s table %v old %s changed %v", id, c.Op, c.Table, c.Old, c.Changed)
		}
		sameRow(t, fmt.Sprintf("insert %d", id), c.New, before[id])
	}

	// UPDATE with REPLICA IDENTITY FULL: Old is the whole old row; jb is
	// assigned its own value, so it is not among the changed columns.
	testenv.Exec(t, db, `UPDATE everything SET t = 'changed', i4 = i4 + 1, jb = jb WHERE id = 1`)
	tx = s.next(t)
	wantIDs(t, tx, 1)
	up := tx.Changes[0]
	if up.Op != "UPDATE" || strings.Join(up.Changed, ",") != "i4,t" {
		t.Errorf("update: op %s changed %v, want i4,t", up.Op, up.Changed)
	}
	sameRow(t, "update old", up.Old, before[1])
	sameRow(t, "update new", up.New, rowJSON("everything", 1))

	testenv.Exec(t, db, `DELETE FROM everything WHERE id = 2`)
	tx = s.next(t)
	del := tx.Changes[0]
	if del.Op != "DELETE" || del.New != nil || len(del.Changed) != len(columnNames(t, before[2])) {
		t.Errorf("delete: op %s new %s changed %v", del.Op, del.New, del.Changed)
	}
	sameRow(t, "delete old", del.Old, before[2])

	// TOAST: an UPDATE that leaves a large out-of-line value alone does not
	// send it. With REPLICA IDENTITY FULL it comes from the old row; without,
	// it is left out of New and Old holds the key only.
	testenv.Exec(t, db, `
		INSERT INTO docs SELECT 1, 'first', string_agg(md5(i::text), '') FROM generate_series(1, 4000) i;
		INSERT INTO docs_plain SELECT id, note, big FROM docs;`)
	tx = s.next(t)
	for _, c := range tx.Changes {
		if c.Op != "INSERT" || len(c.New) < 128000 {
			t.Fatalf("big insert: %s %d bytes", c.Op, len(c.New))
		}
	}
	testenv.Exec(t, db, `UPDATE docs SET note = 'second'; UPDATE docs_plain SET note = 'second'`)
	tx = s.next(t)
	if len(tx.Changes) != 2 {
		t.Fatalf("want both updates in one transaction, got %d changes", len(tx.Changes))
	}
	full, plain := tx.Changes[0], tx.Changes[1]
	sameRow(t, "toast new (full)", full.New, rowJSON("docs", 1))
	if strings.Join(full.Changed, ",") != "note" || !strings.Contains(string(full.Old), `"note":"first"`) || len(full.Old) < 128000 {
		t.Errorf("toast (full): changed %v, old has %d bytes", full.Changed, len(full.Old))
	}
	if plain.Table != docsPlain || string(plain.New) != `{"id":1,"note":"second"}` || string(plain.Old) != `{"id":1}` ||
		strings.Join(plain.Changed, ",") != "id,note,big" {
		t.Errorf("toast (default identity): table %v new %.80s old %s changed %v", plain.Table, plain.New, plain.Old, plain.Changed)
	}

	// DELETE with the default identity: Old holds the key only.
	testenv.Exec(t, db, `DELETE FROM docs_plain`)
	tx = s.next(t)
	if c := tx.Changes[0]; c.Op != "DELETE" || string(c.Old) != `{"id":1}` || c.New != nil {
		t.Errorf("delete (default identity): %s old %s new %s", c.Op, c.Old, c.New)
	}
}

// sameRow requires byte equality, reporting the differing columns.
func sameRow(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if string(got) == string(want) {
		return
	}
	var g, w map[string]json.RawMessage
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: decoded row is not JSON (%v): %s", what, err, got)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: row_to_json is not JSON: %v", what, err)
	}
	var diffs []string
	for k, wv := range w {
		if gv, ok := g[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing (want %s)", k, wv))
		} else if string(gv) != string(wv) {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", k, gv, wv))
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected", k))
		}
	}
	sort.Strings(diffs)
	if len(diffs) == 0 {
		diffs = append(diffs, "same values, different bytes (order or spacing)")
	}
	t.Errorf("%s differs from row_to_json:\n  %s\n got  %s\n want %s", what, strings.Join(diffs, "\n  "), got, want)
}

func columnNames(t *testing.T, row []byte) []string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(row, &m); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}
