package delivery

import (
	"encoding/json"
	"reflect"
	"testing"
)

// objectFields' plain scan must split exactly as encoding/json's tokenizer,
// and leave what it does not handle (escaped keys, invalid JSON) to it.
func TestObjectFieldsScanMatchesDecoder(t *testing.T) {
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a" : -1.5e3 , "b":"x\"y\\","c":[1,{"d":"]}"}],"e":{"f":null},"g":true}`,
		`{"id":7,"name":"a \"b\"","email":null,"tags":{"x":[1,2]}}`, `{"k\"q":1,"z":2}`, `{"a":"\u00e9","b":[]}`,
		"{\n\t\"a\" :\r\n [ 1 , 2 ] ,\"b\": {\"c\" : \"d\"}\n}", `[1,2]`, `"s"`, `{"a":1,}`, `{"a":1`, `{"a":01}`,
	} {
		want, werr := decodeObjectFields(json.RawMessage(s))
		got, gerr := objectFields(json.RawMessage(s))
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q %v\nwant %q %v", s, got, gerr, want, werr)
		}
	}
}
