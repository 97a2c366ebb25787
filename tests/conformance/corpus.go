package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Step is one request of a case with its expectations.
type Step struct {
	Description string
	URL         string
	Status      int
	Headers     map[string]string
	Query       json.RawMessage // request body, key order as in the YAML
	Response    json.RawMessage // nil when the step only checks the status
	// adminBody marks a case file that is one bare admin body: the Python
	// test posts it with the admin secret alone (no unauthenticated
	// attempts) and checks the status and, when wantCode is set, the
	// top-level error code.
	adminBody bool
	wantCode  string
}

// rawStep mirrors a step mapping of a case file after YAML -> JSON.
type rawStep struct {
	Description  string                     `json:"description"`
	Descriptions string                     `json:"descriptions"`
	URL          string                     `json:"url"`
	Status       *int                       `json:"status"`
	Headers      map[string]json.RawMessage `json:"headers"`
	Query        json.RawMessage            `json:"query"`
	Response     json.RawMessage            `json:"response"`
}

// inconsistentTest is the Python-driven test.yaml of queries/inconsistent_objects:
// not steps, but the inputs of TestInconsistentObjects (see inconsistent.go).
type inconsistentTest struct {
	Setup    json.RawMessage `json:"setup"`
	SQL      string          `json:"sql"`
	Objects  json.RawMessage `json:"inconsistent_objects"`
	Teardown json.RawMessage `json:"teardown"`
}

// caseFile is a loaded case file: steps, and for the Python-driven
// inconsistent-objects test also its inputs.
type caseFile struct {
	steps        []Step
	inconsistent *inconsistentTest
}

// Corpus verdicts: what the suite does about the corpus it looked for.
type corpusVerdict int

const (
	corpusFound corpusVerdict = iota
	corpusSkip                // absent outside CI: skipped, with one loud line
	corpusFail                // absent with CI=true: a failure, never a silent pass
)

// corpusDecision looks for the corpus at $CONFORMANCE_CORPUS, else at
// <repo root>/../shared/conformance/hasura, and decides what to do: a
// developer without the corpus gets a skip, CI (CI=true) a failure, since
// a CI run that skipped the suite would look like a green one. msg is the
// line to print when the corpus is absent.
func corpusDecision(getenv func(string) string, repoRoot string) (dir string, verdict corpusVerdict, msg string) {
	dir = getenv("CONFORMANCE_CORPUS")
	if dir == "" {
		dir = filepath.Join(repoRoot, "..", "shared", "conformance", "hasura")
	}
	dir = filepath.Clean(dir)
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.json")); err == nil {
		return dir, corpusFound, ""
	}
	const hint = "set CONFORMANCE_CORPUS=<dir of Hasura's tests-py corpus> to run it"
	if getenv("CI") == "true" {
		return dir, corpusFail, fmt.Sprintf("conformance: FAILED: corpus not found at %s (no MANIFEST.json) and CI=true; %s", dir, hint)
	}
	return dir, corpusSkip, fmt.Sprintf("conformance: SKIPPED: corpus not found at %s; %s", dir, hint)
}

// findRepoRoot walks up from the working directory to the directory holding go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// loadFixture reads a fixture file as the JSON body to post.
func loadFixture(corpus, dir, file string) (json.RawMessage, error) {
	path := filepath.Join(corpus, dir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	body, err := yamlToJSON(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return substituteHarnessVars(body), nil
}

// loadCase reads a case file: one step mapping or a list of them; a bare
// admin body (FORMAT.md §11, shaped by the entry's admin_body); or the
// inconsistent-objects test.
func loadCase(corpus, dir string, c CaseEntry) (caseFile, error) {
	path := filepath.Join(corpus, dir, c.File)
	src, err := os.ReadFile(path)
	if err != nil {
		return caseFile{}, fmt.Errorf("read case: %w", err)
	}
	doc, err := yamlToJSON(src)
	if err != nil {
		return caseFile{}, fmt.Errorf("%s: %w", path, err)
	}
	doc = substituteHarnessVars(doc)
	var raws []rawStep
	if trimmed := strings.TrimSpace(string(doc)); strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(doc, &raws)
	} else {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(doc, &top); err != nil {
			return caseFile{}, fmt.Errorf("%s: not a mapping or a list of steps: %w", path, err)
		}
		switch {
		case top["url"] == nil && top["type"] != nil:
			return caseFile{steps: []Step{adminBodyStep(doc, c.AdminBody)}}, nil
		case top["url"] == nil && top["inconsistent_objects"] != nil:
			return loadInconsistent(path, doc)
		}
		raws = make([]rawStep, 1)
		err = json.Unmarshal(doc, &raws[0])
	}
	if err != nil {
		return caseFile{}, fmt.Errorf("%s: not a step or a list of steps: %w", path, err)
	}
	steps := make([]Step, 0, len(raws))
	for i, r := range raws {
		s, err := r.toStep()
		if err != nil {
			return caseFile{}, fmt.Errorf("%s step %d: %w", path, i, err)
		}
		steps = append(steps, s)
	}
	return caseFile{steps: steps}, nil
}

// adminBodyStep makes the one step of a bare admin body case: posted to
// spec's endpoint wanting its status and code, or without a spec to
// /v1/metadata wanting 200 (FORMAT.md §11).
func adminBodyStep(body json.RawMessage, spec *AdminBodySpec) Step {
	s := Step{URL: "/v1/metadata", Status: 200, Headers: map[string]string{}, Query: body, adminBody: true}
	if spec != nil {
		s.URL, s.Status, s.wantCode = spec.Endpoint, spec.Status, spec.Code
	}
	s.Description = "bare admin body"
	return s
}

// loadInconsistent reads the inconsistent-objects test. Its one pseudo step
// (the setup post) stands for the whole test in counts and in the report.
func loadInconsistent(path string, doc json.RawMessage) (caseFile, error) {
	var t inconsistentTest
	if err := json.Unmarshal(doc, &t); err != nil {
		return caseFile{}, fmt.Errorf("%s: inconsistent-objects test: %w", path, err)
	}
	if len(t.Setup) == 0 || t.SQL == "" || len(t.Teardown) == 0 {
		return caseFile{}, fmt.Errorf("%s: inconsistent-objects test needs setup, sql and teardown", path)
	}
	step := Step{
		Description: "inconsistent objects (Python-driven)",
		URL:         "/v1/query",
		Status:      200,
		Headers:     map[string]string{},
		Query:       t.Setup,
		adminBody:   true,
	}
	return caseFile{steps: []Step{step}, inconsistent: &t}, nil
}

func (r rawStep) toStep() (Step, error) {
	switch {
	case r.URL == "":
		return Step{}, errors.New("missing url")
	case r.Status == nil:
		return Step{}, errors.New("missing status")
	case len(r.Query) == 0 || string(r.Query) == "null":
		return Step{}, errors.New("missing query")
	}
	s := Step{
		Description: r.Description,
		URL:         r.URL,
		Status:      *r.Status,
		Headers:     map[string]string{},
		Query:       r.Query,
	}
	if s.Description == "" {
		s.Description = r.Descriptions
	}
	// The Python harness checks the body only when `response` is truthy;
	// an explicit null means "status only" as well. Misspelt keys
	// (`reponse`, `responose` in a few files) are ignored as it ignores them.
	if len(r.Response) > 0 && string(r.Response) != "null" {
		s.Response = r.Response
	}
	for k, v := range r.Headers {
		s.Headers[k] = headerValue(v)
	}
	return s, nil
}

// headerValue stringifies a header value the way Python's str() does, so
// `2` and `'2'` send the same header.
func headerValue(raw json.RawMessage) string {
	text := strings.TrimSpace(string(raw))
	var str string
	if strings.HasPrefix(text, `"`) && json.Unmarshal(raw, &str) == nil {
		return str
	}
	switch text {
	case "true":
		return "True"
	case "false":
		return "False"
	case "null":
		return "None"
	default:
		return text // a number as written in the YAML
	}
}
