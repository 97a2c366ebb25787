package integration

import (
	"net/http"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// BenchmarkSourceByPkVsDefault compares a by-primary-key query on an added
// source with the same query on the default source: the same table and
// row in two databases of the same server, alternating request by request
// over real HTTP. The default source is the floor; p50-ratio is what
// routing to an added source's pool costs (about 1 when nothing).
func BenchmarkSourceByPkVsDefault(b *testing.B) {
	const itemSQL = `CREATE TABLE item (id int PRIMARY KEY, name text); INSERT INTO item SELECT g, 'item ' || g FROM generate_series(1, 1000) g`
	db := testenv.NewDatabase(b)
	testenv.Exec(b, db, itemSQL)
	other := testenv.NewDatabase(b)
	testenv.Exec(b, other, itemSQL)
	s := testenv.Start(b, db)
	for _, body := range []any{
		op("pg_track_table", map[string]any{"table": "item"}),
		op("pg_add_source", map[string]any{"name": "other", "configuration": sourceConfig(other),
			"customization": map[string]any{"root_fields": map[string]any{"prefix": "other_"}, "type_names": map[string]any{"prefix": "Other_"}}}),
		op("pg_track_table", map[string]any{"source": "other", "table": "item"}),
	} {
		mustMeta(b, s, body)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	send := func(query string) []byte {
		body := []byte(`{"query":"query($id: Int!) { ` + query + `(id: $id) { id name } }","variables":{"id":7}}`)
		out, _ := benchPost(b, client, s.URL+"/v1/graphql", body, testenv.Admin())
		return out
	}
	for range 200 { // warm connections, both pools and the plan caches
		send("item_by_pk")
		send("other_item_by_pk")
	}
	if got := string(send("other_item_by_pk")); got != `{"data":{"other_item_by_pk":{"id":7,"name":"item 7"}}}` {
		b.Fatalf("added source answered %s", got)
	}
	var added, def []time.Duration
	for b.Loop() {
		start := time.Now()
		send("other_item_by_pk")
		added = append(added, time.Since(start))
		start = time.Now()
		send("item_by_pk")
		def = append(def, time.Since(start))
	}
	a, d := p50(added), p50(def)
	b.ReportMetric(float64(a.Microseconds()), "µs-p50-added")
	b.ReportMetric(float64(d.Microseconds()), "µs-p50-default")
	b.ReportMetric(float64(a)/float64(d), "p50-ratio")
}
