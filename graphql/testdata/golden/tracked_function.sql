-- Golden SQL for tracked_function.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: search_articles
-- args:
--   $1 = "graphql"
--   $2 = "1"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _2.j AS "author") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."search_articles"($1::text::"text") AS _1
    WHERE _1."rating" >= $2::text::"int4"
    ORDER BY __o1 ASC NULLS LAST) AS _1
  LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
        FROM (SELECT _3."name" AS "name") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."author" AS _3
      WHERE _1."author_id" = _3."id"
      LIMIT 1) AS _3) AS _2 ON true;

-- field: search_articles_aggregate
-- args:
--   $1 = "article 2"
SELECT json_build_object('aggregate', json_build_object('count', count(*))) AS j
  FROM (SELECT _1.*
    FROM "public"."search_articles"($1::text::"text") AS _1) AS _1;
