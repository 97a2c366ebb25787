-- Golden SQL for skip_include.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _2.j AS "comments") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $1) AS _1
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _3."id" AS "id") AS _e))
        ORDER BY _3.__o1 ASC NULLS LAST), '[]') AS j
    FROM (SELECT _3.*, _3."id" AS __o1
      FROM "public"."comment" AS _3
      WHERE _1."id" = _3."article_id"
      ORDER BY __o1 ASC NULLS LAST) AS _3) AS _2 ON true;
