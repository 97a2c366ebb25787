package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
)

// suiteDir is a MANIFEST directory with every file already loaded, so a
// broken corpus file stops the run before any server starts.
type suiteDir struct {
	Directory
	setup, teardown               []fixtureBody
	perCaseSetup, perCaseTeardown []fixtureBody
	cases                         []suiteCase
}

// fixtureBody is a loaded fixture file and the endpoint it goes to.
type fixtureBody struct {
	file     string
	endpoint string
	body     json.RawMessage
}

// suiteCase is one case file with its steps and its global position in
// MANIFEST order (which decides the deterministic X-Hasura-Role: admin).
type suiteCase struct {
	CaseEntry
	dir   string
	index int
	steps []Step
}

func (c suiteCase) name() string { return c.dir + "/" + c.File }

// loadSuite loads every fixture and case file that MANIFEST lists. filter,
// when non-empty, keeps only directories whose path contains it.
func loadSuite(corpus string, m *Manifest, filter string) ([]suiteDir, error) {
	var dirs []suiteDir
	index := 0
	for _, d := range m.Directories {
		selected := filter == "" || strings.Contains(d.Dir, filter)
		sd := suiteDir{Directory: d}
		var err error
		if sd.setup, err = loadFixtures(corpus, d.Dir, d.Setup); err != nil {
			return nil, err
		}
		if sd.teardown, err = loadFixtures(corpus, d.Dir, d.Teardown); err != nil {
			return nil, err
		}
		if sd.perCaseSetup, err = loadFixtures(corpus, d.Dir, d.PerCaseSetup); err != nil {
			return nil, err
		}
		if sd.perCaseTeardown, err = loadFixtures(corpus, d.Dir, d.PerCaseTeardown); err != nil {
			return nil, err
		}
		for _, c := range d.Cases {
			steps, err := loadCase(corpus, d.Dir, c.File)
			if err != nil {
				return nil, err
			}
			if c.Steps != 0 && c.Steps != len(steps) {
				return nil, fmt.Errorf("%s/%s: MANIFEST says %d steps, the file has %d", d.Dir, c.File, c.Steps, len(steps))
			}
			sd.cases = append(sd.cases, suiteCase{CaseEntry: c, dir: d.Dir, index: index, steps: steps})
			index++
		}
		if selected {
			dirs = append(dirs, sd)
		}
	}
	return dirs, nil
}

func loadFixtures(corpus, dir string, files []FixtureFile) ([]fixtureBody, error) {
	out := make([]fixtureBody, 0, len(files))
	for _, f := range files {
		body, err := loadFixture(corpus, dir, f)
		if err != nil {
			return nil, err
		}
		if f.Endpoint == "" {
			return nil, fmt.Errorf("%s/%s: MANIFEST gives no endpoint", dir, f.File)
		}
		out = append(out, fixtureBody{file: f.File, endpoint: f.Endpoint, body: body})
	}
	return out, nil
}
