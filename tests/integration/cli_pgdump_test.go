package integration

import (
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// TestPGDumpAPI: /v1alpha1/pg_dump runs the server's pg_dump on the
// source's database, admin only, cleaning the output as Hasura does, and
// answers bad requests with Hasura's error shape.
func TestPGDumpAPI(t *testing.T) {
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, `CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION shout(t text) RETURNS text AS $$
SELECT upper(t)

-- a comment inside the body stays
$$ LANGUAGE sql;
INSERT INTO author (name) VALUES ('Ann');`)
	s := testenv.Start(t, db)
	dump := func(body any) *testenv.Response { return post(t, s, "/v1alpha1/pg_dump", body, admin()) }

	r := dump(map[string]any{"opts": []string{"-O", "-x", "--schema-only", "--schema", "public"}, "clean_output": true})
	wantStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/sql; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	sql := string(r.Body)
	for _, want := range []string{"CREATE TABLE public.author (", "CREATE FUNCTION public.shout(t text)", "\n\n-- a comment inside the body stays\n"} {
		if !strings.Contains(sql, want) {
			t.Errorf("clean schema dump lacks %q:\n%s", want, sql)
		}
	}
	for _, line := range strings.Split(sql, "\n") {
		if strings.HasPrefix(line, "SET ") || strings.HasPrefix(line, `\restrict`) || strings.HasPrefix(line, "-- Dumped") ||
			strings.HasPrefix(line, "SELECT pg_catalog.set_config") {
			t.Errorf("clean dump keeps %q", line)
		}
	}
	// Without clean_output: pg_dump's own text, comments and all.
	r = dump(map[string]any{"opts": []string{"--data-only", "--column-inserts", "--table", "public.author"}})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Body), "-- PostgreSQL database dump") || !strings.Contains(string(r.Body), "INSERT INTO public.author (id, name) VALUES (1, 'Ann');") {
		t.Errorf("raw data dump:\n%s", r.Body)
	}

	wantAdminError(t, post(t, s, "/v1alpha1/pg_dump", map[string]any{"opts": []string{}}, nil), 401, "access-denied", "invalid x-hasura-admin-secret")
	wantAdminError(t, post(t, s, "/v1alpha1/pg_dump", map[string]any{"opts": []string{}}, admin(map[string]string{"X-Hasura-Role": "user"})),
		400, "access-denied", "admin only")
	wantAdminError(t, dump(map[string]any{"clean_output": true}), 400, "parse-failed", `key "opts" not found`)
	wantAdminError(t, dump(`{"opts": "-O"}`), 400, "parse-failed", "Error in $")
	wantAdminError(t, dump(map[string]any{"opts": []string{"--no-such-option"}}), 500, "unexpected", "error while executing pg_dump: ")
	wantAdminError(t, dump(map[string]any{"opts": []string{"-f", "/tmp/x.sql"}}), 400, "bad-request", `pg_dump option "-f" is not allowed`)
	wantAdminError(t, dump(map[string]any{"opts": []string{"--dbname=postgres://elsewhere/db"}}), 400, "bad-request", "not allowed")
	wantAdminError(t, dump(map[string]any{"opts": []string{}, "source": "nope"}), 400, "not-exists", `source with name "nope" does not exist`)

	// Another source: its own database is dumped.
	other := testenv.NewDatabase(t)
	testenv.Exec(t, other, `CREATE TABLE gadget (id int PRIMARY KEY)`)
	mustMeta(t, s, op("pg_add_source", map[string]any{"name": "other", "configuration": map[string]any{"connection_info": map[string]any{"database_url": other}}}))
	r = dump(map[string]any{"opts": []string{"--schema-only"}, "clean_output": true, "source": "other"})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.Body), "CREATE TABLE public.gadget (") || strings.Contains(string(r.Body), "author") {
		t.Errorf("dump of source other:\n%s", r.Body)
	}

	// HASURA_GRAPHQL_ENABLED_APIS without pgdump: the endpoint is gone.
	off := startEnv(t, map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "metadata,graphql"})
	wantAdminError(t, post(t, off, "/v1alpha1/pg_dump", map[string]any{"opts": []string{}}, admin()), 404, "not-found", "resource does not exist")
}
