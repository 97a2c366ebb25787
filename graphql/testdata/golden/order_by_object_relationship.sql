-- Golden SQL for order_by_object_relationship.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = 8
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _3.j AS "author") AS _e))
      ORDER BY _1.__o1 DESC NULLS FIRST, _1.__o2 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, (SELECT _2."name"
      FROM "public"."author" AS _2
      WHERE _1."author_id" = _2."id"
      LIMIT 1) AS __o1, _1."id" AS __o2
    FROM "public"."article" AS _1
    ORDER BY __o1 DESC NULLS FIRST, __o2 ASC NULLS LAST
    LIMIT $1) AS _1
  LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
        FROM (SELECT _4."name" AS "name") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."author" AS _4
      WHERE _1."author_id" = _4."id"
      LIMIT 1) AS _4) AS _3 ON true;
