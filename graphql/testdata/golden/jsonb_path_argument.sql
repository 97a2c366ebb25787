-- Golden SQL for jsonb_path_argument.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "links"
--   $2 = 2
--   $3 = ["lang"]
--   $4 = ["links","site"]
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", (_1."profile" #> $3::text[]) AS "lang", (_1."profile" #> $4::text[]) AS "site") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE _1."profile" ? $1::text
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $2) AS _1;
