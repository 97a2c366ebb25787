package integration

import (
	"strings"
	"testing"
)

func TestLtreeOperators(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, "")
	if r := runSQL(t, s, `CREATE EXTENSION IF NOT EXISTS ltree`); r.Status != 200 {
		t.Skipf("ltree is not available: %s", r.Body)
	}
	wantStatus(t, runSQL(t, s, `
CREATE TABLE tree (id serial PRIMARY KEY, path ltree);
INSERT INTO tree (path) VALUES ('Top'), ('Top.Science'), ('Top.Science.Astronomy'), ('Top.Hobbies'),
  ('Top.Hobbies.Amateurs_Astronomy'), ('Top.Collections.Pictures.Astronomy.Stars');`), 200)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "tree"}))
	paths := func(w string) string { return `{ tree(where: ` + w + `, order_by: {id: asc}) { id } }` }
	runWhereCases(t, s, paths, "tree", []whereCase{
		{`{path: {_ancestor: "Top.Science.Astronomy"}}`, "1 2 3"},
		{`{path: {_ancestor_any: ["Top.Science", "Top.Hobbies"]}}`, "1 2 4"},
		{`{path: {_descendant: "Top.Hobbies"}}`, "4 5"},
		{`{path: {_descendant_any: ["Top.Science", "Top.Collections"]}}`, "2 3 6"},
		{`{path: {_matches: "*.Astronomy.*"}}`, "3 6"},
		{`{path: {_matches_any: ["*.Hobbies", "Top"]}}`, "1 4"},
		{`{path: {_matches_fulltext: "Astro*% & !pictures@"}}`, "3 5"},
		{`{path: {_eq: "Top.Hobbies"}}`, "4"},
		{`{_or: [{path: {_ancestor: "Top.Science"}}, {path: {_matches: "*.Stars"}}]}`, "1 2 6"},
	})
	t.Run("a label path with an empty label fails to parse at its path", func(t *testing.T) {
		r := gql(t, s, paths(`{path: {_ancestor: "Top.Science."}}`), nil)
		wantGQLError(t, r, "parse-failed", "$.selectionSet.tree.args.where.path._ancestor", "Expecting label path")
		r = gql(t, s, paths(`{_and: [{id: {_gt: 0}}, {path: {_descendant_any: ["Top", "Top..Science"]}}]}`), nil)
		wantGQLError(t, r, "parse-failed", "$.selectionSet.tree.args.where._and[1].path._descendant_any[1]", "Expecting label path")
	})
	t.Run("lquery and ltxtquery are scalars of the schema", func(t *testing.T) {
		r := gql(t, s, `{ __type(name: "ltree_comparison_exp") { inputFields { name type { name ofType { name } } } } }`, nil)
		for _, want := range []string{`"_matches","type":{"name":"lquery"`, `"_matches_fulltext","type":{"name":"ltxtquery"`, `"_ancestor_any"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Fatalf("ltree_comparison_exp lacks %s: %s", want, r.Body)
			}
		}
	})
}
