-- Golden SQL for jsonb_operators.graphql (role admin). Regenerate: go test ./graphql -run TestGolden -update

-- field: author
-- args:
--   $1 = "{\"lang\":\"en\"}"
--   $2 = "links"
--   $3 = ["followers","nickname"]
--   $4 = ["lang","links"]
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."profile" AS "profile") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."author" AS _1
    WHERE (_1."profile" @> $1::text::"jsonb" AND _1."profile" ? $2::text AND ((_1."profile" ?| $3::text[]) OR (_1."profile" ?& $4::text[])))
    ORDER BY __o1 ASC NULLS LAST) AS _1;

-- field: article
-- args:
--   $1 = "{\"featured\":true,\"topics\":[\"sql\"]}"
--   $2 = 3
SELECT coalesce(json_agg(row_to_json((SELECT _e
          FROM (SELECT _1."id" AS "id", _1."tags" AS "tags") AS _e))
      ORDER BY _1.__o1 ASC NULLS LAST), '[]') AS j
  FROM (SELECT _1.*, _1."id" AS __o1
    FROM "public"."article" AS _1
    WHERE _1."tags" <@ $1::text::"jsonb"
    ORDER BY __o1 ASC NULLS LAST
    LIMIT $2) AS _1;
