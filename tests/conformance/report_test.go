package conformance

import (
	"regexp"
	"strings"
	"testing"
)

func TestSummaryLines(t *testing.T) {
	result := func(dir, area string, pass bool) caseResult {
		r := caseResult{c: suiteCase{dir: dir}, area: area}
		if !pass {
			r.reason = "x"
		}
		return r
	}
	s := summarize([]caseResult{
		result("queries/graphql_query/basic", "graphql_query/basic", true),
		result("queries/graphql_query/basic", "graphql_query/basic", false),
		result("queries/actions/sync", "actions/sync", false),
		result("queries/remote_schemas/validation", "remote_schemas/validation", true),
		result("queries/actionsfoo", "actionsfoo", true), // not under queries/actions
	}, []string{transportHTTP})
	var b strings.Builder
	printSummary(&b, s)
	out := b.String()
	for _, want := range []string{
		"conformance: graphql_query/basic 1/2\n",
		"conformance: actions/sync 0/1\n",
		"conformance outside queries/actions and queries/remote_schemas: 2/3 passed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// CI reads the closing line; it must be last and the only one of its shape.
	closing := regexp.MustCompile(`(?m)^conformance: \d+ passed, \d+ failed$`)
	if m := closing.FindAllString(out, -1); len(m) != 1 || m[0] != "conformance: 3 passed, 2 failed" {
		t.Errorf("closing lines %q", m)
	}
	if !strings.HasSuffix(out, "conformance: 3 passed, 2 failed\n") {
		t.Errorf("the closing line must end the summary:\n%s", out)
	}
}
