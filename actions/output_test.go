package actions

import (
	"bytes"
	"testing"

	"github.com/graftql/graft/metadata"
)

func TestValidateMessages(t *testing.T) {
	field := func(name, typ string) *metadata.CustomField {
		ref, _ := metadata.ParseTypeRef(typ)
		return &metadata.CustomField{Name: name, Type: typ, Ref: ref}
	}
	ct := &metadata.CustomTypes{
		Objects: []*metadata.ObjectType{
			{Name: "UserId", Fields: []*metadata.CustomField{field("id", "Int!")}},
			{Name: "Nested", Fields: []*metadata.CustomField{field("id", "ID!"), field("child", "Nested")}},
		},
		Scalars: []*metadata.ScalarType{{Name: "MyScalar"}},
		Enums:   []*metadata.EnumType{{Name: "Color", Values: []*metadata.EnumTypeValue{{Value: "RED"}}}},
	}
	for _, c := range []struct{ typ, body, want string }{
		{"UserId!", `null`, "expecting object for action webhook response but got null"},
		{"UserId", `null`, ""},
		{"UserId", `[{"id":1}]`, "expecting object for action webhook response but got array"},
		{"UserId", `"some-string"`, "got scalar String for the action webhook response, expecting UserId"},
		{"[UserId]", `{"id":1}`, "expecting array for the action webhook response"},
		{"[Int]!", `["foo","bar",null]`, "got scalar String for the action webhook response, expecting Int"},
		{"[Int]!", `[1,2,null]`, ""},
		{"Int", `1.5`, "got scalar Number for the action webhook response, expecting Int"},
		{"[[MyScalar!]]!", `[{"foo":"bar"}]`, "expecting array for the action webhook response"},
		{"[MyScalar!]!", `[{"foo":"bar"}]`, ""},
		{"Nested!", `{"id":null,"child":null}`, `expecting not null value for field "id"`},
		{"Nested!", `{"id":1,"child":{"id":2,"child":{"child":null}}}`, `expecting not null value for field "id"`},
		{"Nested!", `{"id":"a","child":null,"extra":[1]}`, ""},
		{"Color", `"RED"`, ""},
		{"Color", `"BLUE"`, "expecting a value of enum Color for the action webhook response"},
		{"json!", `{"any":["thing"]}`, ""},
		{"String!", `{"a":1}`, "expecting a scalar String for the action webhook response but got an object"},
	} {
		ref, err := metadata.ParseTypeRef(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		v, err := decode([]byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := validate(ct, v, ref); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s <- %s: %q, want %q", c.typ, c.body, got, c.want)
		}
	}
}

func TestDecodeKeepsKeyOrder(t *testing.T) {
	v, err := decode([]byte(`{"b":1,"a":{"d":[true,null],"c":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	encode(&buf, v)
	if got := buf.String(); got != `{"b":1,"a":{"d":[true,null],"c":"x"}}` {
		t.Fatalf("round trip = %s", got)
	}
	if _, err := decode([]byte(`{"a":1} {}`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}
