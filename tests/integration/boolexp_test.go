package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// whereCase filters a table and expects the ids of the matching rows (ordered by id).
type whereCase struct {
	where string
	ids   string
}

func runWhereCases(t *testing.T, s *testenv.Server, query func(where string) string, root string, cases []whereCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.where, func(t *testing.T) {
			var rows []string
			for _, id := range strings.Fields(c.ids) {
				rows = append(rows, `{"id":`+id+`}`)
			}
			wantData(t, s, query(c.where), nil, `{"`+root+`":[`+strings.Join(rows, ", ")+`]}`)
		})
	}
}

func TestBoolExpOperators(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	authors := func(w string) string { return `{ author(where: ` + w + `, order_by: {id: asc}) { id } }` }
	runWhereCases(t, s, authors, "author", []whereCase{
		{`{id: {_eq: 1}}`, "1"},
		{`{id: {_neq: 1}}`, "2 3"},
		{`{id: {_gt: 1}}`, "2 3"},
		{`{id: {_lt: 2}}`, "1"},
		{`{id: {_gte: 2}}`, "2 3"},
		{`{id: {_lte: 2}}`, "1 2"},
		{`{id: {_gt: 1, _lt: 3}}`, "2"},
		{`{id: {_in: [1, 3]}}`, "1 3"},
		{`{id: {_in: []}}`, ""},
		{`{id: {_nin: [1, 3]}}`, "2"},
		{`{email: {_is_null: true}}`, "2"},
		{`{email: {_is_null: false}}`, "1 3"},
		{`{name: {_like: "A%"}}`, "1"},
		{`{name: {_nlike: "A%"}}`, "2 3"},
		{`{name: {_ilike: "a%"}}`, "1"},
		{`{name: {_nilike: "a%"}}`, "2 3"},
		{`{name: {_similar: "(A|B)%"}}`, "1 2"},
		{`{name: {_nsimilar: "(A|B)%"}}`, "3"},
		{`{name: {_regex: "^[AB]"}}`, "1 2"},
		{`{name: {_nregex: "^[AB]"}}`, "3"},
		{`{name: {_iregex: "^c"}}`, "3"},
		{`{name: {_niregex: "^c"}}`, "1 2"},
		{`{created_at: {_gt: "2024-01-15T00:00:00Z"}}`, "2"},
		{`{big: {_eq: "9007199254740993"}}`, "1"},
		{`{score: {_lt: 1}}`, "2"},
		{`{_and: [{id: {_gt: 1}}, {rating: {_is_null: false}}]}`, "2"},
		{`{_or: [{id: {_eq: 1}}, {name: {_eq: "Cy"}}]}`, "1 3"},
		{`{_or: []}`, ""},
		{`{_and: []}`, "1 2 3"},
		{`{_not: {id: {_eq: 1}}}`, "2 3"},
		{`{_not: {_or: [{id: {_eq: 1}}, {id: {_eq: 2}}]}}`, "3"},
		{`{}`, "1 2 3"},
		// Relationship filters: array (any related row matches), nested, object.
		{`{articles: {title: {_eq: "Gamma"}}}`, "2"},
		{`{articles: {}}`, "1 2"},
		{`{_not: {articles: {}}}`, "3"},
		{`{articles: {comments: {commenter: {name: {_eq: "Cy"}}}}}`, "1"},
		{`{comments_written: {body: {_eq: "nice"}}}`, "2"},
		// jsonb
		{`{bio: {_contains: {lang: "en"}}}`, "1"},
		{`{bio: {_contains: {langs: ["fr"]}}}`, "1"},
		{`{bio: {_contained_in: {lang: "de", x: 1}}}`, "2"},
		{`{bio: {_has_key: "langs"}}`, "1"},
		{`{bio: {_has_keys_any: ["langs", "zz"]}}`, "1"},
		{`{bio: {_has_keys_all: ["lang", "langs"]}}`, "1"},
		{`{bio: {_has_keys_all: ["lang", "zz"]}}`, ""},
		{`{bio: {_cast: {String: {_ilike: "%DE%"}}}}`, "2"},
		{`{bio: {_eq: {lang: "de"}}}`, "2"},
	})
	articles := func(w string) string { return `{ article(where: ` + w + `, order_by: {id: asc}) { id } }` }
	runWhereCases(t, s, articles, "article", []whereCase{
		{`{author: {name: {_eq: "Ada"}}}`, "1 2"},
		{`{author: {articles: {views: {_gte: 20}}}}`, "1 2"},
		{`{status: {_eq: published}}`, "1 3"},
		{`{status: {_nin: [published]}}`, "2"},
		{`{comments: {body: {_eq: "hm"}}, views: {_lt: 10}}`, "3"},
	})

	t.Run("filter variables", func(t *testing.T) {
		wantData(t, s, `query ($w: author_bool_exp!) { author(where: $w, order_by: {id: asc}) { id } }`,
			map[string]any{"w": map[string]any{"_or": []any{map[string]any{"rating": map[string]any{"_gt": 4}}, map[string]any{"bio": map[string]any{"_contains": map[string]any{"lang": "de"}}}}}},
			`{"author":[{"id":1}, {"id":2}]}`)
	})
	t.Run("_exists in a permission filter", func(t *testing.T) {
		// _exists is a permission operator: readers see authors only while a
		// published article with at least 10 views exists anywhere.
		mustMeta(t, s, op("pg_create_select_permission", map[string]any{"table": "author", "role": "reader", "permission": map[string]any{
			"columns": []string{"id", "name"},
			"filter": map[string]any{"_and": []any{
				map[string]any{"_exists": map[string]any{"_table": "article", "_where": map[string]any{"views": map[string]any{"_gte": 10}, "status": map[string]any{"_eq": "published"}}}},
				map[string]any{"id": map[string]any{"_lte": 2}},
			}},
		}}))
		reader := map[string]string{"X-Hasura-Role": "reader"}
		r := gql(t, s, `{ author(order_by: {id: asc}) { id name } }`, nil, reader)
		wantOrdered(t, r.Body, `{"data":{"author":[{"id":1,"name":"Ada"}, {"id":2,"name":"Bob"}]}}`)
		wantStatus(t, runSQL(t, s, `UPDATE article SET views = 1 WHERE status = 'published'`), 200)
		r = gql(t, s, `{ author(order_by: {id: asc}) { id name } }`, nil, reader)
		wantOrdered(t, r.Body, `{"data":{"author":[]}}`)
		wantStatus(t, runSQL(t, s, `UPDATE article SET views = 10 WHERE id = 1; UPDATE article SET views = 5 WHERE id = 3`), 200)
		r = gql(t, s, `{ author(order_by: {id: asc}) { id } }`, nil, reader)
		wantOrdered(t, r.Body, `{"data":{"author":[{"id":1}, {"id":2}]}}`)
	})
}

func TestBoolExpPostGIS(t *testing.T) {
	t.Parallel()
	s, db := startWith(t, "")
	if !hasExtension(t, db, "postgis") {
		t.Skip("PostGIS is not installed in the test database")
	}
	wantStatus(t, runSQL(t, s, `
CREATE TABLE place (id serial PRIMARY KEY, name text, loc geometry(Point, 4326), area geometry(Polygon, 4326), geog geography(Point, 4326));
INSERT INTO place (name, loc, area, geog) VALUES
  ('origin', 'SRID=4326;POINT(1 1)', 'SRID=4326;POLYGON((0 0, 0 2, 2 2, 2 0, 0 0))', 'SRID=4326;POINT(1 1)'),
  ('far', 'SRID=4326;POINT(10 10)', 'SRID=4326;POLYGON((9 9, 9 11, 11 11, 11 9, 9 9))', 'SRID=4326;POINT(10 10)'),
  ('nowhere', NULL, NULL, NULL);`), 200)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "place"}))

	box := `{type: "Polygon", coordinates: [[[0, 0], [0, 20], [20, 20], [20, 0], [0, 0]]]}`
	places := func(w string) string { return `{ place(where: ` + w + `, order_by: {id: asc}) { id } }` }
	runWhereCases(t, s, places, "place", []whereCase{
		{`{area: {_st_contains: {type: "Point", coordinates: [1, 1]}}}`, "1"},
		{`{loc: {_st_intersects: {type: "Polygon", coordinates: [[[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]]]}}}`, "1"},
		{`{loc: {_st_within: ` + box + `}}`, "1 2"},
		{`{loc: {_st_d_within: {distance: 2, from: {type: "Point", coordinates: [0, 0]}}}}`, "1"},
		{`{loc: {_st_d_within: {distance: 20, from: {type: "Point", coordinates: [0, 0]}}}}`, "1 2"},
		// geography distances are metres: (1,1) is ~157 km from (0,0), (10,10) ~1569 km.
		{`{geog: {_st_d_within: {distance: 200000, from: {type: "Point", coordinates: [0, 0]}}}}`, "1"},
		{`{geog: {_st_d_within: {distance: 100000, from: {type: "Point", coordinates: [0, 0]}}}}`, ""},
		{`{geog: {_st_d_within: {distance: 2000000, use_spheroid: false, from: {type: "Point", coordinates: [0, 0]}}}}`, "1 2"},
	})
	t.Run("geometry output is GeoJSON", func(t *testing.T) {
		wantData(t, s, `{ place_by_pk(id: 1) { loc geog } }`, nil,
			`{"place_by_pk":{"loc":{"type":"Point","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4326"}},"coordinates":[1,1]},`+
				`"geog":{"type":"Point","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4326"}},"coordinates":[1,1]}}}`)
	})
}
