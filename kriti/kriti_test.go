package kriti

import (
	"encoding/json"
	"testing"
)

func TestEval(t *testing.T) {
	env := map[string]any{"body": map[string]any{"a": "x", "n": []any{1.0, 2.0}, "o": map[string]any{"k": true}},
		"session_variables": map[string]any{"x-hasura-role": "user"}, "base_url": "http://h"}
	for _, tt := range []struct {
		tmpl, want string
	}{
		{`{{ $body.a }}`, `"x"`},
		{`"pre_{{ $body.a }}_{{ $body.n }}"`, `"pre_x_[1,2]"`},
		{`{"k": {{ $body['o'].k }}, "l": [{{ $body.n[1] }}, null, "s"]}`, `{"k":true,"l":[2,null,"s"]}`},
		{`{{ getSessionVariable("X-Hasura-Role") }}`, `"user"`},
		{`{{ toUpper($body.a) }}`, `"X"`},
		{`$body.a`, `"x"`},
		{`{"esc": "a\"b", "{{ $body.a }}": -1.5e1, "": ""}`, `{"esc":"a\"b","x":-15,"":""}`},
		{`{{ escapeUri("a b&c") }}`, `"a+b%26c"`},
		{`{{ toString($body.o) }}`, `"{\"k\":true}"`},
	} {
		tmpl, err := Parse(tt.tmpl)
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.tmpl, err)
			continue
		}
		// Twice: a parsed template is reusable.
		for range 2 {
			got, err := tmpl.Eval(env)
			if err != nil {
				t.Errorf("%s: %v", tt.tmpl, err)
				continue
			}
			if b, _ := json.Marshal(got); string(b) != compact(tt.want) {
				t.Errorf("%s = %s, want %s", tt.tmpl, b, tt.want)
			}
		}
	}
	if got, _ := mustText(t, `{{$base_url}}/p?q={{ $body.n[0] }}`).EvalText(env); got != "http://h/p?q=1" {
		t.Errorf("text = %q", got)
	}
	if got, _ := mustText(t, `plain`).EvalText(env); got != "plain" {
		t.Errorf("plain text = %q", got)
	}
}

// Errors keep Kriti's kinds and the byte span they point at.
func TestErrors(t *testing.T) {
	env := map[string]any{"body": map[string]any{"a": "x"}}
	for _, tt := range []struct {
		tmpl     string
		kind     string
		pos, end int
	}{
		{`$body.a }}`, "Parse Error", 8, 9},
		{`{"a" 1}`, "Parse Error", 5, 6},
		{`{{ $body.a`, "Parse Error", 10, 10},
		{`{{ $body.a.b.c }}`, "Attribute Error", 3, 12},
		{`{{ $nope.x }}`, "Name Error", 3, 8},
		{`{{ frob(1) }}`, "Function Error", 3, 10},
		{`{{ toUpper(1) }}`, "Function Error", 3, 13},
	} {
		tmpl, err := Parse(tt.tmpl)
		if err == nil {
			_, err = tmpl.Eval(env)
		}
		ke, ok := err.(*Error)
		if !ok || ke.Kind != tt.kind || ke.Pos != tt.pos || ke.End != tt.end {
			t.Errorf("%s: error %#v, want a %s at %d-%d", tt.tmpl, err, tt.kind, tt.pos, tt.end)
			continue
		}
		if item := ke.Item(); item["error_code"] != tt.kind {
			t.Errorf("%s: item %v", tt.tmpl, item)
		}
	}
	if _, err := Parse(`{{ $body.anything.at.all }}`); err != nil {
		t.Errorf("Parse of a valid template: %v", err)
	}
	if _, err := ParseText(`a {{ $body.a `); err == nil {
		t.Error("ParseText of an unclosed interpolation: no error")
	}
}

func mustText(t *testing.T, src string) *Template {
	t.Helper()
	tmpl, err := ParseText(src)
	if err != nil {
		t.Fatalf("ParseText(%s): %v", src, err)
	}
	return tmpl
}

func compact(s string) string {
	var v any
	_ = json.Unmarshal([]byte(s), &v)
	b, _ := json.Marshal(v)
	return string(b)
}
