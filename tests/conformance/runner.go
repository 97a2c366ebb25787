package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// runner runs the corpus entry by entry against fresh graft processes.
type runner struct {
	db          *dbAdmin
	bin         string
	secret      string
	redisURL    string
	logDir      string
	strictOrder bool
	transports  []string    // enabled transports, in supportedTransports order
	clearDB     fixtureBody // posted after every database reset
}

// caseResult is the verdict on one case: it passes only if it passed over
// every transport it ran over.
type caseResult struct {
	c        suiteCase
	area     string
	reason   string // why it failed, naming the transport; "" when it passed
	runs     []transportRun
	warnings []string
	logPath  string
	elapsed  time.Duration // every run of the case, its setup and teardown included
}

func (r caseResult) passed() bool { return r.reason == "" }

// transportRun is the verdict on one case over one transport.
type transportRun struct {
	transport   string
	reason      string // why it failed; "" when it passed
	steps       []stepFailure
	stepsPassed int
	stepsTotal  int // every step of the case; those after a failure count as not passed
}

func (t transportRun) passed() bool { return t.reason == "" }

// setRunsReason fills the case's reason from its first failed run.
func (r *caseResult) setRunsReason() {
	for _, run := range r.runs {
		if !run.passed() {
			r.reason = run.transport + ": " + run.reason
			return
		}
	}
}

// testEnv is one graft process on its own fresh databases.
type testEnv struct {
	proc    *graftProcess
	client  *graftClient
	dbNames []string
	mainURL string // the default source, for SQL the Python tests run directly
	// isolated: the environment serves one case and is thrown away after
	// it, so a failing per-case teardown cannot harm another case.
	isolated bool
}

// runDirectory runs every case of d that has a transport to run over and
// returns one result per such case; an entry without any starts nothing.
func (r *runner) runDirectory(ctx context.Context, d suiteDir) []caseResult {
	var runnable []suiteCase
	for _, c := range d.cases {
		if len(caseTransports(c, r.transports)) > 0 {
			runnable = append(runnable, c)
		}
	}
	if len(runnable) == 0 {
		return nil
	}
	if d.SetupScope == setupScopePerCase {
		results := make([]caseResult, 0, len(runnable))
		for i, c := range runnable {
			results = append(results, r.runIsolatedCase(ctx, fmt.Sprintf("%d_%d", d.index, i), d, c))
		}
		return results
	}
	// A case recorded against a differently configured engine gets its own.
	var results []caseResult
	shared := runnable[:0:0]
	for i, c := range runnable {
		if len(caseEnv(c)) > 0 {
			results = append(results, r.runIsolatedCase(ctx, fmt.Sprintf("%d_env%d", d.index, i), d, c))
		} else {
			shared = append(shared, c)
		}
	}
	if len(shared) == 0 {
		return results
	}
	runnable = shared
	// One graft process for the whole entry, as the per-class fixtures
	// keep one database state for the class.
	env, err := r.startEnv(ctx, fmt.Sprint(d.index), d, nil)
	if err != nil {
		return append(results, r.failAll(d, runnable, startFailure(d.Dir, err), "")...)
	}
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return append(results, r.failAll(d, runnable, "setup failed: "+err.Error(), env.proc.logPath)...)
	}
	cases := runnable
	if !anyPerCaseSetup(cases) {
		cases = statefulLast(cases)
	}
	for i, c := range cases {
		if env.proc.exited() {
			return append(results, r.failAll(d, cases[i:], "graft exited", env.proc.logPath)...)
		}
		results = append(results, r.runCase(ctx, env, d, c))
	}
	// Teardown failures do not matter: the database is dropped next (FORMAT.md §9).
	_ = postFixtures(ctx, env.client, d.teardown)
	return results
}

func anyPerCaseSetup(cases []suiteCase) bool {
	for _, c := range cases {
		if len(c.setup) > 0 {
			return true
		}
	}
	return false
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

// runIsolatedCase gives a per_case entry's case its own databases and graft
// process: its teardowns do not undo everything (FORMAT.md §9), so only a
// fresh database gives the next case what its setup expects.
func (r *runner) runIsolatedCase(ctx context.Context, label string, d suiteDir, c suiteCase) caseResult {
	start := time.Now()
	env, err := r.startEnv(ctx, label, d, caseEnv(c))
	if err != nil {
		return r.failAll(d, []suiteCase{c}, startFailure(c.name(), err), "")[0]
	}
	env.isolated = true
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return r.failAll(d, []suiteCase{c}, "setup failed: "+err.Error(), env.proc.logPath)[0]
	}
	res := r.runCase(ctx, env, d, c)
	res.elapsed = time.Since(start) // the start of graft is part of this case's cost
	return res
}

func postFixtures(ctx context.Context, client *graftClient, fixtures []fixtureBody) error {
	for _, f := range fixtures {
		if _, err := client.postAdmin(ctx, f.endpoint, f.body, f.status); err != nil {
			return fmt.Errorf("%s (POST %s): %w", f.file, f.endpoint, err)
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

// failAll fails every run of cases with one reason, e.g. a failed start.
func (r *runner) failAll(d suiteDir, cases []suiteCase, reason, logPath string) []caseResult {
	out := make([]caseResult, len(cases))
	for i, c := range cases {
		res := caseResult{c: c, area: d.FeatureArea, logPath: logPath}
		for _, t := range caseTransports(c, r.transports) {
			res.runs = append(res.runs, transportRun{transport: t, reason: reason, stepsTotal: len(c.steps)})
		}
		res.setRunsReason()
		if res.reason == "" { // no transport to run over; not reached through runDirectory
			res.reason = reason
		}
		out[i] = res
	}
	return out
}

// startEnv creates the databases graft_conf_<label> (main, with PostGIS) and
// graft_conf_<label>_src1 (the second source, HASURA_GRAPHQL_PG_SOURCE_URL_1),
// starts graft on them with the helper settings d needs, and resets the
// database as the Python suite does when it starts (clear_db.yaml).
func (r *runner) startEnv(ctx context.Context, label string, d suiteDir, extraEnv []string) (*testEnv, error) {
	env := &testEnv{}
	mainDB, srcDB := dbPrefix+label, dbPrefix+label+"_src1"
	env.dbNames = []string{mainDB, srcDB}
	mainURL, err := r.db.createDatabase(ctx, mainDB, true)
	if err != nil {
		return nil, err
	}
	env.mainURL = mainURL
	srcURL, err := r.db.createDatabase(ctx, srcDB, false)
	if err != nil {
		r.dropDatabases(ctx, env.dbNames)
		return nil, err
	}
	proc, err := startGraft(ctx, graftConfig{
		bin:       r.bin,
		dbURL:     mainURL,
		sourceURL: srcURL,
		slot:      mainDB,
		secret:    r.secret,
		redisURL:  r.redisURL,
		logPath:   filepath.Join(r.logDir, "graft-"+label+".log"),
		extraEnv:  append(helperEnv(d.Directory), extraEnv...),
	})
	if err != nil {
		r.dropDatabases(ctx, env.dbNames)
		return nil, err
	}
	env.proc = proc
	pointActionWebhook(proc.baseURL, r.secret)
	env.client = newGraftClient(proc.baseURL, r.secret)
	if err := postFixtures(ctx, env.client, []fixtureBody{r.clearDB}); err != nil {
		r.stopEnv(ctx, env)
		return nil, fmt.Errorf("database reset: %w (log %s)", err, proc.logPath)
	}
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
