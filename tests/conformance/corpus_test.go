package conformance

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestCorpusLoads loads every fixture and case file MANIFEST lists, without
// a server, and checks each step is runnable.
func TestCorpusLoads(t *testing.T) {
	_, corpus := requireCorpus(t, false)
	m, err := loadManifest(corpus)
	if err != nil {
		t.Fatal(err)
	}
	s, err := loadSuite(corpus, m, "")
	if err != nil {
		t.Fatal(err)
	}
	dirs := s.dirs
	if len(dirs) != m.Counts.Directories {
		t.Errorf("loaded %d directories, MANIFEST counts %d", len(dirs), m.Counts.Directories)
	}
	cases, steps := 0, 0
	for _, d := range dirs {
		if d.FeatureArea == "" {
			t.Errorf("%s: no feature_area", d.Dir)
		}
		for _, fixtures := range [][]fixtureBody{d.setup, d.teardown, d.perCaseSetup, d.perCaseTeardown} {
			for _, f := range fixtures {
				var body struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal(f.body, &body); err != nil || body.Type == "" {
					t.Errorf("%s/%s: fixture is not an admin API body {type, args}: %v", d.Dir, f.file, err)
				}
			}
		}
		for _, c := range d.cases {
			cases++
			steps += len(c.steps)
			for i, s := range c.steps {
				if !strings.HasPrefix(s.URL, "/") || s.Status == 0 || !json.Valid(s.Query) {
					t.Errorf("%s step %d: url %q, status %d, query valid %v", c.name(), i, s.URL, s.Status, json.Valid(s.Query))
				}
				if s.adminBody && c.AdminBody != nil && s.URL != c.AdminBody.Endpoint {
					t.Errorf("%s: bare admin body goes to %s, admin_body says %s", c.name(), s.URL, c.AdminBody.Endpoint)
				}
				if !s.adminBody && !slices.Contains(c.URLs, s.URL) {
					t.Errorf("%s step %d: url %s is not among MANIFEST urls %v", c.name(), i, s.URL, c.URLs)
				}
				if s.Response != nil && !json.Valid(s.Response) {
					t.Errorf("%s step %d: response is not valid JSON", c.name(), i)
				}
			}
		}
	}
	if cases != m.Counts.Cases || steps != m.Counts.Steps {
		t.Errorf("loaded %d cases with %d steps, MANIFEST counts %d cases with %d steps", cases, steps, m.Counts.Cases, m.Counts.Steps)
	}
}

func TestYAMLToJSON(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"key order kept", "b: 1\na: 2\n", `{"b":1,"a":2}`},
		{"numbers as written", "a: 1.0\nb: -3\nc: 2.5e3\nd: 0x1F\n", `{"a":1.0,"b":-3,"c":2.5e3,"d":31}`},
		{"quoted numbers stay strings", "a: '1'\nb: \"2\"\n", `{"a":"1","b":"2"}`},
		{"null and bool", "a:\nb: ~\nc: true\n", `{"a":null,"b":null,"c":true}`},
		{"dates stay strings", "a: 2018-01-01\n", `{"a":"2018-01-01"}`},
		{"no html escaping", "sql: select 1 where a < b && c > d\n", `{"sql":"select 1 where a < b && c > d"}`},
		{"alias", "x: &id001\n  name: A\ny: *id001\n", `{"x":{"name":"A"},"y":{"name":"A"}}`},
		{"merge key, own keys win", "base: &b\n  a: 1\n  b: 2\nc:\n  <<: *b\n  b: 3\n  d: 4\n",
			`{"base":{"a":1,"b":2},"c":{"a":1,"b":3,"d":4}}`},
		{"merge list, earlier wins", "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n",
			`{"x":{"a":1},"y":{"a":2,"b":2},"z":{"a":1,"b":2}}`},
		{"list document", "- url: /v1/graphql\n- url: /v1/query\n", `[{"url":"/v1/graphql"},{"url":"/v1/query"}]`},
		{"empty document", "", `null`},
		{"yaml 1.1 booleans, as PyYAML reads them", "a: yes\nb: Off\nc: 'yes'\nd: \"no\"\n", `{"a":true,"b":false,"c":"yes","d":"no"}`},
		{"non-string keys become strings", "1: a\ntrue: b\n~: c\n0x1F: d\n'2': f\n", `{"1":"a","true":"b","null":"c","31":"d","2":"f"}`},
		{"keys equal in Python merge", "true: a\non: b\n", `{"true":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := yamlToJSON([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	for raw, want := range map[string]string{`"user"`: "user", `2`: "2", `2.0`: "2.0", `true`: "True", `null`: "None"} {
		if got := headerValue(json.RawMessage(raw)); got != want {
			t.Errorf("headerValue(%s) = %q, want %q", raw, got, want)
		}
	}
}

func TestLoadCaseSingleStepAndNullResponse(t *testing.T) {
	raw := rawStep{URL: "/v1/query", Status: new(int), Query: json.RawMessage(`{"type":"run_sql"}`), Response: json.RawMessage("null")}
	s, err := raw.toStep()
	if err != nil {
		t.Fatal(err)
	}
	if s.Response != nil {
		t.Errorf("a null response must mean status only, got %s", s.Response)
	}
	raw.Query = nil
	if _, err := raw.toStep(); err == nil {
		t.Error("a step without query must be rejected")
	}
}
