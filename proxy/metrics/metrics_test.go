package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestOperationType(t *testing.T) {
	for body, want := range map[string]int{
		`{"query":"{ a }"}`:                                            OpQuery,
		`{"query":"query Q { a }"}`:                                    OpQuery,
		`{"query":"  \n\t mutation { a }","variables":{}}`:             OpMutation,
		`{"variables":{"query":"mutation"},"query":"subscription{a}"}`: OpSubscription,
		`{"query" : "# a comment\nmutation M { a }"}`:                  OpMutation,
		`{"query":"queryX { a }"}`:                                     OpUnknown,
		`{"query":"fragment F on T { a } query { ...F }"}`:             OpUnknown,
		`[{"query":"mutation { a }"},{"query":"{ b }"}]`:               OpMutation,
		`{"operationName":"x"}`:                                        OpUnknown,
		`not json`:                                                     OpUnknown,
		`{"query":"# unterminated comment`:                             OpUnknown,
		// A comment ends at an escaped line end, not at another escape.
		`{"query":"# say \"hi\" or \\ here\nmutation { a }"}`: OpMutation,
		`{"query":"# a \\nmutation\n{ a }"}`:                  OpQuery,
		`{"query":"# only \" and \\"}`:                        OpUnknown,
	} {
		if got := OperationType([]byte(body)); got != want {
			t.Errorf("OperationType(%s) = %s, want %s", body, opNames[got], opNames[want])
		}
	}
}

func TestHandlerSecret(t *testing.T) {
	m := New("s3cret")
	m.GraphQL(OpMutation, false, time.Millisecond)
	m.GraphQL(OpQuery, true, time.Millisecond)
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "s3cret": 401, "Bearer s3cret": 200} {
		req := httptest.NewRequest(http.MethodGet, "/v1/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("Authorization %q: status %d, want %d", auth, rec.Code, want)
		}
		if want == 200 {
			body := rec.Body.String()
			for _, line := range []string{
				`hasura_graphql_requests_total{operation_type="mutation",response_status="success"} 1`,
				`hasura_graphql_requests_total{operation_type="query",response_status="failed"} 1`,
				`hasura_graphql_execution_time_seconds_count{operation_type="mutation"} 1`,
				`hasura_graphql_execution_time_seconds_count{operation_type="query"} 0`,
			} {
				if !strings.Contains(body, line+"\n") {
					t.Errorf("no line %q in\n%s", line, body)
				}
			}
		}
	}
}
