package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCorpusDecision(t *testing.T) {
	withCorpus := t.TempDir()
	if err := os.WriteFile(filepath.Join(withCorpus, "MANIFEST.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The default place is <repo>/../shared/conformance/hasura.
	parent := t.TempDir()
	repo := filepath.Join(parent, "main")
	defaultDir := filepath.Join(parent, "shared", "conformance", "hasura")
	if err := os.MkdirAll(defaultDir, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")

	tests := []struct {
		name        string
		env         map[string]string
		repo        string
		withDefault bool // MANIFEST.json at the default place
		wantDir     string
		want        corpusVerdict
	}{
		{"env names the corpus", map[string]string{"CONFORMANCE_CORPUS": withCorpus}, repo, false, withCorpus, corpusFound},
		{"default place", nil, repo, true, defaultDir, corpusFound},
		{"absent locally: skip", nil, repo, false, defaultDir, corpusSkip},
		{"absent in CI: fail", map[string]string{"CI": "true"}, repo, false, defaultDir, corpusFail},
		{"CI other than true: skip", map[string]string{"CI": "1"}, repo, false, defaultDir, corpusSkip},
		{"env wins over the default place, even when absent", map[string]string{"CONFORMANCE_CORPUS": missing}, repo, true, missing, corpusSkip},
		{"env absent in CI: fail", map[string]string{"CONFORMANCE_CORPUS": missing, "CI": "true"}, repo, true, missing, corpusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := filepath.Join(defaultDir, "MANIFEST.json")
			_ = os.Remove(manifest)
			if tt.withDefault {
				if err := os.WriteFile(manifest, []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dir, verdict, msg := corpusDecision(func(k string) string { return tt.env[k] }, tt.repo)
			if dir != tt.wantDir || verdict != tt.want {
				t.Fatalf("got %s, verdict %d; want %s, verdict %d", dir, verdict, tt.wantDir, tt.want)
			}
			switch verdict {
			case corpusFound:
				if msg != "" {
					t.Errorf("unexpected message %q", msg)
				}
			case corpusSkip, corpusFail:
				word := map[corpusVerdict]string{corpusSkip: "SKIPPED", corpusFail: "FAILED"}[verdict]
				for _, part := range []string{"conformance: " + word, tt.wantDir, "CONFORMANCE_CORPUS="} {
					if !strings.Contains(msg, part) {
						t.Errorf("message %q lacks %q", msg, part)
					}
				}
			}
		})
	}
}

// writeCorpusFile writes a corpus file under dir for the loader tests.
func writeCorpusFile(t *testing.T, corpus, path, text string) {
	t.Helper()
	full := filepath.Join(corpus, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCaseKinds(t *testing.T) {
	corpus := t.TempDir()
	writeCorpusFile(t, corpus, "d/admin.yaml", "type: run_sql\nargs: {sql: select 1}\n")
	writeCorpusFile(t, corpus, "d/incons.yaml", "setup: {type: bulk, args: []}\nsql: drop table a;\ninconsistent_objects: [{type: table}]\nteardown: {type: bulk, args: []}\n")
	writeCorpusFile(t, corpus, "d/remote.yaml", "url: /v1/query\nstatus: 200\nquery: {type: add_remote_schema, args: {url: '${REMOTE_GRAPHQL_ROOT_URL}/hello', tmpl: '{{ENV}}'}}\n")
	writeCorpusFile(t, corpus, "d/nourl.yaml", "status: 200\nquery: {}\n")

	f, err := loadCase(corpus, "d", CaseEntry{File: "admin.yaml", AdminBody: &AdminBodySpec{Endpoint: "/v1/query", Status: 400, Code: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.steps[0]; len(f.steps) != 1 || !s.adminBody || s.URL != "/v1/query" || s.Status != 400 || s.wantCode != "c" || s.Response != nil {
		t.Errorf("admin body with spec: %+v", f.steps)
	}
	f, err = loadCase(corpus, "d", CaseEntry{File: "admin.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if s := f.steps[0]; s.URL != "/v1/metadata" || s.Status != 200 || s.wantCode != "" {
		t.Errorf("admin body without spec: %+v", s)
	}
	f, err = loadCase(corpus, "d", CaseEntry{File: "incons.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if f.inconsistent == nil || f.inconsistent.SQL != "drop table a;" || len(f.steps) != 1 {
		t.Errorf("inconsistent-objects test: %+v", f)
	}
	f, err = loadCase(corpus, "d", CaseEntry{File: "remote.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if q := string(f.steps[0].Query); !strings.Contains(q, `"http://localhost:5000/hello"`) || !strings.Contains(q, `"{{ENV}}"`) {
		t.Errorf("harness variable not substituted, or engine template touched: %s", q)
	}
	if _, err := loadCase(corpus, "d", CaseEntry{File: "nourl.yaml"}); err == nil || !strings.Contains(err.Error(), "missing url") {
		t.Errorf("a step without url must be refused, got %v", err)
	}
}

func TestLoadSuiteCaseInline(t *testing.T) {
	corpus := t.TempDir()
	writeCorpusFile(t, corpus, "d/c.yaml", "url: /v1/query\nstatus: 200\nquery: {type: x}\n")
	writeCorpusFile(t, corpus, "d/pre.yaml", "type: pre_file\n")
	writeCorpusFile(t, corpus, "d/values_setup.yaml", "type: values\n")
	entryInline := []InlineRequest{{Endpoint: "/v1/query", Body: json.RawMessage(`{"type":"entry"}`)}}
	caseInline := []InlineRequest{{Endpoint: "/v1/metadata", Body: json.RawMessage(`{"type":"own"}`)}}
	four := 400
	d := suiteDir{
		Directory:    Directory{Dir: "d", InlinePerCaseSetup: entryInline, InlinePerCaseTeardown: entryInline},
		perCaseSetup: []fixtureBody{{file: "values_setup.yaml", endpoint: "/v1/query", status: 200}},
	}
	c := CaseEntry{
		File:                  "c.yaml",
		InlinePerCaseSetup:    &caseInline,
		PreFiles:              []PreFile{{File: "pre.yaml", Endpoint: "/v1/metadata", ExpectStatus: &four}},
		PreRequests:           []PreRequest{{URL: "/v1/graphql", Query: json.RawMessage(`{"query":"{a}"}`)}},
		InlinePostRequests:    []InlineRequest{{Endpoint: "/v1/query", Body: json.RawMessage(`{}`)}},
		InlinePerCaseTeardown: nil, // absent: the entry's applies
	}
	sc, err := loadSuiteCase(corpus, d, c)
	if err != nil {
		t.Fatal(err)
	}
	names := func(fs []fixtureBody) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.endpoint+" "+string(f.body))
		}
		return out
	}
	if got, want := names(sc.setup), []string{"/v1/query ", `/v1/metadata {"type":"own"}`}; !slices.Equal(got, want) {
		t.Errorf("setup %q, want %q (the case's inline replaces the entry's)", got, want)
	}
	if got, want := names(sc.teardown), []string{`/v1/query {"type":"entry"}`}; !slices.Equal(got, want) {
		t.Errorf("teardown %q, want %q", got, want)
	}
	if len(sc.before) != 2 || sc.before[0].status != 400 || sc.before[1].endpoint != "/v1/graphql" || sc.before[1].status != 200 {
		t.Errorf("before: %+v", sc.before)
	}
	if len(sc.after) != 1 || sc.after[0].status != 200 {
		t.Errorf("after: %+v", sc.after)
	}
}

func TestHelperEnv(t *testing.T) {
	plain := helperEnv(Directory{})
	for _, want := range []string{"ACTION_WEBHOOK_HANDLER=http://127.0.0.1:5593", "REMOTE_SCHEMAS_WEBHOOK_DOMAIN=http://localhost:5000", "GRAPHQL_SERVICE_1=http://localhost:4020"} {
		if !slices.Contains(plain, want) {
			t.Errorf("helper env %v lacks %s", plain, want)
		}
	}
	if slices.Contains(plain, remoteSchemaPermsEnv+"=true") {
		t.Error("remote schema permissions set without the requirement")
	}
	perms := helperEnv(Directory{Requirements: []string{"engine env HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS=true"}})
	if !slices.Contains(perms, remoteSchemaPermsEnv+"=true") {
		t.Errorf("helper env %v lacks remote schema permissions", perms)
	}
}

func TestCheckExtraKeys(t *testing.T) {
	m := &Manifest{ExtraKeys: map[string]string{"helpers": "", "inline_per_case_setup / inline_per_case_teardown / inline_pre_requests": ""}}
	if err := m.checkExtraKeys(); err != nil {
		t.Error(err)
	}
	m.ExtraKeys["post_files"] = ""
	if err := m.checkExtraKeys(); err == nil {
		t.Error("an unknown extra key must be refused")
	}
}
