package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Manifest is the part of the corpus MANIFEST.json the runner needs.
type Manifest struct {
	Counts struct {
		Directories int `json:"directories"`
		Cases       int `json:"cases"`
		Steps       int `json:"steps"`
	} `json:"counts"`
	Directories []Directory `json:"directories"`
}

// Directory is one test class: its fixtures and its cases.
type Directory struct {
	Dir             string        `json:"dir"`
	FeatureArea     string        `json:"feature_area"`
	Fixture         string        `json:"fixture"`
	SetupScope      string        `json:"setup_scope"`
	Setup           []FixtureFile `json:"setup"`
	Teardown        []FixtureFile `json:"teardown"`
	PerCaseSetup    []FixtureFile `json:"per_case_setup"`
	PerCaseTeardown []FixtureFile `json:"per_case_teardown"`
	Cases           []CaseEntry   `json:"cases"`
}

// setupScopePerCase marks directories (fixture B) whose whole setup and
// teardown runs around every case; those get a fresh database per case.
const setupScopePerCase = "per_case"

// FixtureFile is one admin API body posted as is to Endpoint.
type FixtureFile struct {
	File     string `json:"file"`
	Endpoint string `json:"endpoint"`
}

// CaseEntry is one case file of a directory.
type CaseEntry struct {
	File       string   `json:"file"`
	Steps      int      `json:"steps"`
	URLs       []string `json:"urls"`
	Transports []string `json:"transports"`
	Stateful   bool     `json:"stateful"`
	Notes      []string `json:"notes"`
}

// unorderedKeysNote is the MANIFEST note on cases whose expected objects come
// from an older revision and are not in selection-set order.
const unorderedKeysNote = "expected object keys are not in selection-set order"

// oldKeyOrder reports whether MANIFEST flags the case's expected key order as
// unreliable, so the strict-order mode must not check it.
func (c CaseEntry) oldKeyOrder() bool {
	for _, n := range c.Notes {
		if strings.Contains(n, unorderedKeysNote) {
			return true
		}
	}
	return false
}

// Step is one request of a case with its expectations.
type Step struct {
	Description string
	URL         string
	Status      int
	Headers     map[string]string
	Query       json.RawMessage // request body, key order as in the YAML
	Response    json.RawMessage // nil when the step only checks the status
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

// locateCorpus finds the corpus: $CONFORMANCE_CORPUS, else
// <repo root>/../shared/conformance/hasura.
func locateCorpus(repoRoot string) (string, error) {
	dir := os.Getenv("CONFORMANCE_CORPUS")
	if dir == "" {
		dir = filepath.Join(repoRoot, "..", "shared", "conformance", "hasura")
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.json")); err != nil {
		return "", fmt.Errorf("conformance corpus not found (set CONFORMANCE_CORPUS): %w", err)
	}
	return filepath.Clean(dir), nil
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

func loadManifest(corpus string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.json"))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	return &m, nil
}

// loadFixture reads a fixture file as the JSON body to post.
func loadFixture(corpus, dir string, f FixtureFile) (json.RawMessage, error) {
	path := filepath.Join(corpus, dir, f.File)
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	body, err := yamlToJSON(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return body, nil
}

// loadCase reads a case file: one step mapping or a list of them.
func loadCase(corpus, dir, file string) ([]Step, error) {
	path := filepath.Join(corpus, dir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read case: %w", err)
	}
	doc, err := yamlToJSON(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raws []rawStep
	if trimmed := strings.TrimSpace(string(doc)); strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(doc, &raws)
	} else {
		raws = make([]rawStep, 1)
		err = json.Unmarshal(doc, &raws[0])
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a step or a list of steps: %w", path, err)
	}
	steps := make([]Step, 0, len(raws))
	for i, r := range raws {
		s, err := r.toStep()
		if err != nil {
			return nil, fmt.Errorf("%s step %d: %w", path, i, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
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
	// an explicit null means "status only" as well.
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
