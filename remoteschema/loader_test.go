package remoteschema

import (
	"context"
	"strings"
	"testing"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/tests/helpers/remotegql"
)

func load(t *testing.T, url string, c *metadata.RemoteSchemaCustomization) (*Remote, error) {
	t.Helper()
	info, err := NewLoader(nil).Load(context.Background(), &metadata.RemoteSchemaMeta{Name: "r",
		Definition: metadata.RemoteSchemaDef{URL: url, Customization: c}})
	if err != nil {
		return nil, err
	}
	return info.(*Remote), nil
}

func TestLoaderCustomizesRootFields(t *testing.T) {
	srv, err := remotegql.StartPython(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	r, err := load(t, srv.URL+"/character-iface-graphql", &metadata.RemoteSchemaCustomization{
		TypeNames:  &metadata.RemoteTypeCustomization{Prefix: "Foo", Mapping: map[string]string{"Droid": "Android"}},
		FieldNames: []metadata.RemoteFieldCustomization{{ParentType: "CharacterIFaceQuery", Prefix: "super_"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q, m := r.RootFields()
	if strings.Join(q, ",") != "super_hero,super_heroByArgs,super_heroes" && len(q) != 3 || m != nil {
		t.Fatalf("root fields %v %v", q, m)
	}
	for orig, want := range map[string]string{"Droid": "Android", "Human": "FooHuman", "Int": "Int", "CharacterIFaceQuery": "CharacterIFaceQuery"} {
		if got := r.cz.typeName(orig); got != want {
			t.Errorf("typeName(%s) = %s, want %s", orig, got, want)
		}
	}
	if r.cz.origType("Droid") != "" || r.cz.origType("Android") != "Droid" {
		t.Errorf("origType: %q %q", r.cz.origType("Droid"), r.cz.origType("Android"))
	}
}

func TestLoaderRefusesUnreachableRemote(t *testing.T) {
	_, err := load(t, "http://127.0.0.1:1/graphql", nil)
	ae, ok := err.(*metadata.APIError)
	if !ok || ae.Code != codeRemoteSchemaError || !strings.Contains(ae.Message, `"http://127.0.0.1:1/graphql"`) {
		t.Fatalf("err = %#v", err)
	}
}

func TestResolveEndpointKeepsTemplateForMessages(t *testing.T) {
	t.Setenv("GRAFT_RS_BASE", "http://h:1")
	ep, err := resolveEndpoint(&metadata.RemoteSchemaDef{URL: "{{GRAFT_RS_BASE}}/g"})
	if err != nil || ep.url != "http://h:1/g" || ep.display != "{{GRAFT_RS_BASE}}/g" {
		t.Fatalf("%+v %v", ep, err)
	}
	if _, err := resolveEndpoint(&metadata.RemoteSchemaDef{URL: "{{GRAFT_RS_MISSING}}/g"}); err == nil {
		t.Fatal("a missing variable resolved")
	}
}

func TestOutgoingHeadersPrecedence(t *testing.T) {
	def := &metadata.RemoteSchemaDef{ForwardClientHeaders: true, Headers: []metadata.RemoteHeader{{Name: "x-hasura-test", Value: "abcd"}}}
	client := map[string][]string{"X-Hasura-Test": {"xyzz"}, "Authorization": {"Bearer a"}, "Accept": {"*/*"}, "User-Agent": {"ua"}}
	h, err := outgoingHeaders(def, map[string]string{"x-hasura-role": "user"}, client)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Hasura-Test") != "abcd" || h.Get("Authorization") != "Bearer a" || h.Get("Accept") != "" ||
		h.Get("X-Hasura-Role") != "user" || h.Get("X-Forwarded-User-Agent") != "ua" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", h)
	}
}
