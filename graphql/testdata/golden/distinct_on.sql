-- Golden SQL for distinct_on.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: article
-- args: none
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."author_id" AS "author_id", _1."id" AS "id", _1."rating" AS "rating") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST, _1.__o2 DESC NULLS LAST, _1.__o3 ASC NULLS LAST), '[]') AS j
  FROM (SELECT DISTINCT ON (__o1) _1.*, _1."author_id" AS __o1, _1."rating" AS __o2, _1."id" AS __o3
    FROM "public"."article" AS _1
    ORDER BY __o1 ASC NULLS LAST, __o2 DESC NULLS LAST, __o3 ASC NULLS LAST) AS _1;
