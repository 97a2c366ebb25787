package replication

import (
	"testing"
)

// These cases pin the text-literal rules without a database; decode_test.go
// checks the same rules against row_to_json itself.

func builtinTypes(t *testing.T) *typeCache {
	t.Helper()
	return newTypeCache(nil)
}

func render(t *testing.T, typ *pgType, text string) string {
	t.Helper()
	out, err := appendValue(nil, typ, []byte(text))
	if err != nil {
		t.Fatalf("render %q: %v", text, err)
	}
	return string(out)
}

func TestRenderScalars(t *testing.T) {
	c := builtinTypes(t)
	typ := func(oid uint32) *pgType { return c.types[oid] }
	cases := []struct {
		oid        uint32
		text, want string
	}{
		{23, "42", "42"},
		{20, "-9223372036854775808", "-9223372036854775808"},
		{1700, "12.500", "12.500"},
		{1700, "NaN", `"NaN"`},
		{1700, "Infinity", `"Infinity"`},
		{701, "-Infinity", `"-Infinity"`},
		{701, "1e+100", "1e+100"},
		{700, "1.5e-07", "1.5e-07"},
		{701, "-0", "-0"},
		{16, "t", "true"},
		{16, "f", "false"},
		{3802, `{"a": [1, 2]}`, `{"a": [1, 2]}`},
		{25, "say \"hi\"\\\n\t\x01\x7f é", `"say \"hi\"\\\n\t\u0001` + "\x7f" + ` é"`},
		{25, "<&>\u2028", "\"<&>\u2028\""},
		{1082, "0044-03-15 BC", `"0044-03-15 BC"`},
		{1082, "-infinity", `"-infinity"`},
		{1114, "2015-10-17 14:42:43.123456", `"2015-10-17T14:42:43.123456"`},
		{1114, "infinity", `"infinity"`},
		{1184, "2015-10-17 14:42:43+00", `"2015-10-17T14:42:43+00:00"`},
		{1184, "2015-10-17 14:42:43.5+05:30", `"2015-10-17T14:42:43.5+05:30"`},
		{1184, "1900-01-01 00:00:00-00:09:21", `"1900-01-01T00:00:00-00:09:21"`},
		{1184, "0044-03-15 12:00:00+00 BC", `"0044-03-15T12:00:00+00:00 BC"`},
		{1184, "12345-01-01 00:00:00-03", `"12345-01-01T00:00:00-03:00"`},
		{17, `\x00ff`, `"\\x00ff"`},
	}
	for _, tc := range cases {
		if got := render(t, typ(tc.oid), tc.text); got != tc.want {
			t.Errorf("type %d %q: got %s, want %s", tc.oid, tc.text, got, tc.want)
		}
	}
}

func TestRenderArrays(t *testing.T) {
	c := builtinTypes(t)
	cases := []struct {
		oid        uint32
		text, want string
	}{
		{1007, "{}", "[]"},
		{1007, "{1,NULL,3}", "[1,null,3]"},
		{1007, "{{1,2},{NULL,4}}", "[[1,2],[null,4]]"},
		{1007, "[0:1]={5,6}", "[5,6]"},
		{1007, "[1:1][2:3]={{5,6}}", "[[5,6]]"},
		{1009, `{"NULL",NULL,"",a,"x,y","q\"b\\s","{}"}`, `["NULL",null,"","a","x,y","q\"b\\s","{}"]`},
		{1231, "{1.5,NaN}", `[1.5,"NaN"]`},
		{3807, `{"{\"a\": 1}","[1, 2]",null}`, `[{"a": 1},[1, 2],null]`},
		{1185, `{"2015-10-17 14:42:43+00",infinity}`, `["2015-10-17T14:42:43+00:00","infinity"]`},
		{1000, "{t,f}", "[true,false]"},
	}
	for _, tc := range cases {
		if got := render(t, c.types[tc.oid], tc.text); got != tc.want {
			t.Errorf("type %d %q: got %s, want %s", tc.oid, tc.text, got, tc.want)
		}
	}
	box := &pgType{cat: catArray, elem: &pgType{cat: catOther}, delim: ';'}
	if got, want := render(t, box, "{(1,1),(0,0);(2,2),(1,1)}"), `["(1,1),(0,0)","(2,2),(1,1)"]`; got != want {
		t.Errorf("box[]: got %s, want %s", got, want)
	}
	for _, bad := range []string{"{1,2", "{1,2}x", `{"a}`, "1,2", "[1:2]{1,2}"} {
		if _, err := appendValue(nil, c.types[1007], []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRenderComposite(t *testing.T) {
	c := builtinTypes(t)
	inner := &pgType{cat: catComposite, attrs: []attribute{{"x", c.types[23]}, {"y", c.types[25]}}}
	typ := &pgType{cat: catComposite, attrs: []attribute{
		{"street", c.types[25]}, {"zip", c.types[23]}, {"tags", c.types[1009]},
		{"at", c.types[1184]}, {"in\"ner", inner}, {"ok", c.types[16]},
	}}
	cases := []struct{ text, want string }{
		{`("1 Main St",12345,"{a,""b c""}","2020-01-02 03:04:05+00","(1,""x """"y"""""")",t)`,
			`{"street":"1 Main St","zip":12345,"tags":["a","b c"],"at":"2020-01-02T03:04:05+00:00","in\"ner":{"x":1,"y":"x \"y\""},"ok":true}`},
		{`(,,,,,)`, `{"street":null,"zip":null,"tags":null,"at":null,"in\"ner":null,"ok":null}`},
		{`("",0,{},,"(,)",f)`, `{"street":"","zip":0,"tags":[],"at":null,"in\"ner":{"x":null,"y":null},"ok":false}`},
		{`("back\\slash",1,,,,)`, `{"street":"back\\slash","zip":1,"tags":null,"at":null,"in\"ner":null,"ok":null}`},
	}
	for _, tc := range cases {
		if got := render(t, typ, tc.text); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"(1,2)", "(a,1,,,,,)", "(a,1,,,,", `("a,1,,,,)`} {
		if _, err := appendValue(nil, typ, []byte(bad)); err == nil {
			t.Errorf("%q: no error for a record not matching the attributes", bad)
		}
	}
	empty := &pgType{cat: catComposite}
	if got := render(t, empty, "()"); got != "{}" {
		t.Errorf("empty composite: %s", got)
	}
}

func TestValidJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "10", "1.5", "-1.5e10", "1E+2", "0.000"} {
		if !validJSONNumber([]byte(s)) {
			t.Errorf("%q should be valid", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "NaN", "Infinity", "+1", "1 ", "0x10"} {
		if validJSONNumber([]byte(s)) {
			t.Errorf("%q should be invalid", s)
		}
	}
}
