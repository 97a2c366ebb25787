-- Golden SQL for role_user_permissions.graphql (role user). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = "published"
--   $2 = "4"
--   $3 = 50
--   $4 = "4"
--   $5 = "4"
--   $6 = "4"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _1."status" AS "status", _2.j AS "author", _6.j AS "comments") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE ((_1."status" = $1::text::"text") OR (_1."author_id" = $2::text::"int4"))
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $3) AS _1
  LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
        FROM (SELECT _3."name" AS "name", "public"."author_label"(ROW(_3."id", _3."name", _3."email", _3."profile", _3."location", _3."created_at")::"public"."author") AS "label") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."author" AS _3
      WHERE _1."author_id" = _3."id" AND EXISTS (SELECT 1
        FROM "public"."comment" AS _4
        WHERE _4."commenter_id" = $4::text::"int4")
      LIMIT 1) AS _3) AS _2 ON true
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _7."id" AS "id", _7."body" AS "body") AS _e))
        ORDER BY _7.__o1 ASC NULLS LAST), '[]') AS j
    FROM (SELECT _7.*, _7."id" AS __o1
      FROM "public"."comment" AS _7
      WHERE _1."id" = _7."article_id" AND ((_7."commenter_id" = $5::text::"int4") OR (EXISTS (SELECT 1
            FROM "public"."article" AS _8
            WHERE _7."article_id" = _8."id" AND _8."author_id" = $6::text::"int4")))
      ORDER BY __o1 ASC NULLS LAST) AS _7) AS _6 ON true;

-- field: article_aggregate
-- args:
--   $1 = "published"
--   $2 = "4"
SELECT json_build_object('aggregate', json_build_object('count', count(*))) AS j
  FROM (SELECT _1.*, row_number() OVER () AS __rn
    FROM "public"."article" AS _1
    WHERE ((_1."status" = $1::text::"text") OR (_1."author_id" = $2::text::"int4"))) AS _1;
