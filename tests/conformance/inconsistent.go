package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// runInconsistent plays TestInconsistentObjects (test_inconsistent_meta.py),
// whose test.yaml holds inputs, not steps: post setup; break the metadata
// with SQL run directly on the database; reload_metadata; the inconsistent
// objects must be the expected ones; replace_metadata with the exported
// (inconsistent) metadata must fail with 400; drop_inconsistent_metadata
// and reload_metadata must leave the metadata consistent; post teardown.
//
// The expected objects are in the 2019 shape (MANIFEST notes): only their
// types are required to match (as a multiset); other differences are
// warnings, like error wording elsewhere (FORMAT.md §7.5).
func (r *runner) runInconsistent(ctx context.Context, env *testEnv, res *caseResult, run *transportRun) {
	t := res.c.inconsistent
	p := &pyDriver{ctx: ctx, client: env.client, run: run}
	if !p.post("setup", "/v1/query", t.Setup, http.StatusOK) {
		return
	}
	if err := execSQL(ctx, env.mainURL, t.SQL); err != nil {
		p.last, p.want = httpResult{}, 0
		p.fail("sql", "(run directly on the database)", []byte(t.SQL), "", err.Error())
		return
	}
	p.index++
	if !p.post("reload_metadata", "/v1/query", adminCall("reload_metadata", "{}"), http.StatusOK) {
		return
	}
	get := adminCall("get_inconsistent_metadata", "{}")
	if !p.post("get_inconsistent_metadata", "/v1/query", get, http.StatusOK) {
		return
	}
	failures, warnings := compareInconsistent(t.Objects, p.last.body)
	for _, w := range warnings {
		res.warnings = append(res.warnings, "inconsistent objects: "+w)
	}
	if len(failures) > 0 {
		p.failLast("get_inconsistent_metadata", "/v1/query", get, failures...)
		return
	}
	if !p.post("export_metadata", "/v1/query", adminCall("export_metadata", "{}"), http.StatusOK) {
		return
	}
	replace := adminCall("replace_metadata", string(p.last.body))
	if !p.post("replace_metadata with the inconsistent export", "/v1/query", replace, http.StatusBadRequest) ||
		!p.post("drop_inconsistent_metadata", "/v1/query", adminCall("drop_inconsistent_metadata", "{}"), http.StatusOK) ||
		!p.post("reload_metadata", "/v1/query", adminCall("reload_metadata", "{}"), http.StatusOK) {
		return
	}
	if !p.post("get_inconsistent_metadata", "/v1/query", get, http.StatusOK) {
		return
	}
	if !isConsistent(p.last.body) {
		p.failLast("get_inconsistent_metadata", "/v1/query", get,
			"after drop_inconsistent_metadata and reload_metadata the metadata must be consistent")
		return
	}
	if p.post("teardown", "/v1/query", t.Teardown, http.StatusOK) {
		run.stepsPassed = 1 // the test is the case's one step
	}
}

// pyDriver runs the admin calls of a Python-driven test in order, recording
// the first failure in run like a failed step.
type pyDriver struct {
	ctx    context.Context
	client *graftClient
	run    *transportRun
	index  int // of the next call, for the report
	last   httpResult
	want   int // the status the last call wanted
}

// post sends body with the admin secret and wants status; false stops the test.
func (p *pyDriver) post(what, url string, body []byte, status int) bool {
	res, err := p.client.postAdmin(p.ctx, url, body, status)
	p.last, p.want = res, status
	if err != nil {
		p.failLast(what, url, body, err.Error())
		return false
	}
	p.index++
	return true
}

func (p *pyDriver) failLast(what, url string, body []byte, reasons ...string) {
	p.fail(what, url, body, string(p.last.body), reasons...)
}

func (p *pyDriver) fail(what, url string, body []byte, actual string, reasons ...string) {
	f := stepFailure{
		index:        p.index,
		transport:    p.run.transport,
		step:         Step{Description: what, URL: url, Status: p.want, Query: body},
		headers:      map[string]string{adminSecretHdr: p.client.secret},
		actualStatus: p.last.status,
		actualBody:   []byte(actual),
		reasons:      reasons,
	}
	p.run.steps = append(p.run.steps, f)
	p.run.reason = fmt.Sprintf("%s: %s", what, reasons[0])
}

// adminCall builds {"type": typ, "args": args}; args is JSON text.
func adminCall(typ, args string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "args": json.RawMessage(args)})
	return b
}

// execSQL runs sql on the database at url, as the harness's hge_ctx.sql does.
func execSQL(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect for direct sql: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("direct sql: %w", err)
	}
	return nil
}

// inconsistentObjects reads a get_inconsistent_metadata answer: the list
// itself (2019 engines) or {"is_consistent", "inconsistent_objects"}.
func inconsistentObjects(body []byte) ([]any, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	if list, ok := v.([]any); ok {
		return list, nil
	}
	m, _ := v.(map[string]any)
	list, ok := m["inconsistent_objects"].([]any)
	if !ok {
		return nil, fmt.Errorf("no inconsistent_objects list in %s", truncate(string(body), 300))
	}
	return list, nil
}

// isConsistent reads a get_inconsistent_metadata answer: an empty list, or
// is_consistent: true.
func isConsistent(body []byte) bool {
	v, err := decodeJSON(body)
	if err != nil {
		return false
	}
	if list, ok := v.([]any); ok {
		return len(list) == 0
	}
	m, _ := v.(map[string]any)
	consistent, _ := m["is_consistent"].(bool)
	return consistent
}

// compareInconsistent requires the same object types, in any order, and
// warns about any other difference.
func compareInconsistent(expected json.RawMessage, actual []byte) (failures, warnings []string) {
	want, err := inconsistentObjects(expected)
	if err != nil {
		return []string{"expected inconsistent objects: " + err.Error()}, nil
	}
	got, err := inconsistentObjects(actual)
	if err != nil {
		return []string{err.Error()}, nil
	}
	wantTypes, gotTypes := objectTypes(want), objectTypes(got)
	if !slices.Equal(wantTypes, gotTypes) {
		return []string{fmt.Sprintf("expected inconsistent objects of types [%s], got [%s]",
			strings.Join(wantTypes, ", "), strings.Join(gotTypes, ", "))}, nil
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g any) bool { return len(diffValues(w, g, "$")) == 0 }) {
			b, _ := marshalJSON(w)
			warnings = append(warnings, "no object equal to the expected "+truncate(string(b), 300))
		}
	}
	return nil, warnings
}

// objectTypes is the sorted list of the objects' `type`s.
func objectTypes(objs []any) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		m, _ := o.(map[string]any)
		typ, _ := m["type"].(string)
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}
