package metadata

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestEvalKriti(t *testing.T) {
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
		{`{"esc": "a\"b"}`, `{"esc":"a\"b"}`},
	} {
		got, err := evalKriti(tt.tmpl, env)
		if err != nil {
			t.Errorf("%s: %v", tt.tmpl, err)
			continue
		}
		if b, _ := json.Marshal(got); string(b) != mustCompact(tt.want) {
			t.Errorf("%s = %s, want %s", tt.tmpl, b, tt.want)
		}
	}
	for tmpl, kind := range map[string]string{
		`$body.a }}`: "Parse Error", `{{ $body.zz }}`: "Attribute Error", `{{ $nope }}`: "Name Error",
		`{{ frob(1) }}`: "Function Error", `{"a" 1}`: "Parse Error", `{{ $body.a`: "Parse Error",
	} {
		_, err := evalKriti(tmpl, env)
		ke, ok := err.(*kritiError)
		if !ok || ke.Kind != kind {
			t.Errorf("%s: error %v, want a %s", tmpl, err, kind)
		}
	}
	if err := checkKriti(`{{ $body.anything.at.all }}`); err != nil {
		t.Errorf("checkKriti of a valid template: %v", err)
	}
	if got, _ := kritiInterpolate(`{{$base_url}}/p?q={{ $body.n[0] }}`, env); got != "http://h/p?q=1" {
		t.Errorf("interpolate = %q", got)
	}
}

func mustCompact(s string) string {
	var v any
	_ = json.Unmarshal([]byte(s), &v)
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSplitSQL(t *testing.T) {
	got := splitSQL(`CREATE TABLE t (x text DEFAULT 'a;b');
-- comment; here
CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql; /* c; */ SELECT "we;ird" FROM t;
  `)
	want := []string{"CREATE TABLE t (x text DEFAULT 'a;b')",
		"\n-- comment; here\nCREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql",
		` /* c; */ SELECT "we;ird" FROM t`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splitSQL = %q", got)
	}
}
