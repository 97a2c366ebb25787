-- Golden SQL for list_where_order_limit_offset.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = "3"
--   $2 = "%article 1%"
--   $3 = 5
--   $4 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _1."rating" AS "rating", _1."published_at" AS "published_at") AS _e))
      ORDER BY _1.__o1 DESC NULLS LAST, _1.__o2 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."published_at" AS __o1, _1."id" AS __o2
    FROM "public"."article" AS _1
    WHERE (_1."rating" >= $1::text::"int4" AND _1."title" ILIKE $2::text::"text")
    ORDER BY __o1 DESC NULLS LAST, __o2 ASC NULLS LAST
    LIMIT $3
    OFFSET $4) AS _1;
