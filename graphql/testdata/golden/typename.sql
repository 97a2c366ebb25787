-- Golden SQL for typename.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT 'author' AS "__typename", _1."id" AS "id", _2.j AS "articles_aggregate") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $1) AS _1
  LEFT JOIN LATERAL (SELECT json_build_object('__typename', 'article_aggregate', 'aggregate', json_build_object('__typename', 'article_aggregate_fields', 'count', count(*), 'max', json_build_object('__typename', 'article_max_fields', 'rating', max(_3."rating")))) AS j
    FROM (SELECT _3.*
      FROM "public"."article" AS _3
      WHERE _1."id" = _3."author_id") AS _3) AS _2 ON true;
