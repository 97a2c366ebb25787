-- Golden SQL for aggregate_nodes.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article_aggregate
-- args:
--   $1 = 10
SELECT json_build_object('aggregate', json_build_object('count', count(*), 'distinct_authors', count(DISTINCT _1."author_id"), 'sum', json_build_object('rating', sum(_1."rating")), 'avg', json_build_object('rating', avg(_1."rating")), 'max', json_build_object('rating', max(_1."rating"), 'published_at', max(_1."published_at")), 'min', json_build_object('title', min(_1."title"))), 'nodes', coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _1."id" AS "id", _1."title" AS "title", _1."rating" AS "rating") AS _e))
        ORDER BY _1.__o1 DESC NULLS FIRST), '[]')) AS j
  FROM (SELECT _1.*, _1."rating" AS __o1
    FROM "public"."article" AS _1
    WHERE _1."rating" IS NOT NULL
    ORDER BY __o1 DESC NULLS FIRST
    LIMIT $1) AS _1;
