-- Golden SQL for postgis_cast.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "10000"
--   $2 = "true"
--   $3 = "{\"coordinates\":[2.05,48.05],\"type\":\"Point\"}"
--   $4 = "%1"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", ST_AsGeoJSON(_1."location", 15, 4)::json AS "location") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE (ST_DWithin((_1."location")::"public"."geography", ST_GeomFromGeoJSON($3::text)::geography, $1::text::"float8", $2::text::"bool") AND (_1."id")::"text" LIKE $4::text::"text")
    ORDER BY __o1 ASC NULLS LAST) AS _1;
