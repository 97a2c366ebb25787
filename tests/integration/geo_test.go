package integration

import (
	"encoding/json"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// startGeo starts a server with PostGIS tables, or skips the test.
func startGeo(t *testing.T) *testenv.Server {
	t.Helper()
	s, db := startWith(t, "")
	if !hasExtension(t, db, "postgis") {
		t.Skip("PostGIS is not installed in the test database")
	}
	wantStatus(t, runSQL(t, s, `
CREATE TABLE landmark (id serial PRIMARY KEY, name text, location geography(Point));
CREATE TABLE zone (id serial PRIMARY KEY, name text NOT NULL, shape geometry, amount int);
INSERT INTO zone (name, shape, amount) VALUES
  ('square', 'SRID=4326;POLYGON((0 0, 0 2, 2 2, 2 0, 0 0))', 1),
  ('paris', 'SRID=4326;POINT(2.3522 48.8566)', 23),
  ('london', 'SRID=4326;POINT(0.1278 51.5074)', 123);`), 200)
	for _, tbl := range []string{"landmark", "zone"} {
		mustMeta(t, s, op("pg_track_table", map[string]any{"table": tbl}))
	}
	return s
}

const crs4326 = `"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4326"}}`

func TestGeoJSONInsertSetAndFilter(t *testing.T) {
	t.Parallel()
	s := startGeo(t)
	insert := `mutation ($objs: [landmark_insert_input!]!) {
	  insert_landmark(objects: $objs) { returning { id name location } } }`
	r := gql(t, s, insert, map[string]any{"objs": []any{
		map[string]any{"name": "river", "location": map[string]any{"type": "Point", "coordinates": []any{43.75049, 11.03207}}},
	}})
	wantOrdered(t, r.Body, `{"data":{"insert_landmark":{"returning":[{"id":1,"name":"river","location":{"type":"Point",`+crs4326+`,"coordinates":[43.75049,11.03207]}}]}}}`)

	t.Run("_set takes a GeoJSON literal", func(t *testing.T) {
		wantData(t, s, `mutation { update_landmark_by_pk(pk_columns: {id: 1}, _set: {location: {type: "Point", coordinates: [1, 2]}}) { location } }`, nil,
			`{"update_landmark_by_pk":{"location":{"type":"Point",`+crs4326+`,"coordinates":[1,2]}}}`)
	})
	t.Run("_eq and _st_intersects compare with GeoJSON", func(t *testing.T) {
		wantData(t, s, `{ landmark(where: {location: {_eq: {type: "Point", coordinates: [1, 2]}}}) { id } }`, nil, `{"landmark":[{"id":1}]}`)
		wantData(t, s, `{ zone(where: {shape: {_st_intersects: {type: "Point", coordinates: [1, 1]}}}) { name } }`, nil, `{"zone":[{"name":"square"}]}`)
	})
	t.Run("invalid GeoJSON fails to parse at its path", func(t *testing.T) {
		cases := []struct {
			name, path, msg string
			location        map[string]any
		}{
			{"one coordinate", "$.variableValues.objs[0].location.coordinates", "A Position needs at least 2 elements",
				map[string]any{"type": "Point", "coordinates": []any{43.75}}},
			{"unknown type", "$.variableValues.objs[0].location", "unexpected geometry type: Random",
				map[string]any{"type": "Random", "coordinates": []any{1, 2}}},
			{"short ring", "$.variableValues.objs[0].location.coordinates[0]", "A LinearRing needs at least 4 Positions",
				map[string]any{"type": "Polygon", "coordinates": []any{[]any{[]any{0, 0}, []any{1, 1}, []any{0, 0}}}}},
			{"open ring", "$.variableValues.objs[0].location.coordinates[0]", "the first and last locations have to be equal for a LinearRing",
				map[string]any{"type": "Polygon", "coordinates": []any{[]any{[]any{0, 0}, []any{0, 1}, []any{1, 1}, []any{1, 0}}}}},
		}
		for _, c := range cases {
			r := gql(t, s, insert, map[string]any{"objs": []any{map[string]any{"name": "x", "location": c.location}}})
			wantStatus(t, r, 200)
			wantGQLError(t, r, "parse-failed", c.path, c.msg)
		}
		wantData(t, s, `{ landmark_aggregate { aggregate { count } } }`, nil, `{"landmark_aggregate":{"aggregate":{"count":1}}}`)
	})
	t.Run("a GeoJSON literal in a filter is checked at its path", func(t *testing.T) {
		r := gql(t, s, `{ landmark(where: {_not: {location: {_eq: {type: "Point", coordinates: [1]}}}}) { id } }`, nil)
		wantGQLError(t, r, "parse-failed", "$.selectionSet.landmark.args.where._not.location._eq.coordinates", "A Position needs at least 2 elements")
	})
	t.Run("a geometry variable is checked too", func(t *testing.T) {
		r := gql(t, s, `query ($p: geometry!) { zone(where: {shape: {_st_within: $p}}) { id } }`,
			map[string]any{"p": map[string]any{"type": "LineString", "coordinates": []any{[]any{0, 0}}}})
		wantGQLError(t, r, "parse-failed", "$.variableValues.p.coordinates", "A LineString needs at least 2 Positions")
	})
}

func TestGeoCasts(t *testing.T) {
	t.Parallel()
	s := startGeo(t)
	// 1000 km from (1, 50): Paris and London as geography, though a
	// geometry distance (degrees) of 1000000 would match everything.
	wantData(t, s, `{ zone(order_by: {id: asc}, where: {shape: {_cast: {geography: {_st_d_within: {distance: 1000000, from: {type: "Point", coordinates: [1, 50]}}}}}}) { name } }`,
		nil, `{"zone":[{"name":"paris"},{"name":"london"}]}`)
	wantStatus(t, runSQL(t, s, `CREATE TABLE city (id serial PRIMARY KEY, name text, geog geography);
INSERT INTO city (name, geog) VALUES ('nyc', 'SRID=4326;POINT(-74.006 40.7128)'), ('paris', 'SRID=4326;POINT(2.3522 48.8566)');`), 200)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "city"}))
	wantData(t, s, `{ city(where: {geog: {_cast: {geometry: {_st_within: {type: "Polygon", coordinates: [[[-75, 40], [-74, 40], [-74, 41], [-75, 41], [-75, 40]]]}}}}}) { name } }`,
		nil, `{"city":[{"name":"nyc"}]}`)
	t.Run("any scalar casts to String", func(t *testing.T) {
		wantData(t, s, `{ zone(order_by: {id: asc}, where: {amount: {_cast: {String: {_like: "%23"}}}}) { name } }`,
			nil, `{"zone":[{"name":"paris"},{"name":"london"}]}`)
	})
}

func TestRasterOperators(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, "")
	if r := runSQL(t, s, `CREATE EXTENSION IF NOT EXISTS postgis_raster`); r.Status != 200 {
		t.Skipf("postgis_raster is not available: %s", r.Body)
	}
	wantStatus(t, runSQL(t, s, `
CREATE TABLE tile (rid serial PRIMARY KEY, rast raster);
INSERT INTO tile (rast) VALUES
  (ST_AsRaster(ST_Buffer(ST_GeomFromText('SRID=4326;POINT(1 2)'), 2), 5, 5)),
  (ST_AsRaster(ST_Buffer(ST_GeomFromText('SRID=4326;POINT(50 50)'), 2), 5, 5));`), 200)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "tile"}))
	tiles := func(w string) string { return `{ tile(where: ` + w + `, order_by: {rid: asc}) { rid } }` }
	cases := []struct{ where, want string }{
		{`{rast: {_st_intersects_geom_nband: {geommin: {type: "Point", coordinates: [1, 2]}}}}`, `[{"rid":1}]`},
		{`{rast: {_st_intersects_nband_geom: {nband: 1, geommin: {type: "Point", coordinates: [50, 50]}}}}`, `[{"rid":2}]`},
		{`{rast: {_st_intersects_geom_nband: {geommin: {type: "Point", coordinates: [25, 25]}}}}`, `[]`},
	}
	for _, c := range cases {
		wantData(t, s, tiles(c.where), nil, `{"tile":`+c.want+`}`)
	}
	var got struct {
		Data struct {
			Tile struct{ Rast string } `json:"tile_by_pk"`
		}
	}
	if err := json.Unmarshal(gql(t, s, `{ tile_by_pk(rid: 1) { rast } }`, nil).Body, &got); err != nil || got.Data.Tile.Rast == "" {
		t.Fatalf("read raster: %v", err)
	}
	rast := got.Data.Tile.Rast
	wantData(t, s, `query ($r: raster) { tile(where: {rast: {_st_intersects_rast: $r}}) { rid } }`,
		map[string]any{"r": rast}, `{"tile":[{"rid":1}]}`)
}
