-- Golden SQL for relationship_filter.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = ["Author 3","Author 5"]
--   $2 = "Comment 1%"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE (EXISTS (SELECT 1
        FROM "public"."author" AS _2
        WHERE _1."author_id" = _2."id" AND _2."name" = ANY($1::text[]::"text"[])) AND EXISTS (SELECT 1
        FROM "public"."comment" AS _3
        WHERE _1."id" = _3."article_id" AND (_3."body" LIKE $2::text::"text" AND EXISTS (SELECT 1
            FROM "public"."author" AS _4
            WHERE _3."commenter_id" = _4."id" AND _4."email" IS NOT NULL))))
    ORDER BY __o1 ASC NULLS LAST) AS _1;
