package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// clearDBFile is posted to /v2/query after every database reset, as the
// Python suite does when it starts: it creates schema hge_tests, which some
// setups use (FORMAT.md §11).
const clearDBFile = "queries/clear_db.yaml"

// suiteDir is a MANIFEST entry with every file already loaded, so a broken
// corpus file stops the run before any server starts.
type suiteDir struct {
	Directory
	index           int // position in MANIFEST, which names its databases and logs
	setup, teardown []fixtureBody
	perCaseSetup    []fixtureBody // the files of per_case_setup
	perCaseTeardown []fixtureBody
	cases           []suiteCase
}

// fixtureBody is one admin (or, before a case, GraphQL) request posted with
// the admin secret alone, and the status it must answer.
type fixtureBody struct {
	file     string // the file, or what the request is for when it has none
	endpoint string
	body     json.RawMessage
	status   int
}

// suiteCase is one case with its steps, what runs around it, and its global
// position in MANIFEST order (which decides the deterministic X-Hasura-Role: admin).
type suiteCase struct {
	CaseEntry
	dir   string
	index int
	steps []Step
	// setup and teardown run around each transport's run of the case:
	// the entry's per-case files plus the inline bodies (the case's own
	// replacing the entry's); before and after run right around the steps.
	setup, teardown []fixtureBody
	before, after   []fixtureBody
	inconsistent    *inconsistentTest
}

func (c suiteCase) name() string { return c.dir + "/" + c.File }

// suite is the loaded corpus: the selected entries and the database reset.
type suite struct {
	dirs    []suiteDir
	clearDB fixtureBody
}

// helperCases counts the selected cases that need a helper server.
func (s *suite) helperCases() int {
	n := 0
	for _, d := range s.dirs {
		for _, c := range d.cases {
			if len(c.Helpers) > 0 {
				n++
			}
		}
	}
	return n
}

// loadSuite loads every fixture and case file that MANIFEST lists. filter,
// when non-empty, keeps only entries whose dir contains it; every entry is
// loaded anyway, so a filtered run still validates the whole corpus.
func loadSuite(corpus string, m *Manifest, filter string) (*suite, error) {
	body, err := loadFixture(corpus, ".", clearDBFile)
	if err != nil {
		return nil, err
	}
	s := &suite{clearDB: fixtureBody{file: clearDBFile, endpoint: "/v2/query", body: body, status: http.StatusOK}}
	index := 0
	for n, d := range m.Directories {
		sd, err := loadDir(corpus, n, d, &index)
		if err != nil {
			return nil, err
		}
		if filter == "" || strings.Contains(d.Dir, filter) {
			s.dirs = append(s.dirs, sd)
		}
	}
	return s, nil
}

// loadDir loads one entry; index counts cases across entries.
func loadDir(corpus string, n int, d Directory, index *int) (suiteDir, error) {
	sd := suiteDir{Directory: d, index: n}
	var err error
	if sd.setup, err = loadFixtures(corpus, d.Dir, d.Setup); err != nil {
		return sd, err
	}
	if sd.teardown, err = loadFixtures(corpus, d.Dir, d.Teardown); err != nil {
		return sd, err
	}
	if sd.perCaseSetup, err = loadFixtures(corpus, d.Dir, d.PerCaseSetup); err != nil {
		return sd, err
	}
	if sd.perCaseTeardown, err = loadFixtures(corpus, d.Dir, d.PerCaseTeardown); err != nil {
		return sd, err
	}
	for _, c := range d.Cases {
		sc, err := loadSuiteCase(corpus, sd, c)
		if err != nil {
			return sd, fmt.Errorf("%s/%s: %w", d.Dir, c.File, err)
		}
		sc.index = *index
		*index++
		sd.cases = append(sd.cases, sc)
	}
	return sd, nil
}

func loadSuiteCase(corpus string, d suiteDir, c CaseEntry) (suiteCase, error) {
	f, err := loadCase(corpus, d.Dir, c)
	if err != nil {
		return suiteCase{}, err
	}
	if c.Steps != 0 && c.Steps != len(f.steps) {
		return suiteCase{}, fmt.Errorf("MANIFEST says %d steps, the file has %d", c.Steps, len(f.steps))
	}
	sc := suiteCase{CaseEntry: c, dir: d.Dir, steps: f.steps, inconsistent: f.inconsistent}
	setupInline, teardownInline := d.InlinePerCaseSetup, d.InlinePerCaseTeardown
	if c.InlinePerCaseSetup != nil {
		setupInline = *c.InlinePerCaseSetup
	}
	if c.InlinePerCaseTeardown != nil {
		teardownInline = *c.InlinePerCaseTeardown
	}
	inSetup, err := inlineFixtures("inline per-case setup", setupInline)
	if err != nil {
		return sc, err
	}
	inTeardown, err := inlineFixtures("inline per-case teardown", teardownInline)
	if err != nil {
		return sc, err
	}
	// Nested like fixtures: the files first and last, the inline bodies
	// (which may use what the files created) inside them.
	sc.setup = append(append([]fixtureBody{}, d.perCaseSetup...), inSetup...)
	sc.teardown = append(inTeardown, d.perCaseTeardown...)

	for _, p := range c.PreFiles {
		body, err := loadFixture(corpus, d.Dir, p.File)
		if err != nil {
			return sc, err
		}
		sc.before = append(sc.before, fixtureBody{file: p.File, endpoint: p.Endpoint, body: body, status: statusOr200(p.ExpectStatus)})
	}
	for i, p := range c.PreRequests {
		if p.URL == "" || len(p.Query) == 0 {
			return sc, fmt.Errorf("pre_requests[%d] needs url and query", i)
		}
		sc.before = append(sc.before, fixtureBody{file: fmt.Sprintf("pre_requests[%d]", i), endpoint: p.URL, body: p.Query, status: statusOr200(p.Status)})
	}
	pre, err := inlineFixtures("inline_pre_requests", c.InlinePreRequests)
	if err != nil {
		return sc, err
	}
	sc.before = append(sc.before, pre...)
	if sc.after, err = inlineFixtures("inline_post_requests", c.InlinePostRequests); err != nil {
		return sc, err
	}
	return sc, nil
}

func statusOr200(status *int) int {
	if status == nil {
		return http.StatusOK
	}
	return *status
}

func loadFixtures(corpus, dir string, files []FixtureFile) ([]fixtureBody, error) {
	out := make([]fixtureBody, 0, len(files))
	for _, f := range files {
		body, err := loadFixture(corpus, dir, f.File)
		if err != nil {
			return nil, err
		}
		if f.Endpoint == "" {
			return nil, fmt.Errorf("%s/%s: MANIFEST gives no endpoint", dir, f.File)
		}
		out = append(out, fixtureBody{file: f.File, endpoint: f.Endpoint, body: body, status: http.StatusOK})
	}
	return out, nil
}

// inlineFixtures turns MANIFEST's inline bodies into requests, named by
// what and their position for the report.
func inlineFixtures(what string, reqs []InlineRequest) ([]fixtureBody, error) {
	out := make([]fixtureBody, 0, len(reqs))
	for i, r := range reqs {
		name := fmt.Sprintf("%s[%d]", what, i)
		if r.Endpoint == "" || len(r.Body) == 0 {
			return nil, fmt.Errorf("%s needs endpoint and body", name)
		}
		out = append(out, fixtureBody{file: name, endpoint: r.Endpoint, body: r.Body, status: statusOr200(r.Status)})
	}
	return out, nil
}
