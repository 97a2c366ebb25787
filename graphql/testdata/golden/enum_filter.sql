-- Golden SQL for enum_filter.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: drafts
-- args:
--   $1 = "draft"
SELECT json_build_object('aggregate', json_build_object('count', count(*))) AS j
  FROM (SELECT _1.*
    FROM "public"."article" AS _1
    WHERE _1."status" = $1::text::"text") AS _1;

-- field: article
-- args:
--   $1 = ["published","archived"]
--   $2 = 5
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."status" AS "status") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE _1."status" = ANY($1::text[]::"text"[])
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $2) AS _1;

-- field: article_status
-- args: none
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."value" AS "value", _1."comment" AS "comment") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."value" AS __o1
    FROM "public"."article_status" AS _1
    ORDER BY __o1 ASC NULLS LAST) AS _1;
