package metadata

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseCustomization(t *testing.T) {
	c, err := ParseCustomization(json.RawMessage(`{"root_fields": {"namespace": "ns", "prefix": "p_", "suffix": "_s"},
		"type_names": {"prefix": "P", "suffix": "S"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ got, want string }{
		{c.TypeName("users_bool_exp"), "Pusers_bool_expS"},
		{c.TypeName("String"), "String"}, // GraphQL's own scalars keep their names
		{c.TypeName("timestamptz"), "PtimestamptzS"},
		{c.RootField("users_by_pk"), "p_users_by_pk_s"},
		{c.Namespaced(), "ns"},
		{defaultRootFields("users").customized(c).InsertOne, "p_insert_users_one_s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for _, raw := range []string{``, `null`, `{}`, `{"root_fields": {}, "naming_convention": "hasura-default"}`} {
		if c, err := ParseCustomization(json.RawMessage(raw)); c != nil || err != nil {
			t.Errorf("%s: got %+v, %v; want no customization", raw, c, err)
		}
	}
	var none *SourceCustomization
	if none.TypeName("x") != "x" || none.RootField("y") != "y" || none.HasTypeNames() {
		t.Error("a nil customization must change nothing")
	}
	for raw, want := range map[string]string{
		`{"type_names": {"prefix": "1bad"}}`:    "type_names.prefix",
		`{"naming_convention": "kebab"}`:        "naming_convention",
		`{"root_fields": {"namespace": "a b"}}`: "root_fields.namespace",
		`{"root_fields": {"prefix": ["list"]}}`: "cannot unmarshal",
	} {
		if _, err := ParseCustomization(json.RawMessage(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %q", raw, err, want)
		}
	}
}
