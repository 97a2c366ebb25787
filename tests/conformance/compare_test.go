package conformance

import (
	"strings"
	"testing"
)

func TestCompareResponse(t *testing.T) {
	tests := []struct {
		name             string
		expected, actual string
		strict           bool
		pass             bool
		warns            bool
	}{
		{name: "equal", expected: `{"data":{"a":1}}`, actual: `{"data":{"a":1}}`, pass: true},
		{name: "numbers by value", expected: `{"a":2,"b":1.5}`, actual: `{"a":2.0,"b":1.50}`, pass: true},
		{name: "big integers exactly", expected: `{"a":12345678901234567890}`, actual: `{"a":12345678901234567891}`},
		{name: "string is not number", expected: `{"id":"1"}`, actual: `{"id":1}`},
		{name: "number is not string", expected: `{"id":1}`, actual: `{"id":"1"}`},
		{name: "key order ignored", expected: `{"data":{"a":1,"b":2}}`, actual: `{"data":{"b":2,"a":1}}`, pass: true},
		{name: "array order matters", expected: `{"data":[1,2]}`, actual: `{"data":[2,1]}`},
		{name: "array length matters", expected: `{"data":[1,2]}`, actual: `{"data":[1,2,3]}`},
		{name: "missing key is not null", expected: `{"data":{"a":null}}`, actual: `{"data":{}}`},
		{name: "null is not missing", expected: `{"data":{}}`, actual: `{"data":{"a":null}}`},
		{name: "null matches null", expected: `{"result":null}`, actual: `{"result":null}`, pass: true},
		{name: "bool", expected: `{"a":true}`, actual: `{"a":false}`},
		{
			name:     "error message differs: warning only",
			expected: `{"errors":[{"message":"old words","extensions":{"code":"validation-failed","path":"$.selectionSet.x"}}]}`,
			actual:   `{"errors":[{"message":"new words","extensions":{"code":"validation-failed","path":"$.selectionSet.x"}}]}`,
			pass:     true, warns: true,
		},
		{
			name:     "error code differs",
			expected: `{"errors":[{"message":"m","extensions":{"code":"validation-failed"}}]}`,
			actual:   `{"errors":[{"message":"m","extensions":{"code":"parse-failed"}}]}`,
		},
		{
			name:     "error count differs",
			expected: `{"errors":[{"extensions":{"code":"validation-failed"}}]}`,
			actual:   `{"errors":[{"extensions":{"code":"validation-failed"}},{"extensions":{"code":"validation-failed"}}]}`,
		},
		{
			name:     "data: null beside errors is soft",
			expected: `{"errors":[{"message":"m","extensions":{"code":"bad-request"}}]}`,
			actual:   `{"data":null,"errors":[{"message":"other","extensions":{"code":"bad-request"}}]}`,
			pass:     true, warns: true,
		},
		{
			name:     "flat legacy error code",
			expected: `{"errors":[{"path":"$","error":"old","code":"validation-failed"}]}`,
			actual:   `{"errors":[{"message":"new","extensions":{"path":"$","code":"validation-failed"}}]}`,
			pass:     true, warns: true,
		},
		{
			name:     "admin error: code must match",
			expected: `{"path":"$.args","error":"restricted access : admin only","code":"access-denied"}`,
			actual:   `{"path":"$.args","error":"admin only","code":"access-denied"}`,
			pass:     true, warns: true,
		},
		{
			name:     "admin error: other code fails",
			expected: `{"path":"$.args","error":"restricted access : admin only","code":"access-denied"}`,
			actual:   `{"path":"$.args","error":"restricted access : admin only","code":"not-supported"}`,
		},
		{
			name:     "expected errors, got data",
			expected: `{"errors":[{"message":"m","extensions":{"code":"validation-failed"}}]}`,
			actual:   `{"data":{"a":1}}`,
		},
		{
			name:     "expected data, got errors",
			expected: `{"data":{"a":1}}`,
			actual:   `{"errors":[{"message":"m","extensions":{"code":"validation-failed"}}]}`,
		},
		{
			name:     "batch: soft errors per element",
			expected: `[{"errors":[{"message":"a","extensions":{"code":"validation-failed"}}]},{"data":{"x":1}}]`,
			actual:   `[{"errors":[{"message":"b","extensions":{"code":"validation-failed"}}]},{"data":{"x":1.0}}]`,
			pass:     true, warns: true,
		},
		{
			name:     "batch: data element still strict",
			expected: `[{"errors":[{"extensions":{"code":"validation-failed"}}]},{"data":{"x":1}}]`,
			actual:   `[{"errors":[{"extensions":{"code":"validation-failed"}}]},{"data":{"x":2}}]`,
		},
		{name: "batch length", expected: `[{"data":{}}]`, actual: `[{"data":{}},{"data":{}}]`},
		{name: "actual not JSON", expected: `{"data":{}}`, actual: `<html>`},
		{name: "strict order: same order passes", expected: `{"data":{"a":{"x":1,"y":2}}}`, actual: `{"data":{"a":{"x":1,"y":2}}}`, strict: true, pass: true},
		{name: "strict order: swapped keys fail", expected: `{"data":{"a":{"x":1,"y":2}}}`, actual: `{"data":{"a":{"y":2,"x":1}}}`, strict: true},
		{name: "strict order: top level is free", expected: `{"data":{"a":1},"errors":[]}`, actual: `{"errors":[],"data":{"a":1}}`, strict: true, pass: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compareResponse([]byte(tt.expected), []byte(tt.actual), tt.strict)
			if c.ok() != tt.pass {
				t.Errorf("pass = %v, want %v; failures: %v", c.ok(), tt.pass, c.failures)
			}
			if (len(c.warnings) > 0) != tt.warns {
				t.Errorf("warnings = %v, want some: %v", c.warnings, tt.warns)
			}
		})
	}
}

func TestDiffMessagesNamePaths(t *testing.T) {
	c := compareResponse([]byte(`{"data":{"author":[{"id":1,"name":"A"}]}}`), []byte(`{"data":{"author":[{"id":1,"name":"B"}]}}`), false)
	if len(c.failures) != 1 || !strings.Contains(c.failures[0], `$.data.author[0].name: expected string "A", got string "B"`) {
		t.Errorf("failures = %q", c.failures)
	}
}

func TestDeniedProblem(t *testing.T) {
	denied := `{"errors":[{"message":"x-hasura-admin-secret required","extensions":{"path":"$","code":"access-denied"}}]}`
	tests := []struct {
		name   string
		step   Step
		res    httpResult
		wantOK bool
	}{
		{"graphql 200 access-denied", Step{URL: "/v1/graphql", Status: 200}, httpResult{200, []byte(denied)}, true},
		{"graphql 401 is wrong", Step{URL: "/v1/graphql", Status: 200}, httpResult{401, []byte(denied)}, false},
		{"graphql 200 with data is wrong", Step{URL: "/v1/graphql", Status: 200}, httpResult{200, []byte(`{"data":{}}`)}, false},
		{"graphql case expecting 404", Step{URL: "/v1/graphql", Status: 404}, httpResult{404, nil}, true},
		{"admin endpoint 401", Step{URL: "/v1/query", Status: 200}, httpResult{401, nil}, true},
		{"admin endpoint 404", Step{URL: "/v1/metadata", Status: 400}, httpResult{404, nil}, true},
		{"admin endpoint 200 is wrong", Step{URL: "/v1/query", Status: 200}, httpResult{200, nil}, false},
		{"v1alpha1 uses http status", Step{URL: "/v1alpha1/graphql", Status: 200}, httpResult{401, nil}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := deniedProblem(tt.step, tt.res)
			if (p == "") != tt.wantOK {
				t.Errorf("problem %q, want ok=%v", p, tt.wantOK)
			}
		})
	}
}
