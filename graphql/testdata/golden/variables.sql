-- Golden SQL for variables.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = "2"
--   $2 = "2"
--   $3 = "2024-02-01T12:00:00Z"
--   $4 = "%Article%"
--   $5 = 10
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _1."rating" AS "rating", _1."published_at" AS "published_at") AS _e))
      ORDER BY _1.__o1 DESC NULLS FIRST), '[]') AS j
  FROM (SELECT _1.*, _1."published_at" AS __o1
    FROM "public"."article" AS _1
    WHERE (_1."author_id" = $1::text::"int4" AND _1."rating" >= $2::text::"int4" AND _1."published_at" > $3::text::"timestamptz" AND _1."title" ILIKE $4::text::"text")
    ORDER BY __o1 DESC NULLS FIRST
    LIMIT $5) AS _1;
