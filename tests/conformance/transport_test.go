package conformance

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestParseTransports(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", supportedTransports, false},
		{"http", []string{"http"}, false},
		{" subscription , http ", []string{"http", "subscription"}, false},
		{"WebSocket,websocket", []string{"websocket"}, false},
		{"http,grpc", nil, true},
		{",", nil, true},
	} {
		got, err := parseTransports(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("parseTransports(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestCaseTransports(t *testing.T) {
	gql := Step{URL: "/v1/graphql", Response: json.RawMessage(`{}`)}
	mk := func(transports []string, steps ...Step) suiteCase {
		return suiteCase{CaseEntry: CaseEntry{Transports: transports}, steps: steps}
	}
	all := []string{"http", "websocket", "subscription"}
	for _, tc := range []struct {
		name    string
		c       suiteCase
		enabled []string
		want    []string
	}{
		{"listed and enabled", mk(all, gql), supportedTransports, all},
		{"restricted", mk(all, gql), []string{"websocket"}, []string{"websocket"}},
		{"not listed", mk([]string{"http"}, gql), supportedTransports, []string{"http"}},
		{"admin url", mk(all, Step{URL: "/v1/query", Response: json.RawMessage(`{}`)}), supportedTransports, []string{"http"}},
		{"a step without response", mk(all, gql, Step{URL: "/v1/graphql"}), supportedTransports, []string{"http"}},
		{"nothing to run", mk([]string{"http"}, gql), []string{"websocket"}, nil},
	} {
		if got := caseTransports(tc.c, tc.enabled); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAsSubscription(t *testing.T) {
	got, err := asSubscription([]byte(`{"query":"query {\n  author { id }\n}","variables":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Query     string         `json:"query"`
		Variables map[string]int `json:"variables"`
	}
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if want := "subscription @_multiple_top_level_fields {\n  author { id }\n}"; m.Query != want || m.Variables["x"] != 1 {
		t.Errorf("got %q %v, want %q", m.Query, m.Variables, want)
	}
	got, err = asSubscription([]byte(`{"query":"query Q($id: Int) { a(id: $id) { b } }"}`))
	if err != nil || string(got) != `{"query":"subscription Q($id: Int) @_multiple_top_level_fields { a(id: $id) { b } }"}` {
		t.Errorf("named operation: %s %v", got, err)
	}
	for _, bad := range []string{`{"query":"{ a }"}`, `{"query":"mutation { a }"}`, `[{"query":"query { a }"}]`} {
		if _, err := asSubscription([]byte(bad)); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}
