package dataapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

func TestIsDataRequest(t *testing.T) {
	for body, want := range map[string]bool{
		`{"type":"select","args":{}}`:                                   true,
		`{"type":"count","args":"table: author"}`:                       true,
		`{"type":"bulk","args":[{"type":"insert"},{"type":"delete"}]}`:  true,
		`{"type":"bulk","args":[{"type":"insert"},{"type":"run_sql"}]}`: false,
		`{"type":"bulk","args":[]}`:                                     false,
		`{"type":"run_sql","args":{"sql":"select 1"}}`:                  false,
		`{"type":"track_table","args":{"table":"t"}}`:                   false,
		`not json`: false,
	} {
		if got := IsDataRequest([]byte(body)); got != want {
			t.Errorf("IsDataRequest(%s) = %v, want %v", body, got, want)
		}
	}
}

func TestOrderBy(t *testing.T) {
	var v any
	dec := json.NewDecoder(strings.NewReader(`["+id", "-author.name", "title",
		{"column": "rating", "type": "desc", "nulls": "last"}, {"column": "a.b"}]`))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got, err := orderBy(v, "$.args.order_by")
	if err != nil {
		t.Fatal(err)
	}
	want := []graphql.DataOrder{
		{Path: []string{"id"}}, {Path: []string{"author", "name"}, Desc: true}, {Path: []string{"title"}},
		{Path: []string{"rating"}, Desc: true, Nulls: "last"}, {Path: []string{"a", "b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("orderBy = %+v, want %+v", got, want)
	}
	single, err := orderBy("-id", "$")
	if err != nil || !reflect.DeepEqual(single, []graphql.DataOrder{{Path: []string{"id"}, Desc: true}}) {
		t.Fatalf("orderBy(-id) = %+v, %v", single, err)
	}
	for _, bad := range []any{map[string]any{"column": "id", "type": "up"}, map[string]any{"type": "asc"}, json.Number("1")} {
		if _, err := orderBy(bad, "$"); err == nil {
			t.Errorf("orderBy(%v): no error", bad)
		}
	}
}

func TestLimitOffset(t *testing.T) {
	args := map[string]any{"limit": json.Number("3"), "offset": json.Number("-1"), "bad": "3"}
	if n, err := count(args, "limit", "$.args"); err != nil || *n != 3 {
		t.Fatalf("limit: %v %v", n, err)
	}
	if _, err := count(args, "offset", "$.args"); metadata.AsAPIError(err).Code != "not-supported" {
		t.Fatalf("negative offset: %v", err)
	}
	if _, err := count(args, "bad", "$.args"); err == nil {
		t.Fatal("string limit accepted")
	}
	if n, err := count(args, "missing", "$.args"); err != nil || n != nil {
		t.Fatalf("missing: %v %v", n, err)
	}
}
