package graphql

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// plainFromOrdered converts decodeOrdered's output to encoding/json's form.
func plainFromOrdered(v any) any {
	switch v := v.(type) {
	case object:
		m := map[string]any{}
		for _, f := range v {
			m[f.Name] = plainFromOrdered(f.Value)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plainFromOrdered(x)
		}
		return out
	}
	return v
}

func TestDecodeOrderedMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"b":1,"a":[true,false,null,"x",-1.5e3,{"k":"\u00e9\n\"q\""}],"c":{}, "d":[]}`,
		`"héllo \\ wörld"`, `0`, `[1, 2 ,3]`, ` {"a" : {"b" : {"c" : "d"}}} `,
	} {
		got, err := decodeOrdered([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(plainFromOrdered(got), want) {
			t.Fatalf("%s: got %#v, want %#v", in, plainFromOrdered(got), want)
		}
	}
	if o, _ := decodeOrdered([]byte(`{"z":1,"a":2}`)); o.(object)[0].Name != "z" {
		t.Fatal("key order lost")
	}
	for _, bad := range []string{`{"a":1,}`, `[1 2]`, `{"a" 1}`, `1-2`, `"unterminated`, `{"a":1} x`, `tru`, "\"a\x01\"", `{"a":--1}`} {
		if _, err := decodeOrdered([]byte(bad)); err == nil {
			t.Fatalf("%q: accepted invalid JSON", bad)
		}
	}
}
