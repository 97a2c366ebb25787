-- Golden SQL for exists_permission.graphql (role user). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "7"
--   $2 = "Author 1%"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."name" AS "name", "public"."author_label"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author") AS "label") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE EXISTS (SELECT 1
      FROM "public"."comment" AS _2
      WHERE _2."commenter_id" = $1::text::"int4") AND _1."name" LIKE $2::text::"text"
    ORDER BY __o1 ASC NULLS LAST) AS _1;
