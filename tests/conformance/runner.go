package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// runner runs the corpus directory by directory against fresh graft processes.
type runner struct {
	db          *dbAdmin
	bin         string
	secret      string
	redisURL    string
	logDir      string
	strictOrder bool
}

// caseResult is the verdict on one case.
type caseResult struct {
	c        suiteCase
	area     string
	reason   string // why it failed; "" when it passed
	steps    []stepFailure
	warnings []string
	logPath  string
}

func (r caseResult) passed() bool { return r.reason == "" }

// testEnv is one graft process on its own fresh databases.
type testEnv struct {
	proc    *graftProcess
	client  *graftClient
	dbNames []string
}

// runDirectory runs every case of d and returns one result per case.
func (r *runner) runDirectory(ctx context.Context, n int, d suiteDir) []caseResult {
	if d.SetupScope == setupScopePerCase {
		results := make([]caseResult, 0, len(d.cases))
		for i, c := range d.cases {
			results = append(results, r.runIsolatedCase(ctx, fmt.Sprintf("%d_%d", n, i), d, c))
		}
		return results
	}
	env, err := r.startEnv(ctx, fmt.Sprint(n))
	if err != nil {
		return failAll(d, d.cases, startFailure(d.Dir, err), "")
	}
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return failAll(d, d.cases, "setup failed: "+err.Error(), env.proc.logPath)
	}
	cases := d.cases
	if len(d.perCaseSetup) == 0 {
		cases = statefulLast(cases)
	}
	results := make([]caseResult, 0, len(cases))
	for i, c := range cases {
		if env.proc.exited() {
			return append(results, failAll(d, cases[i:], "graft exited", env.proc.logPath)...)
		}
		results = append(results, r.runCase(ctx, env, d, c))
	}
	// Teardown failures do not matter: the database is dropped next (FORMAT.md §9).
	_ = postFixtures(ctx, env.client, d.teardown)
	return results
}

// statefulLast moves cases that change the database behind the others, as
// FORMAT.md §8 advises for directories without a per-case reset; the order
// is otherwise kept.
func statefulLast(cases []suiteCase) []suiteCase {
	out := make([]suiteCase, 0, len(cases))
	for _, c := range cases {
		if !c.Stateful {
			out = append(out, c)
		}
	}
	for _, c := range cases {
		if c.Stateful {
			out = append(out, c)
		}
	}
	return out
}

// runIsolatedCase gives a per_case directory's case its own databases and
// graft process, with the directory setup before it and teardown after it.
func (r *runner) runIsolatedCase(ctx context.Context, label string, d suiteDir, c suiteCase) caseResult {
	env, err := r.startEnv(ctx, label)
	if err != nil {
		return failAll(d, []suiteCase{c}, startFailure(c.name(), err), "")[0]
	}
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return failAll(d, []suiteCase{c}, "setup failed: "+err.Error(), env.proc.logPath)[0]
	}
	res := r.runCase(ctx, env, d, c)
	_ = postFixtures(ctx, env.client, d.teardown)
	return res
}

// runCase runs one case between its per-case setup and teardown.
func (r *runner) runCase(ctx context.Context, env *testEnv, d suiteDir, c suiteCase) caseResult {
	res := caseResult{c: c, area: d.FeatureArea, logPath: env.proc.logPath}
	if err := postFixtures(ctx, env.client, d.perCaseSetup); err != nil {
		res.reason = "per-case setup failed: " + err.Error()
		return res
	}
	r.runSteps(ctx, env.client, &res)
	// The harness requires 200 here too; a failing values teardown would
	// also leave the next case with the wrong rows.
	if err := postFixtures(ctx, env.client, d.perCaseTeardown); err != nil && res.passed() {
		res.reason = "per-case teardown failed: " + err.Error()
	}
	if env.proc.exited() {
		res.reason = strings.TrimPrefix(res.reason+"; graft exited", "; ")
	}
	return res
}

// runSteps runs the steps in order and stops at the first failing one, as
// the harness's assertion does; later steps build on earlier ones.
func (r *runner) runSteps(ctx context.Context, client *graftClient, res *caseResult) {
	strict := r.strictOrder && !res.c.oldKeyOrder()
	for i, step := range res.c.steps {
		headers := cloneHeaders(step.Headers)
		if len(headers) == 0 && res.c.index%2 == 1 {
			// The harness adds this at random half the time; alternating
			// keeps runs reproducible while still covering both forms.
			headers["X-Hasura-Role"] = "admin"
		}
		f := stepFailure{index: i, step: step, headers: headers}
		f.reasons = client.checkSecretRequired(ctx, step)
		headers[adminSecretHdr] = client.secret
		got, err := client.post(ctx, step.URL, step.Query, headers)
		if err != nil {
			f.reasons = append(f.reasons, err.Error())
		} else {
			f.actualStatus, f.actualBody = got.status, got.body
			if got.status != step.Status {
				f.reasons = append(f.reasons, fmt.Sprintf("status: expected %d, got %d", step.Status, got.status))
			}
			if step.Response != nil {
				cmp := compareResponse(step.Response, got.body, strict)
				f.reasons = append(f.reasons, cmp.failures...)
				for _, w := range cmp.warnings {
					res.warnings = append(res.warnings, fmt.Sprintf("step %d: %s", i, w))
				}
			}
		}
		if len(f.reasons) > 0 {
			res.steps = append(res.steps, f)
			res.reason = fmt.Sprintf("step %d: %s", i, f.reasons[0])
			return
		}
	}
}

// stepFailure records one failed step for the report.
type stepFailure struct {
	index        int
	step         Step
	headers      map[string]string // as sent, admin secret included
	actualStatus int
	actualBody   []byte
	reasons      []string
}

func postFixtures(ctx context.Context, client *graftClient, fixtures []fixtureBody) error {
	for _, f := range fixtures {
		if err := client.postAdmin(ctx, f.endpoint, f.body); err != nil {
			return fmt.Errorf("%s: %w", f.file, err)
		}
	}
	return nil
}

// startFailure prints the whole start error (it quotes the log tail) once
// and returns its first line as the reason for each affected case.
func startFailure(what string, err error) string {
	fmt.Printf("conformance: graft failed to start for %s: %v\n", what, err)
	first, _, _ := strings.Cut(err.Error(), "\n")
	return "graft failed to start: " + first
}

func failAll(d suiteDir, cases []suiteCase, reason, logPath string) []caseResult {
	out := make([]caseResult, len(cases))
	for i, c := range cases {
		out[i] = caseResult{c: c, area: d.FeatureArea, reason: reason, logPath: logPath}
	}
	return out
}

// startEnv creates the databases graft_conf_<label> (main, with PostGIS) and
// graft_conf_<label>_src1 (the second source) and starts graft on them.
func (r *runner) startEnv(ctx context.Context, label string) (*testEnv, error) {
	env := &testEnv{}
	mainDB, srcDB := dbPrefix+label, dbPrefix+label+"_src1"
	env.dbNames = []string{mainDB, srcDB}
	mainURL, err := r.db.createDatabase(ctx, mainDB, true)
	if err != nil {
		return nil, err
	}
	srcURL, err := r.db.createDatabase(ctx, srcDB, false)
	if err != nil {
		r.dropDatabases(ctx, env.dbNames)
		return nil, err
	}
	proc, err := startGraft(ctx, graftConfig{
		bin:       r.bin,
		dbURL:     mainURL,
		sourceURL: srcURL,
		secret:    r.secret,
		redisURL:  r.redisURL,
		logPath:   filepath.Join(r.logDir, "graft-"+label+".log"),
	})
	if err != nil {
		r.dropDatabases(ctx, env.dbNames)
		return nil, err
	}
	env.proc = proc
	env.client = newGraftClient(proc.baseURL, r.secret)
	return env, nil
}

func (r *runner) stopEnv(ctx context.Context, env *testEnv) {
	env.proc.stop()
	r.dropDatabases(ctx, env.dbNames)
}

// dropDatabases is best effort: a leftover is dropped again when its name
// is next used, so a failure here must not fail the run.
func (r *runner) dropDatabases(ctx context.Context, names []string) {
	// Clean up even when the run's deadline has passed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, name := range names {
		_ = r.db.dropDatabase(ctx, name)
	}
}
