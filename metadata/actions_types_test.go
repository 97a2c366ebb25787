package metadata

import "testing"

func TestParseTypeRef(t *testing.T) {
	for in, want := range map[string]string{
		"Int": "Int", "String!": "String!", "[UserInput!]!": "[UserInput!]!", " [ [ myCustomScalar! ] ]! ": "[[myCustomScalar!]]!",
	} {
		ref, err := ParseTypeRef(in)
		if err != nil || ref.String() != want {
			t.Errorf("ParseTypeRef(%q) = %v, %v; want %s", in, ref, err, want)
		}
	}
	for _, bad := range []string{"", "[Int", "Int!!", "1abc", "Int]"} {
		if ref, err := ParseTypeRef(bad); err == nil {
			t.Errorf("ParseTypeRef(%q) = %v, want an error", bad, ref)
		}
	}
	ref, _ := ParseTypeRef("[[UserId!]]")
	if ref.Base() != "UserId" || !ref.IsList() {
		t.Errorf("base of [[UserId!]] = %q, list %v", ref.Base(), ref.IsList())
	}
}

func TestResolveTemplate(t *testing.T) {
	t.Setenv("GRAFT_TEMPLATE_TEST", "http://h:1")
	if got, err := ResolveTemplate("{{GRAFT_TEMPLATE_TEST}}/p{{ GRAFT_TEMPLATE_TEST }}"); err != nil || got != "http://h:1/phttp://h:1" {
		t.Fatalf("ResolveTemplate = %q, %v", got, err)
	}
	if _, err := ResolveTemplate("{{GRAFT_TEMPLATE_UNSET_X}}/p"); err == nil || err.Error() != "environment variable 'GRAFT_TEMPLATE_UNSET_X' not set" {
		t.Fatalf("unset variable: %v", err)
	}
}

func TestActionDefinitionErrors(t *testing.T) {
	for def, want := range map[string]string{
		`{"handler":"h","output_type":"T","headers":[{"name":"a","value_from_env":"HASURA_GRAPHQL_X"}]}`: `$.definition.headers[0]`,
		`{"handler":"h","output_type":"T","kind":"sometimes"}`:                                           `$.definition.kind`,
		`{"handler":"h","output_type":"T","type":"query","kind":"asynchronous"}`:                         `$.definition`,
		`{"output_type":"T"}`: `$.definition.handler`,
	} {
		_, err := parseActionDefinition([]byte(def))
		ae, ok := err.(*APIError)
		if !ok || ae.Code != "parse-failed" || ae.Path != want {
			t.Errorf("%s: %v, want parse-failed at %s", def, err, want)
		}
	}
}
