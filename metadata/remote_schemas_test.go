package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type fakeInfo struct{ query, mutation []string }

func (f fakeInfo) RootFields() ([]string, []string) { return f.query, f.mutation }
func (f fakeInfo) Introspection() json.RawMessage   { return json.RawMessage(`{}`) }

// fakeLoader answers by URL and counts its loads.
type fakeLoader struct {
	loads int
	infos map[string]RemoteSchemaInfo
}

func (l *fakeLoader) Load(_ context.Context, rs *RemoteSchemaMeta) (RemoteSchemaInfo, error) {
	l.loads++
	if info, ok := l.infos[rs.Definition.URL]; ok {
		return info, nil
	}
	return nil, RemoteError(codeRemoteSchemaError, "HTTP exception occurred while sending the request to \""+rs.Definition.URL+"\"", nil)
}

func remoteMetadata(t *testing.T, list ...RemoteSchemaMeta) *Metadata {
	t.Helper()
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return &Metadata{Version: 3, RemoteSchemas: b}
}

func TestRemoteSchemaCacheLoadsOncePerDefinition(t *testing.T) {
	l := &fakeLoader{infos: map[string]RemoteSchemaInfo{"http://a": fakeInfo{query: []string{"a"}}}}
	m := &Manager{}
	m.SetRemoteSchemaLoader(l, false)
	rs := &RemoteSchemaMeta{Name: "a", Definition: RemoteSchemaDef{URL: "http://a"}}
	for range 3 {
		if _, err := m.remotes.load(context.Background(), rs); err != nil {
			t.Fatal(err)
		}
	}
	if l.loads != 1 {
		t.Fatalf("%d loads, want 1", l.loads)
	}
	rs.Definition.TimeoutSeconds = new(int)
	m.remotes.load(context.Background(), rs)
	m.remotes.forget([]string{"a"})
	m.remotes.load(context.Background(), rs)
	if l.loads != 3 {
		t.Fatalf("%d loads, want 3 (a changed definition and a forget load again)", l.loads)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bad := &RemoteSchemaMeta{Name: "b", Definition: RemoteSchemaDef{URL: "http://down"}}
	m.remotes.load(ctx, bad)
	if _, ok := m.remotes.entries["b"]; ok {
		t.Fatal("a load ended by its request was kept")
	}
}

func TestResolveRemoteSchemasConflicts(t *testing.T) {
	l := &fakeLoader{infos: map[string]RemoteSchemaInfo{
		"http://hello": fakeInfo{query: []string{"hello"}},
		"http://users": fakeInfo{query: []string{"user"}, mutation: []string{"insert_user"}},
	}}
	m := &Manager{}
	m.SetRemoteSchemaLoader(l, false)
	md := remoteMetadata(t,
		RemoteSchemaMeta{Name: "one", Definition: RemoteSchemaDef{URL: "http://hello"}},
		RemoteSchemaMeta{Name: "two", Definition: RemoteSchemaDef{URL: "http://hello"}},
		RemoteSchemaMeta{Name: "users", Definition: RemoteSchemaDef{URL: "http://users"}},
		RemoteSchemaMeta{Name: "down", Definition: RemoteSchemaDef{URL: "http://down"}},
	)
	s := &Snapshot{Tables: []*Table{{RootFields: defaultRootFields("user")}}}
	m.resolveRemoteSchemas(context.Background(), md, s)
	if len(s.RemoteSchemas) != 1 || s.RemoteSchemas[0].Meta.Name != "one" {
		t.Fatalf("served %v", s.RemoteSchemas)
	}
	want := map[string]string{"remote_schema two": "invalid-configuration", "remote_schema users": codeRemoteSchemaConflicts,
		"remote_schema down": codeRemoteSchemaError}
	for _, inc := range s.Inconsistent {
		if want[inc.Name] != inc.code || inc.Type != "remote_schema" || !strings.HasPrefix(inc.Reason, inconsistentPrefix) {
			t.Errorf("%s: code %q reason %q", inc.Name, inc.code, inc.Reason)
		}
		delete(want, inc.Name)
	}
	if len(want) > 0 {
		t.Fatalf("not reported: %v", want)
	}
}

func TestRemoteSchemaDefinitionChecks(t *testing.T) {
	for _, c := range []struct {
		def  RemoteSchemaDef
		code string
	}{
		{RemoteSchemaDef{}, "invalid-params"},
		{RemoteSchemaDef{URL: "http://a", URLFromEnv: "A"}, "invalid-params"},
		{RemoteSchemaDef{URL: "http://a", Headers: []RemoteHeader{{Name: "x"}}}, "parse-failed"},
		{RemoteSchemaDef{URL: "http://a", Customization: &RemoteSchemaCustomization{FieldNames: []RemoteFieldCustomization{
			{ParentType: "T", Mapping: map[string]string{"__typename": "t"}}}}}, "invalid-params"},
	} {
		var ae *APIError
		if err := checkRemoteSchemaDef(&c.def); !errors.As(err, &ae) || ae.Code != c.code {
			t.Errorf("%+v: %v, want %s", c.def, err, c.code)
		}
	}
	if err := checkRemoteSchemaDef(&RemoteSchemaDef{URLFromEnv: "A"}); err != nil {
		t.Fatal(err)
	}
}
