-- Golden SQL for by_pk.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author_by_pk
-- args:
--   $1 = "3"
SELECT (SELECT row_to_json((SELECT _e
        FROM (SELECT _1."id" AS "id", _1."name" AS "name", _1."email" AS "email", _1."created_at" AS "created_at") AS _e)) AS j
    FROM (SELECT *
      FROM "public"."author" AS _1
      WHERE _1."id" = $1::text::"int4"
      LIMIT 1) AS _1) AS j;
