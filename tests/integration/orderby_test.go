package integration

import (
	"testing"
)

func TestOrderBy(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	// Ratings: Ada 5, Bob 3, Cy null. Articles: Ada 2 (max views 20), Bob 1 (5), Cy none.
	authors := func(order string) string { return `{ author(order_by: ` + order + `) { id } }` }
	runWhereCases(t, s, authors, "author", []whereCase{
		{`{rating: asc}`, "2 1 3"},
		{`{rating: desc}`, "3 1 2"}, // desc puts nulls first, as Postgres does
		{`{rating: asc_nulls_first}`, "3 2 1"},
		{`{rating: asc_nulls_last}`, "2 1 3"},
		{`{rating: desc_nulls_first}`, "3 1 2"},
		{`{rating: desc_nulls_last}`, "1 2 3"},
		{`{name: desc}`, "3 2 1"},
		// A list orders by each item in turn; email ties nothing but nulls.
		{`[{email: asc_nulls_first}, {id: desc}]`, "2 1 3"},
		{`[{email: desc}, {id: asc}]`, "2 3 1"},
		// Keys of one object apply in the order written.
		{`{email: asc, id: desc}`, "1 3 2"},
		// By an array relationship's aggregate.
		{`{articles_aggregate: {count: desc}}`, "1 2 3"},
		{`[{articles_aggregate: {count: asc}}, {id: desc}]`, "3 2 1"},
		{`{articles_aggregate: {max: {views: asc}}}`, "2 1 3"},
		{`{articles_aggregate: {max: {views: desc_nulls_last}}}`, "1 2 3"},
		{`{articles_aggregate: {sum: {views: desc_nulls_last}}}`, "1 2 3"},
		{`{comments_written_aggregate: {count: desc}, id: asc}`, "1 2 3"},
	})
	articles := func(order string) string { return `{ article(order_by: ` + order + `) { id } }` }
	runWhereCases(t, s, articles, "article", []whereCase{
		{`{views: asc}`, "3 1 2"},
		// Through an object relationship, then a tie-breaker.
		{`[{author: {name: desc}}, {id: asc}]`, "3 1 2"},
		{`[{author: {rating: asc}}, {views: desc}]`, "3 2 1"},
		{`{status: desc, id: asc}`, "1 3 2"},
	})

	t.Run("nested lists are ordered independently", func(t *testing.T) {
		wantData(t, s, `{ author(order_by: {id: asc}, limit: 1) { articles(order_by: {views: desc}) { title views } } }`, nil,
			`{"author":[{"articles":[{"title":"Beta","views":20}, {"title":"Alpha","views":10}]}]}`)
	})
	t.Run("order_by with limit and offset", func(t *testing.T) {
		wantData(t, s, `{ article(order_by: {views: desc}, limit: 1, offset: 1) { title } }`, nil, `{"article":[{"title":"Alpha"}]}`)
	})
	t.Run("order_by variable", func(t *testing.T) {
		wantData(t, s, `query ($o: [author_order_by!]) { author(order_by: $o) { id } }`,
			map[string]any{"o": []any{map[string]any{"rating": "asc_nulls_first"}}}, `{"author":[{"id":3}, {"id":2}, {"id":1}]}`)
	})
	t.Run("unknown direction", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ author(order_by: {id: sideways}) { id } }`, nil), "validation-failed", "$.selectionSet.author", "")
	})
}
