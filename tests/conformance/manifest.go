package conformance

import (
	"encoding/json"
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
	// ExtraKeys names the keys added to entries after the first corpus
	// (FORMAT.md §11); checkExtraKeys refuses a corpus naming one the runner
	// does not implement, rather than silently ignoring it.
	ExtraKeys   map[string]string `json:"extra_keys"`
	Directories []Directory       `json:"directories"`
}

// Directory is one MANIFEST entry: a Python test class, its fixtures and its
// cases. Several entries may share one dir, each with its own fixture.
type Directory struct {
	Dir             string        `json:"dir"`
	FeatureArea     string        `json:"feature_area"`
	Fixture         string        `json:"fixture"`
	SetupScope      string        `json:"setup_scope"`
	Setup           []FixtureFile `json:"setup"`
	Teardown        []FixtureFile `json:"teardown"`
	PerCaseSetup    []FixtureFile `json:"per_case_setup"`
	PerCaseTeardown []FixtureFile `json:"per_case_teardown"`
	Requirements    []string      `json:"requirements"`
	// Admin bodies the Python class builds in code, run around every case
	// after (setup) or before (teardown) the per-case files.
	InlinePerCaseSetup    []InlineRequest `json:"inline_per_case_setup"`
	InlinePerCaseTeardown []InlineRequest `json:"inline_per_case_teardown"`
	Cases                 []CaseEntry     `json:"cases"`
}

// setupScopePerCase marks directories (fixture B) whose whole setup and
// teardown runs around every case; those get a fresh database per case.
// "per_case (inline)" is not one of them: its classes only add and clear a
// remote schema around each case, on the class's database.
const setupScopePerCase = "per_case"

// FixtureFile is one admin API body posted as is to Endpoint. File is
// relative to the entry's dir and may climb out of it ("../setup.yaml").
type FixtureFile struct {
	File     string `json:"file"`
	Endpoint string `json:"endpoint"`
}

// InlineRequest is an admin body given in MANIFEST itself rather than in a
// file. Status is the one wanted, 200 when absent.
type InlineRequest struct {
	Endpoint string          `json:"endpoint"`
	Body     json.RawMessage `json:"body"`
	Status   *int            `json:"status"`
}

// PreFile is an admin file of the entry's dir posted before a case.
type PreFile struct {
	File         string `json:"file"`
	Endpoint     string `json:"endpoint"`
	ExpectStatus *int   `json:"expect_status"`
}

// PreRequest is a GraphQL request the Python test sends (as admin) before
// the case file.
type PreRequest struct {
	URL    string          `json:"url"`
	Status *int            `json:"status"`
	Query  json.RawMessage `json:"query"`
}

// AdminBodySpec says where a case file that is one bare admin body goes and
// what it must answer: Status, and the top-level error Code when given.
type AdminBodySpec struct {
	Endpoint string `json:"endpoint"`
	Status   int    `json:"status"`
	Code     string `json:"code"`
}

// CaseEntry is one case file of an entry with what runs around it.
type CaseEntry struct {
	File       string   `json:"file"`
	Steps      int      `json:"steps"`
	URLs       []string `json:"urls"`
	Transports []string `json:"transports"`
	Stateful   bool     `json:"stateful"`
	Usage      string   `json:"usage"`
	Notes      []string `json:"notes"`
	Helpers    []string `json:"helpers"`

	PreFiles           []PreFile       `json:"pre_files"`
	PreRequests        []PreRequest    `json:"pre_requests"`
	InlinePreRequests  []InlineRequest `json:"inline_pre_requests"`
	InlinePostRequests []InlineRequest `json:"inline_post_requests"`
	// Pointers tell "absent" (the entry's apply) from "given" (they replace
	// the entry's, even when empty).
	InlinePerCaseSetup    *[]InlineRequest `json:"inline_per_case_setup"`
	InlinePerCaseTeardown *[]InlineRequest `json:"inline_per_case_teardown"`
	AdminBody             *AdminBodySpec   `json:"admin_body"`
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

// knownExtraKeys are the FORMAT.md §11 keys this runner implements.
var knownExtraKeys = map[string]bool{
	"helpers": true, "requirements": true, "admin_body": true,
	"pre_requests": true, "pre_files": true,
	"inline_per_case_setup": true, "inline_per_case_teardown": true,
	"inline_pre_requests": true, "inline_post_requests": true,
}

// checkExtraKeys fails on an extra key (MANIFEST lists several in one name,
// separated by " / ") that the runner does not know: running a case without
// what that key asks for would report a meaningless result.
func (m *Manifest) checkExtraKeys() error {
	for name := range m.ExtraKeys {
		for _, key := range strings.Split(name, "/") {
			if key = strings.TrimSpace(key); !knownExtraKeys[key] {
				return fmt.Errorf("MANIFEST extra key %q is not implemented by the runner", key)
			}
		}
	}
	return nil
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
	if err := m.checkExtraKeys(); err != nil {
		return nil, err
	}
	return &m, nil
}
