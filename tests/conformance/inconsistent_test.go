package conformance

import (
	"encoding/json"
	"testing"
)

func TestCompareInconsistent(t *testing.T) {
	expected := json.RawMessage(`[{"type":"table","reason":"old words","definition":"article"},{"type":"array_relation","reason":"r"}]`)
	tests := []struct {
		name       string
		actual     string
		pass, warn bool
	}{
		{"same objects, other order, 2019 list shape",
			`[{"type":"array_relation","reason":"r"},{"type":"table","reason":"old words","definition":"article"}]`, true, false},
		{"current shape, other wording: warning only",
			`{"is_consistent":false,"inconsistent_objects":[{"type":"table","reason":"new words","definition":{"name":"article"}},{"type":"array_relation","reason":"r"}]}`, true, true},
		{"a type missing", `{"is_consistent":false,"inconsistent_objects":[{"type":"table"}]}`, false, false},
		{"a type renamed", `[{"type":"table"},{"type":"array_relationship"}]`, false, false},
		{"no list", `{"is_consistent":true}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures, warnings := compareInconsistent(expected, []byte(tt.actual))
			if (len(failures) == 0) != tt.pass || (len(warnings) > 0) != tt.warn {
				t.Errorf("failures %q, warnings %q; want pass %v, warning %v", failures, warnings, tt.pass, tt.warn)
			}
		})
	}
}

func TestIsConsistent(t *testing.T) {
	for body, want := range map[string]bool{
		`[]`:                 true,
		`[{"type":"table"}]`: false,
		`{"is_consistent":true,"inconsistent_objects":[]}`: true,
		`{"is_consistent":false}`:                          false,
		`{"message":"success"}`:                            false,
		`not json`:                                         false,
	} {
		if got := isConsistent([]byte(body)); got != want {
			t.Errorf("isConsistent(%s) = %v, want %v", body, got, want)
		}
	}
}
