-- Golden SQL for variables_input_objects.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args:
--   $1 = "published"
--   $2 = ["1","2"]
--   $3 = "%GraphQL"
--   $4 = 4
--   $5 = "Comment (1|2)%"
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."title" AS "title", _2.j AS "comments") AS _e))
      ORDER BY _1.__o1 DESC NULLS LAST, _1.__o2 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."rating" AS __o1, _1."id" AS __o2
    FROM "public"."article" AS _1
    WHERE (((_1."status" = $1::text::"text") OR (_1."rating" = ANY($2::text[]::"int4"[]))) AND _1."title" NOT LIKE $3::text::"text")
    ORDER BY __o1 DESC NULLS LAST, __o2 ASC NULLS LAST
    LIMIT $4) AS _1
  LEFT JOIN LATERAL (SELECT coalesce(json_agg(row_to_json((SELECT _e
            FROM (SELECT _3."body" AS "body") AS _e))), '[]') AS j
    FROM (SELECT _3.*
      FROM "public"."comment" AS _3
      WHERE _1."id" = _3."article_id" AND _3."body" SIMILAR TO $5::text::"text") AS _3) AS _2 ON true;
