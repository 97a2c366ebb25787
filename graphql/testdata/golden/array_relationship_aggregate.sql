-- Golden SQL for array_relationship_aggregate.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = 4
--   $2 = "published"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."name" AS "name", _2.j AS "articles_aggregate") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $1) AS _1
  LEFT JOIN LATERAL (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'avg', json_build_object('rating', avg(_3."rating")), 'max', json_build_object('published_at', max(_3."published_at"))), 'nodes', coalesce(json_agg(row_to_json((SELECT _e
              FROM (SELECT _3."id" AS "id") AS _e))), '[]')) AS j
    FROM (SELECT _3.*
      FROM "public"."article" AS _3
      WHERE _1."id" = _3."author_id" AND _3."status" = $2::text::"text") AS _3) AS _2 ON true;
