-- Golden SQL for computed_fields.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "%example.com\u003e"
--   $2 = 3
--   $3 = "3"
--   $4 = 2
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", "public"."author_label"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author") AS "label", _3.j AS "top_articles", _5.j AS "default_top") AS _e))
      ORDER BY _1.__o1 DESC NULLS FIRST), '[]') AS j
  FROM (SELECT _1.*, "public"."author_label"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author") AS __o1
    FROM "public"."author" AS _1
    WHERE "public"."author_label"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author") LIKE $1::text::"text"
    ORDER BY __o1 DESC NULLS FIRST
    LIMIT $2) AS _1
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _4."id" AS "id", _4."rating" AS "rating") AS _e))
        ORDER BY _4.__o1 ASC NULLS LAST), '[]') AS j
    FROM (SELECT _4.*, _4."id" AS __o1
      FROM "public"."author_top_articles"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author", $3::text::"int4") AS _4
      ORDER BY __o1 ASC NULLS LAST
      LIMIT $4) AS _4) AS _3 ON true
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _6."id" AS "id") AS _e))
        ORDER BY _6.__o1 ASC NULLS LAST), '[]') AS j
    FROM (SELECT _6.*, _6."id" AS __o1
      FROM "public"."author_top_articles"(ROW(_1."id", _1."name", _1."email", _1."profile", _1."location", _1."created_at")::"public"."author") AS _6
      ORDER BY __o1 ASC NULLS LAST) AS _6) AS _5 ON true;
