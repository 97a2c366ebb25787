-- Golden SQL for nested_three_levels.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "3"
--   $2 = 2
--   $3 = 3
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."name" AS "name", _2.j AS "articles") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE _1."id" <= $1::text::"int4"
    ORDER BY __o1 ASC NULLS LAST) AS _1
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _3."id" AS "id", _3."title" AS "title", _4.j AS "comments") AS _e))
        ORDER BY _3.__o1 ASC NULLS LAST), '[]') AS j
    FROM (SELECT _3.*, _3."id" AS __o1
      FROM "public"."article" AS _3
      WHERE _1."id" = _3."author_id"
      ORDER BY __o1 ASC NULLS LAST
      LIMIT $2) AS _3
    LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
              FROM (SELECT _5."id" AS "id", _5."body" AS "body", _6.j AS "commenter", _8.j AS "article") AS _e))
          ORDER BY _5.__o1 DESC NULLS FIRST), '[]') AS j
      FROM (SELECT _5.*, _5."created_at" AS __o1
        FROM "public"."comment" AS _5
        WHERE _3."id" = _5."article_id"
        ORDER BY __o1 DESC NULLS FIRST
        LIMIT $3) AS _5
      LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
            FROM (SELECT _7."id" AS "id", _7."name" AS "name") AS _e)) AS j
        FROM (SELECT *
          FROM "public"."author" AS _7
          WHERE _5."commenter_id" = _7."id"
          LIMIT 1) AS _7) AS _6 ON true
      LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
            FROM (SELECT _10.j AS "author") AS _e)) AS j
        FROM (SELECT *
          FROM "public"."article" AS _9
          WHERE _5."article_id" = _9."id"
          LIMIT 1) AS _9
        LEFT JOIN LATERAL (SELECT row_to_json((SELECT _e
              FROM (SELECT _11."name" AS "name") AS _e)) AS j
          FROM (SELECT *
            FROM "public"."author" AS _11
            WHERE _9."author_id" = _11."id"
            LIMIT 1) AS _11) AS _10 ON true) AS _8 ON true) AS _4 ON true) AS _2 ON true;
