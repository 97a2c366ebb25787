package testenv

import "testing"

func TestStartServesGraphQL(t *testing.T) {
	db := NewDatabase(t)
	s := Start(t, db)
	s.RunSQL(`CREATE TABLE author (id serial PRIMARY KEY, name text); INSERT INTO author (name) VALUES ('Ada')`)
	s.Metadata(map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "author"}})
	r := s.GraphQL(`{ author { id name } }`, nil)
	if got, want := string(r.Body), `{"data":{"author":[{"id":1,"name":"Ada"}]}}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
