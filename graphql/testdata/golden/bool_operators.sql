-- Golden SQL for bool_operators.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = "4"
--   $2 = ["5","10"]
--   $3 = "GraphQL$"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."rating" AS "rating") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE (((_1."rating" IS NULL) OR (((_1."rating" > $1::text::"int4") AND (NOT (_1."id" = ANY($2::text[]::"int4"[])))))) AND NOT (_1."title" ~ $3::text::"text"))
    ORDER BY __o1 ASC NULLS LAST) AS _1;
