-- Golden SQL for fragments_aliases.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: recent
-- args:
--   $1 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "key", _1."title" AS "title", _2.j AS "writer") AS _e))
      ORDER BY _1.__o1 DESC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."published_at" AS __o1
    FROM "public"."article" AS _1
    ORDER BY __o1 DESC NULLS LAST
    LIMIT $1) AS _1
  LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
        FROM (SELECT _3."name" AS "full_name") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."author" AS _3
      WHERE _1."author_id" = _3."id"
      LIMIT 1) AS _3) AS _2 ON true;

-- field: best
-- args:
--   $1 = "5"
--   $2 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "key", _1."title" AS "title", _1."rating" AS "score") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE _1."rating" = $1::text::"int4"
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $2) AS _1;
