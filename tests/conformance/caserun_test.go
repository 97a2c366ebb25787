package conformance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeGraft answers admin bodies by their type: a type starting with "bad"
// gets 400 with code "bad-thing", anything else 200 {"ok":true}; without the
// admin secret every request gets 401. It records the types it served
// with the secret, in order.
type fakeGraft struct {
	mu              sync.Mutex
	served          []string
	unauthenticated int
}

func (f *fakeGraft) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	if r.Header.Get(adminSecretHdr) != "secret" {
		f.mu.Lock()
		f.unauthenticated++
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":"access-denied","error":"no","path":"$"}`))
		return
	}
	var body struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(b, &body)
	f.mu.Lock()
	f.served = append(f.served, body.Type)
	f.mu.Unlock()
	if strings.HasPrefix(body.Type, "bad") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":"bad-thing","error":"no","path":"$"}`))
		return
	}
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// fakeEnv starts fakeGraft behind a testEnv whose process never exits.
func fakeEnv(t *testing.T, isolated bool) (*testEnv, *fakeGraft) {
	t.Helper()
	f := &fakeGraft{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	env := &testEnv{
		proc:     &graftProcess{done: make(chan struct{})},
		client:   newGraftClient(srv.URL, "secret"),
		isolated: isolated,
	}
	return env, f
}

func admin(typ string) fixtureBody {
	return fixtureBody{file: typ, endpoint: "/v1/query", body: json.RawMessage(`{"type":"` + typ + `","args":{}}`), status: http.StatusOK}
}

func queryStep(typ string) Step {
	return Step{URL: "/v1/query", Status: http.StatusOK, Headers: map[string]string{},
		Query: json.RawMessage(`{"type":"` + typ + `","args":{}}`), Response: json.RawMessage(`{"ok":true}`)}
}

func runFake(t *testing.T, c suiteCase, isolated bool) (caseResult, []string, int) {
	t.Helper()
	env, f := fakeEnv(t, isolated)
	c.Transports = []string{transportHTTP}
	r := &runner{transports: []string{transportHTTP}}
	res := r.runCase(context.Background(), env, suiteDir{}, c)
	return res, f.served, f.unauthenticated
}

func TestRunCaseOrder(t *testing.T) {
	c := suiteCase{
		steps:    []Step{queryStep("step")},
		setup:    []fixtureBody{admin("setup_file"), admin("setup_inline")},
		before:   []fixtureBody{admin("pre_file"), admin("pre_request")},
		after:    []fixtureBody{admin("post_request")},
		teardown: []fixtureBody{admin("teardown_inline"), admin("teardown_file")},
	}
	res, served, unauthenticated := runFake(t, c, false)
	if !res.passed() {
		t.Fatalf("case failed: %s", res.reason)
	}
	if unauthenticated != 2 { // the step without and with a wrong secret
		t.Errorf("%d requests without the secret, want 2", unauthenticated)
	}
	want := []string{"setup_file", "setup_inline", "pre_file", "pre_request", "step", "post_request", "teardown_inline", "teardown_file"}
	if !slices.Equal(served, want) {
		t.Errorf("served %v, want %v", served, want)
	}
}

func TestRunCaseFailures(t *testing.T) {
	tests := []struct {
		name       string
		c          suiteCase
		isolated   bool
		pass       bool
		wantServed []string
	}{
		{name: "a failed step skips the post requests, not the teardown",
			c:          suiteCase{steps: []Step{queryStep("bad_step")}, after: []fixtureBody{admin("post")}, teardown: []fixtureBody{admin("teardown")}},
			wantServed: []string{"bad_step", "teardown"}},
		{name: "a post request with the wrong status fails the case",
			c:          suiteCase{steps: []Step{queryStep("step")}, after: []fixtureBody{admin("bad_post")}},
			wantServed: []string{"step", "bad_post"}},
		{name: "a post request may want an error status",
			c:          suiteCase{steps: []Step{queryStep("step")}, after: []fixtureBody{{file: "p", endpoint: "/v1/query", body: json.RawMessage(`{"type":"bad_post"}`), status: 400}}},
			pass:       true,
			wantServed: []string{"step", "bad_post"}},
		{name: "a failed pre request skips the steps",
			c:          suiteCase{steps: []Step{queryStep("step")}, before: []fixtureBody{admin("bad_pre")}},
			wantServed: []string{"bad_pre"}},
		{name: "a failed teardown fails a case on a shared database",
			c:          suiteCase{steps: []Step{queryStep("step")}, teardown: []fixtureBody{admin("bad_teardown")}},
			wantServed: []string{"step", "bad_teardown"}},
		{name: "a failed teardown only warns on an isolated database",
			c:          suiteCase{steps: []Step{queryStep("step")}, teardown: []fixtureBody{admin("bad_teardown")}},
			isolated:   true,
			pass:       true,
			wantServed: []string{"step", "bad_teardown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, served, _ := runFake(t, tt.c, tt.isolated)
			if res.passed() != tt.pass {
				t.Errorf("passed = %v (reason %q), want %v", res.passed(), res.reason, tt.pass)
			}
			if !slices.Equal(served, tt.wantServed) {
				t.Errorf("served %v, want %v", served, tt.wantServed)
			}
			if tt.isolated && len(res.warnings) == 0 {
				t.Error("an isolated teardown failure must leave a warning")
			}
		})
	}
}

func TestRunCaseAdminBody(t *testing.T) {
	body := json.RawMessage(`{"type":"bad_track","args":{}}`)
	for _, tt := range []struct {
		name string
		spec *AdminBodySpec
		pass bool
	}{
		{"status and code match", &AdminBodySpec{Endpoint: "/v1/query", Status: 400, Code: "bad-thing"}, true},
		{"code differs", &AdminBodySpec{Endpoint: "/v1/query", Status: 400, Code: "remote-schema-conflicts"}, false},
		{"status differs", &AdminBodySpec{Endpoint: "/v1/query", Status: 200}, false},
		{"no spec wants 200 from /v1/metadata", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, served, unauthenticated := runFake(t, suiteCase{steps: []Step{adminBodyStep(body, tt.spec)}}, false)
			if res.passed() != tt.pass {
				t.Errorf("passed = %v (reason %q), want %v", res.passed(), res.reason, tt.pass)
			}
			// The Python test posts it once, with the secret alone.
			if !slices.Equal(served, []string{"bad_track"}) || unauthenticated != 0 {
				t.Errorf("served %v and %d requests without the secret", served, unauthenticated)
			}
		})
	}
}
