package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/graftql/graft/tests/testenv"
)

// hasuraState is cli_state exactly as Hasura's CLI writes it (cli/internal/
// statestore: migrations by database and version, dirty flags, settings).
const hasuraState = `{"migrations": {"default": {"1700000000001": false, "1700000000002": false}, "other": {"1600000000000": false}},
  "settings": {"migration_mode": "true"}, "isStateCopyCompleted": true}`

// TestCLICatalogStateHasuraFormat writes the state Hasura's CLI would with
// set_catalog_state; graft then sees those versions applied, applies only
// the newer one, and leaves the state in Hasura's format.
func TestCLICatalogStateHasuraFormat(t *testing.T) {
	srv, dir, env := project(t)
	p := []string{"--project", dir}

	st := serverCatalogState(t, srv)
	if id, _ := st["id"].(string); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-`).MatchString(id) {
		t.Errorf("catalog state id %v is not a uuid", st["id"])
	}
	if cs, ok := st["cli_state"].(map[string]any); !ok || len(cs) != 0 {
		t.Errorf("fresh cli_state = %v", st["cli_state"])
	}
	srv.Metadata(map[string]any{"type": "set_catalog_state", "args": map[string]any{"type": "cli", "state": json.RawMessage(hasuraState)}})
	srv.Metadata(map[string]any{"type": "set_catalog_state", "args": map[string]any{"type": "console", "state": map[string]any{"onboardingShown": true}}})

	// The two recorded versions fail if executed: applying them again would show.
	mig := filepath.Join(dir, "migrations", "default")
	writeFile(t, filepath.Join(mig, "1700000000001_one", "up.sql"), "SELECT 1/0;")
	writeFile(t, filepath.Join(mig, "1700000000002_two", "up.sql"), "SELECT 1/0;")
	writeFile(t, filepath.Join(mig, "1700000000003_three", "up.sql"), "CREATE TABLE three (id int);")

	out := mustCLI(t, env, append([]string{"migrate", "status"}, p...)...)
	for _, row := range []string{`1700000000001\s+one\s+Present\s+Present`, `1700000000002\s+two\s+Present\s+Present`, `1700000000003\s+three\s+Present\s+Not Present`} {
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("status lacks %s:\n%s", row, out)
		}
	}
	out = mustCLI(t, env, append([]string{"migrate", "apply"}, p...)...)
	if strings.Contains(out, "_one") || strings.Contains(out, "_two") || !strings.Contains(out, "applied 1700000000003_three (up)") {
		t.Errorf("apply did not skip the recorded versions:\n%s", out)
	}
	if !tableExists(t, srv, "three") {
		t.Error("three not created")
	}

	// The state stays Hasura's: other databases and settings kept, versions as
	// strings with dirty false, console state untouched.
	st = serverCatalogState(t, srv)
	var want, got any
	json.Unmarshal([]byte(`{"migrations": {"default": {"1700000000001": false, "1700000000002": false, "1700000000003": false}, "other": {"1600000000000": false}},
	  "settings": {"migration_mode": "true"}, "isStateCopyCompleted": true}`), &want)
	b, _ := json.Marshal(st["cli_state"])
	json.Unmarshal(b, &got)
	if wb, gb := mustJSON(want), mustJSON(got); wb != gb {
		t.Errorf("cli_state after apply:\n got %s\nwant %s", gb, wb)
	}
	if cs := st["console_state"].(map[string]any); cs["onboardingShown"] != true {
		t.Errorf("console_state = %v", cs)
	}

	// The state is in the database, not in the server's memory: a second
	// server on the same database reads it.
	other := testenv.Start(t, srv.App.Config.DatabaseURL)
	if st2 := serverCatalogState(t, other); mustJSON(st2) != mustJSON(st) {
		t.Errorf("second server sees %v, first %v", st2, st)
	}
	bad := srv.Post("/v1/metadata", map[string]any{"type": "set_catalog_state", "args": map[string]any{"type": "nope", "state": map[string]any{}}}, testenv.Admin())
	if bad.Status != 400 || !strings.Contains(string(bad.Body), "parse-failed") {
		t.Errorf("bad type: %d %s", bad.Status, bad.Body)
	}
}

// TestCLICatalogStateHasuraTable: a database Hasura created keeps the state
// in hdb_catalog.hdb_version, and Graft uses that row.
func TestCLICatalogStateHasuraTable(t *testing.T) {
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, `CREATE SCHEMA hdb_catalog;
CREATE TABLE hdb_catalog.hdb_version (hasura_uuid uuid PRIMARY KEY, version text NOT NULL, upgraded_on timestamptz NOT NULL,
  cli_state jsonb NOT NULL DEFAULT '{}', console_state jsonb NOT NULL DEFAULT '{}');
INSERT INTO hdb_catalog.hdb_version VALUES ('6f1b4fd6-4a4f-4b42-9b39-1d0b2a1f0c11', '48', now(), '`+strings.ReplaceAll(hasuraState, "\n", "")+`', '{}');`)
	srv := testenv.Start(t, db)
	st := serverCatalogState(t, srv)
	if st["id"] != "6f1b4fd6-4a4f-4b42-9b39-1d0b2a1f0c11" {
		t.Errorf("id = %v", st["id"])
	}
	if !strings.Contains(mustJSON(st["cli_state"]), `"1700000000002":false`) {
		t.Errorf("cli_state = %v", st["cli_state"])
	}
	srv.Metadata(map[string]any{"type": "set_catalog_state", "args": map[string]any{"type": "console", "state": map[string]any{"x": 1}}})
	r := srv.RunSQL("SELECT console_state::text FROM hdb_catalog.hdb_version")
	if !strings.Contains(string(r.Body), `{\"x\": 1}`) {
		t.Errorf("hdb_version not written: %s", r.Body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCLIMigrateOnHasuraServer: a server that, like Hasura, refuses catalog
// state ops on /v2/query gets the SQL there and the version through
// /v1/metadata set_catalog_state, as Hasura's CLI sends them.
func TestCLIMigrateOnHasuraServer(t *testing.T) {
	srv, dir, env := project(t)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused, stateSets int
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v2/query" && strings.Contains(string(body), "catalog_state") {
			refused++
			http.Error(w, `{"code":"parse-failed","error":"unknown type","path":"$"}`, http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/v1/metadata" && strings.Contains(string(body), "set_catalog_state") {
			stateSets++
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	writeFile(t, filepath.Join(dir, "migrations/default/1700000000001_a/up.sql"), "CREATE TABLE a (id int);")
	writeFile(t, filepath.Join(dir, "migrations/default/1700000000002_b/up.sql"), "CREATE TABLE b (id int);")
	mustCLI(t, env, "migrate", "apply", "--project", dir, "--endpoint", front.URL)
	if refused == 0 || stateSets != 2 {
		t.Errorf("refused %d /v2/query catalog requests, %d set_catalog_state on /v1/metadata; want >0 and 2", refused, stateSets)
	}
	if !tableExists(t, srv, "a") || !tableExists(t, srv, "b") {
		t.Error("tables not created")
	}
	if got := mustJSON(serverCatalogState(t, srv)["cli_state"]); !strings.Contains(got, `"default":{"1700000000001":false,"1700000000002":false}`) {
		t.Errorf("cli_state = %s", got)
	}
}
