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
	transports  []string // enabled transports, in supportedTransports order
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
}

// runDirectory runs every case of d that has a transport to run over and
// returns one result per such case; a directory without any starts nothing.
func (r *runner) runDirectory(ctx context.Context, n int, d suiteDir) []caseResult {
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
		for i, c := range d.cases {
			if len(caseTransports(c, r.transports)) > 0 {
				results = append(results, r.runIsolatedCase(ctx, fmt.Sprintf("%d_%d", n, i), d, c))
			}
		}
		return results
	}
	env, err := r.startEnv(ctx, fmt.Sprint(n))
	if err != nil {
		return r.failAll(d, runnable, startFailure(d.Dir, err), "")
	}
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return r.failAll(d, runnable, "setup failed: "+err.Error(), env.proc.logPath)
	}
	cases := runnable
	if len(d.perCaseSetup) == 0 {
		cases = statefulLast(cases)
	}
	results := make([]caseResult, 0, len(cases))
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
		return r.failAll(d, []suiteCase{c}, startFailure(c.name(), err), "")[0]
	}
	defer r.stopEnv(ctx, env)
	if err := postFixtures(ctx, env.client, d.setup); err != nil {
		return r.failAll(d, []suiteCase{c}, "setup failed: "+err.Error(), env.proc.logPath)[0]
	}
	res := r.runCase(ctx, env, d, c)
	_ = postFixtures(ctx, env.client, d.teardown)
	return res
}

// runCase runs one case over each of its transports, each run between the
// per-case setup and teardown: the harness parametrizes a test by transport,
// so every transport starts from the same rows (FORMAT.md §3 C).
func (r *runner) runCase(ctx context.Context, env *testEnv, d suiteDir, c suiteCase) caseResult {
	res := caseResult{c: c, area: d.FeatureArea, logPath: env.proc.logPath}
	for _, t := range caseTransports(c, r.transports) {
		run := transportRun{transport: t, stepsTotal: len(c.steps)}
		if err := postFixtures(ctx, env.client, d.perCaseSetup); err != nil {
			run.reason = "per-case setup failed: " + err.Error()
		} else {
			r.runSteps(ctx, env.client, &res, &run)
			// The harness requires 200 here too; a failing values teardown
			// would also leave the next run with the wrong rows.
			if err := postFixtures(ctx, env.client, d.perCaseTeardown); err != nil && run.passed() {
				run.reason = "per-case teardown failed: " + err.Error()
			}
		}
		if env.proc.exited() {
			run.reason = strings.TrimPrefix(run.reason+"; graft exited", "; ")
		}
		res.runs = append(res.runs, run)
	}
	res.setRunsReason()
	return res
}

// stepHeaders is the intended session of a step (FORMAT.md §5), before the
// admin secret is added.
func stepHeaders(c suiteCase, step Step) map[string]string {
	headers := cloneHeaders(step.Headers)
	if len(headers) == 0 && c.index%2 == 1 {
		// The harness adds this at random half the time; alternating
		// keeps runs reproducible while still covering both forms.
		headers["X-Hasura-Role"] = "admin"
	}
	return headers
}

// runSteps runs the steps in order over run.transport and stops at the
// first failing one, as the harness's assertion does; later steps build on
// earlier ones.
func (r *runner) runSteps(ctx context.Context, client *graftClient, res *caseResult, run *transportRun) {
	strict := r.strictOrder && !res.c.oldKeyOrder()
	for i, step := range res.c.steps {
		headers := stepHeaders(res.c, step)
		f := stepFailure{index: i, transport: run.transport, step: step, headers: headers}
		var comparable bool
		if run.transport == transportHTTP {
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
				comparable = true
			}
		} else {
			// Over a socket the status is not checked (FORMAT.md §6).
			headers[adminSecretHdr] = client.secret
			got, problems := client.socketStep(ctx, step, headers,
				run.transport == transportSubscription, expectsError(step.Response))
			f.frameType, f.actualBody, comparable = got.frameType, got.body, got.compare
			f.reasons = append(f.reasons, problems...)
		}
		if comparable && step.Response != nil {
			cmp := compareResponse(step.Response, f.actualBody, strict)
			f.reasons = append(f.reasons, cmp.failures...)
			for _, w := range cmp.warnings {
				res.warnings = append(res.warnings, fmt.Sprintf("%s step %d: %s", run.transport, i, w))
			}
		}
		if len(f.reasons) > 0 {
			run.steps = append(run.steps, f)
			run.reason = fmt.Sprintf("step %d: %s", i, f.reasons[0])
			return
		}
		run.stepsPassed++
	}
}

// expectsError reports whether an expected body is an error response, for
// which a socket may answer with an error frame instead of data.
func expectsError(response []byte) bool {
	if response == nil {
		return false
	}
	v, err := decodeJSON(response)
	return err == nil && isErrorBody(v)
}

// stepFailure records one failed step for the report.
type stepFailure struct {
	index        int
	transport    string
	frameType    string // over a socket: the first frame for the operation
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
