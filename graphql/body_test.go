package graphql

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decodeRequest must decode a body exactly as json.Unmarshal into Request
// does, or decline it (the caller then uses encoding/json).
func TestDecodeRequestAgreesWithEncodingJSON(t *testing.T) {
	deep := `{"query":"q","variables":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`
	tooDeep := `{"query":"q","variables":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	bodies := []struct {
		body    string
		decoded bool // decodeRequest takes it
	}{
		{`{"query":"{ a }"}`, true},
		{` {"query": "query ($id: Int!) {\n a(id: $id) }", "variables": {"id": 1, "x": [1.5e3, "é", null, true]}, "operationName": "Q"} `, true},
		{`{"query":"a","query":null}`, true},
		{`{"query":null,"operationName":null,"variables":null}`, true},
		{`{"query":"a","variables":[1]}`, true},
		{`{"query":"a","extensions":{"persistedQuery":{"version":1}},"variables":{}}`, true},
		{`{"query":"a","variables":{"a":1},"variables":{"b":2}}`, true},
		{`{"qu\u0065ry":"a"}`, true},
		{`{"query":"\ud800 bad surrogate","variables":{"s":"\u00e9\n"}}`, true},
		{"{\"query\":\"\xff invalid utf-8\"}", true},
		{`{"query":"a\n\tb\"c\\d\/e\b\f\r","variables":{"k\n":"x\n\u00e9\ny"}}`, true},
		{`{"query":"a\x"}`, false},
		{`{"query":"a\`, false},
		{`{}`, true},
		{deep, true},
		{`{"Query":"a"}`, false},
		{`{"OPERATIONNAME":"a","query":"b"}`, false},
		{`{"ſuery":"a"}`, false},
		{`{"query":1}`, false},
		{`{"operationName":["a"]}`, false},
		{`[{"query":"a"}]`, false},
		{`{"query":"a"} x`, false},
		{`{"query":"a",}`, false},
		{`{"query":"a" "b"}`, false},
		{`{"query":"a","variables":{"x":01}}`, false},
		{`{"query":"a","variables":{"x":tru}}`, false},
		{"{\"query\":\"a\tb\"}", false},
		{tooDeep, false},
		{``, false},
	}
	for _, c := range bodies {
		name := c.body[:min(len(c.body), 60)]
		req, vars, ok := decodeRequest([]byte(c.body))
		if ok != c.decoded {
			t.Errorf("%s: decoded %v, want %v", name, ok, c.decoded)
		}
		if !ok {
			continue
		}
		if !json.Valid([]byte(c.body)) {
			t.Errorf("%s: decoded a body that is not JSON", name)
			continue
		}
		var want Request
		if err := json.Unmarshal([]byte(c.body), &want); err != nil {
			t.Errorf("%s: decoded a body json.Unmarshal rejects: %v", name, err)
			continue
		}
		if req.Query != want.Query || req.OperationName != want.OperationName || string(req.Variables) != string(want.Variables) {
			t.Errorf("%s: got %+v, encoding/json gives %+v", name, req, want)
		}
		wantVars, err := decodeVariables(want.Variables)
		if err != nil {
			t.Errorf("%s: variables: %v", name, err)
		}
		if !reflect.DeepEqual(vars, wantVars) {
			t.Errorf("%s: variables %#v, want %#v", name, vars, wantVars)
		}
	}
}
