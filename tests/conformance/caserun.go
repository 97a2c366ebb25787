package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// runCase runs one case over each of its transports, each run between the
// per-case setup and teardown: the harness parametrizes a test by transport,
// so every transport starts from the same rows (FORMAT.md §3 C). Around the
// steps come what the Python test posts itself: pre_files, pre_requests and
// inline_pre_requests before, inline_post_requests after (FORMAT.md §11).
func (r *runner) runCase(ctx context.Context, env *testEnv, d suiteDir, c suiteCase) caseResult {
	start := time.Now()
	res := caseResult{c: c, area: d.FeatureArea, logPath: env.proc.logPath}
	for _, t := range caseTransports(c, r.transports) {
		run := transportRun{transport: t, stepsTotal: len(c.steps)}
		if err := postFixtures(ctx, env.client, c.setup); err != nil {
			run.reason = "per-case setup failed: " + err.Error()
		} else {
			r.runBody(ctx, env, &res, &run)
			r.runTeardown(ctx, env, &res, &run)
		}
		if env.proc.exited() {
			run.reason = strings.TrimPrefix(run.reason+"; graft exited", "; ")
		}
		res.runs = append(res.runs, run)
	}
	res.setRunsReason()
	res.elapsed = time.Since(start)
	return res
}

// runBody runs what the Python test function does: the requests before the
// case file, its steps, the requests after it. It stops at the first
// failure, as the test's assertions do.
func (r *runner) runBody(ctx context.Context, env *testEnv, res *caseResult, run *transportRun) {
	c := res.c
	if len(c.Helpers) > 0 {
		// Bounded so that a helper that accepts but never answers costs
		// seconds, not every request's own timeout; setup and teardown keep
		// the outer context, so the next case still gets its clean state.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, helperCaseTimeout)
		defer cancel()
	}
	if err := postFixtures(ctx, env.client, c.before); err != nil {
		run.reason = "before the case: " + err.Error()
		return
	}
	if c.inconsistent != nil {
		r.runInconsistent(ctx, env, res, run)
	} else {
		r.runSteps(ctx, env.client, res, run)
	}
	if !run.passed() {
		return
	}
	if err := postFixtures(ctx, env.client, c.after); err != nil {
		run.reason = "after the steps: " + err.Error()
	}
}

// runTeardown posts the per-case teardown. The harness requires 200 there
// too, and a failing values teardown would leave the next case the wrong
// rows, so on a shared database the failure fails the case. An isolated
// case's database is dropped next; there the failure (several teardowns do
// not match their setup, FORMAT.md §9) is only a warning.
func (r *runner) runTeardown(ctx context.Context, env *testEnv, res *caseResult, run *transportRun) {
	err := postFixtures(ctx, env.client, res.c.teardown)
	switch {
	case err == nil:
	case env.isolated:
		res.warnings = append(res.warnings, fmt.Sprintf("%s: per-case teardown failed (database dropped anyway): %v", run.transport, err))
	case run.passed():
		run.reason = "per-case teardown failed: " + err.Error()
	}
}

// stepHeaders is the intended session of a step (FORMAT.md §5), before the
// admin secret is added.
func stepHeaders(c suiteCase, step Step) map[string]string {
	headers := cloneHeaders(step.Headers)
	if len(headers) == 0 && c.index%2 == 1 && !step.adminBody {
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
			if !step.adminBody { // a bare admin body goes out with the secret only
				f.reasons = client.checkSecretRequired(ctx, step)
			}
			headers[adminSecretHdr] = client.secret
			got, err := client.post(ctx, step.URL, step.Query, headers)
			if err != nil {
				f.reasons = append(f.reasons, err.Error())
			} else {
				f.actualStatus, f.actualBody = got.status, got.body
				if got.status != step.Status {
					f.reasons = append(f.reasons, fmt.Sprintf("status: expected %d, got %d", step.Status, got.status))
				}
				if p := codeProblem(step.wantCode, got.body); p != "" {
					f.reasons = append(f.reasons, p)
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

// codeProblem checks the top-level error code a bare admin body case wants
// (admin_body.code); "" means right or nothing wanted.
func codeProblem(want string, body []byte) string {
	if want == "" {
		return ""
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Sprintf("expected an error with code %q, got a body that is not JSON", want)
	}
	m, _ := v.(map[string]any)
	if got, _ := m["code"].(string); got != want {
		return fmt.Sprintf("expected top-level error code %q, got %q", want, got)
	}
	return ""
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
