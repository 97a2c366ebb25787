-- Golden SQL for postgis_st_d_within.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "0.035"
--   $2 = "{\"coordinates\":[2.05,48.05],\"type\":\"Point\"}"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."name" AS "name", ST_AsGeoJSON(_1."location", 15, 4)::json AS "location") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE ST_DWithin(_1."location", ST_GeomFromGeoJSON($2::text), $1::text::"float8")
    ORDER BY __o1 ASC NULLS LAST) AS _1;
