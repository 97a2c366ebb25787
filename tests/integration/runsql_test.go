package integration

import (
	"strings"
	"testing"
)

func TestRunSQL(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)

	t.Run("TuplesOk and CommandOk shapes", func(t *testing.T) {
		r := runSQL(t, s, `SELECT id, name, email FROM author WHERE id IN (1, 2) ORDER BY id`)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["id","name","email"],["1","Ada","ada@example.org"],["2","Bob","NULL"]]}`)
		r = runSQL(t, s, `SELECT 1 AS n WHERE false`)
		wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["n"]]}`)
		r = runSQL(t, s, `CREATE TABLE scratch (x int); DROP TABLE scratch`)
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"result_type":"CommandOk","result":null}`)
		// Several statements: the last one's result.
		r = runSQL(t, s, `CREATE TEMP TABLE tmp AS SELECT 7 AS v; SELECT v FROM tmp`)
		wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["v"],["7"]]}`)
	})
	t.Run("DDL is visible to the next GraphQL request", func(t *testing.T) {
		wantGQLError(t, gql(t, s, `{ author { nickname } }`, nil), "validation-failed", "$.selectionSet.author.selectionSet.nickname", "")
		wantStatus(t, runSQL(t, s, `ALTER TABLE author ADD COLUMN nickname text DEFAULT 'n/a'`), 200)
		wantData(t, s, `{ author_by_pk(id: 1) { nickname } }`, nil, `{"author_by_pk":{"nickname":"n/a"}}`)
		wantStatus(t, runSQL(t, s, `ALTER TABLE author DROP COLUMN nickname`), 200)
		wantGQLError(t, gql(t, s, `{ author { nickname } }`, nil), "validation-failed", "$.selectionSet.author.selectionSet.nickname", "")
	})
	t.Run("SQL error", func(t *testing.T) {
		r := runSQL(t, s, `SELEC 1`)
		wantAdminError(t, r, 400, "postgres-error", "query execution failed")
		if field(t, r.Body, "internal", "error", "status_code") != "42601" {
			t.Fatalf("internal error: %s", r.Body)
		}
		r = runSQL(t, s, `INSERT INTO article (author_id, title) VALUES (999, 'orphan')`)
		wantAdminError(t, r, 400, "postgres-error", "")
		if field(t, r.Body, "internal", "error", "status_code") != "23503" {
			t.Fatalf("internal error: %s", r.Body)
		}
		// A failed run_sql changes nothing: it runs in one transaction.
		r = runSQL(t, s, `INSERT INTO author (name) VALUES ('Zed'); SELECT 1/0`)
		wantAdminError(t, r, 400, "postgres-error", "")
		if n := tableCount(t, s, "author"); n != "3" {
			t.Fatalf("authors after a failed run_sql: %s", n)
		}
	})
	t.Run("read_only", func(t *testing.T) {
		r := runSQL(t, s, `INSERT INTO author (name) VALUES ('Zed')`, map[string]any{"read_only": true})
		wantAdminError(t, r, 400, "postgres-error", "")
		if n := tableCount(t, s, "author"); n != "3" {
			t.Fatalf("authors after a read-only insert: %s", n)
		}
	})
	t.Run("dropping a tracked table needs cascade", func(t *testing.T) {
		before := exportMetadata(t, s)
		r := runSQL(t, s, `DROP TABLE comment`)
		wantAdminError(t, r, 400, "dependency-error", "comment")
		if n := tableCount(t, s, "comment"); n != "3" {
			t.Fatalf("comment rows after refused drop: %s", n)
		}
		if after := exportMetadata(t, s); string(after) != string(before) {
			t.Fatalf("metadata changed by a refused drop:\n%s\n%s", before, after)
		}
		wantData(t, s, `{ comment_aggregate { aggregate { count } } }`, nil, `{"comment_aggregate":{"aggregate":{"count":3}}}`)

		r = runSQL(t, s, `DROP TABLE comment`, map[string]any{"cascade": true})
		wantStatus(t, r, 200)
		if r := runSQL(t, s, `SELECT to_regclass('public.comment') IS NULL`); !strings.Contains(string(r.Body), `["t"]`) {
			t.Fatalf("comment table still exists: %s", r.Body)
		}
		md := string(exportMetadata(t, s))
		if strings.Contains(md, `"comment"`) || strings.Contains(md, `"comments"`) {
			t.Fatalf("metadata still mentions comment: %s", md)
		}
		wantJSON(t, mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{})).Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
		wantGQLError(t, gql(t, s, `{ article { comments { id } } }`, nil), "validation-failed", "$.selectionSet.article.selectionSet.comments", "")
		wantData(t, s, `{ article_by_pk(id: 3) { title } }`, nil, `{"article_by_pk":{"title":"Gamma"}}`)
	})
	t.Run("run_sql on /v1/query", func(t *testing.T) {
		r := post(t, s, "/v1/query", op("run_sql", map[string]any{"sql": "SELECT 'x' AS y"}), admin())
		wantStatus(t, r, 200)
		wantJSON(t, r.Body, `{"result_type":"TuplesOk","result":[["y"],["x"]]}`)
	})
}
