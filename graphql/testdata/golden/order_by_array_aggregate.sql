-- Golden SQL for order_by_array_aggregate.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args: none
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."name" AS "name", _4.j AS "articles_aggregate") AS _e))
      ORDER BY _1.__o1 DESC NULLS FIRST, _1.__o2 ASC NULLS FIRST, _1.__o3 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, (SELECT count(*)
      FROM "public"."article" AS _2
      WHERE _1."id" = _2."author_id") AS __o1, (SELECT max(_3."rating")
      FROM "public"."article" AS _3
      WHERE _1."id" = _3."author_id") AS __o2, _1."id" AS __o3
    FROM "public"."author" AS _1
    ORDER BY __o1 DESC NULLS FIRST, __o2 ASC NULLS FIRST, __o3 ASC NULLS LAST) AS _1
  LEFT JOIN LATERAL (SELECT json_build_object('aggregate', json_build_object('count', count(*))) AS j
    FROM (SELECT _5.*
      FROM "public"."article" AS _5
      WHERE _1."id" = _5."author_id") AS _5) AS _4 ON true;
