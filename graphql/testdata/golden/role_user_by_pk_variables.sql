-- Golden SQL for role_user_by_pk_variables.graphql (role user). Regenerate: go test ./graphql -run TestGolden -update

-- field: article_by_pk
-- args:
--   $1 = "4"
--   $2 = "published"
--   $3 = "5"
--   $4 = "5"
--   $5 = "5"
--   $6 = "%comment%"
SELECT (SELECT row_to_json((SELECT _e
        FROM (SELECT _1."id" AS "id", _1."title" AS "title", _2.j AS "comments") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."article" AS _1
      WHERE _1."id" = $1::text::"int4" AND ((_1."status" = $2::text::"text") OR (_1."author_id" = $3::text::"int4"))
      LIMIT 1) AS _1
    LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
              FROM (SELECT _3."body" AS "body") AS _e))), '[]') AS j
      FROM (SELECT _3.*
        FROM "public"."comment" AS _3
        WHERE _1."id" = _3."article_id" AND ((_3."commenter_id" = $4::text::"int4") OR (EXISTS (SELECT 1
              FROM "public"."article" AS _4
              WHERE _3."article_id" = _4."id" AND _4."author_id" = $5::text::"int4"))) AND _3."body" ILIKE $6::text::"text") AS _3) AS _2 ON true) AS j;
