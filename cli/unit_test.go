package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestCLIConfigVersions(t *testing.T) {
	cfg, err := parseConfig([]byte("version: 3\nendpoint: http://x:1\n"))
	if err != nil || cfg.MigrationsDirectory != "migrations" || cfg.SeedsDirectory != "seeds" || cfg.MetadataDirectory != "metadata" {
		t.Errorf("v3 defaults: %+v %v", cfg, err)
	}
	for raw, want := range map[string]string{
		"endpoint: http://x\n": "config version 1 is not supported",
		"version: 2\n":         "config version 2 is not supported",
		"version: 4\n":         "unknown config version 4",
		"version: three\n":     "malformed YAML",
	} {
		if _, err := parseConfig([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", raw, err, want)
		}
	}
}

func TestCLIConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config.yaml", "version: 3\nendpoint: http://file\nadmin_secret: file\n")
	env := map[string]string{"HASURA_GRAPHQL_ENDPOINT": "http://env"}
	p, err := LoadProject(dir, func(k string) string { return env[k] }, Overrides{AdminSecret: "flag"})
	if err != nil || p.Config.Endpoint != "http://env" || p.Config.AdminSecret != "flag" {
		t.Errorf("precedence: %+v %v", p, err)
	}
}

func TestCLIPlan(t *testing.T) {
	local := []Migration{{Version: 1, Name: "a"}, {Version: 2, Name: "b"}, {Version: 3, Name: "c"}, {Version: 4, Name: "d"}}
	applied := map[int64]bool{1: false, 2: false}
	names := func(steps []step) string {
		var out []string
		for _, s := range steps {
			out = append(out, s.m.Name+":"+s.direction())
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		o    ApplyOptions
		want string
	}{
		{ApplyOptions{}, "c:up,d:up"},
		{ApplyOptions{Up: "1"}, "c:up"},
		{ApplyOptions{Down: "1"}, "b:down"},
		{ApplyOptions{Down: "all"}, "b:down,a:down"},
		{ApplyOptions{Goto: "3"}, "c:up"},
		{ApplyOptions{Goto: "1"}, "b:down"},
		{ApplyOptions{Version: "4"}, "d:up"},
		{ApplyOptions{Version: "2", Type: "down"}, "b:down"},
	} {
		steps, err := plan(local, applied, c.o)
		if err != nil || names(steps) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.o, names(steps), err, c.want)
		}
	}
	for _, o := range []ApplyOptions{{Up: "1", Down: "1"}, {Version: "9"}, {Version: "1"}, {Down: "0"}, {SkipExecution: true, DryRun: true}, {Goto: "2", SkipExecution: true}} {
		if _, err := plan(local, applied, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := plan(local, map[int64]bool{1: false, 7: false}, ApplyOptions{Down: "1"}); err == nil || !strings.Contains(err.Error(), "version 7") {
		t.Errorf("rolling back a version without files: %v", err)
	}
}

// TestCLIYAMLKeepsOrderAndValues converts JSON to YAML and back: key order,
// numbers, strings that look like other types, and multi-line strings survive.
func TestCLIYAMLKeepsOrderAndValues(t *testing.T) {
	in := `{"z":1,"a":{"y":"true","b":"0123","c":1.50,"n":null,"t":true,"m":"line1\nline2","e":[],"o":{}},"big":12345678901234567890}`
	n, err := jsonToNode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	y, err := encodeYAML(n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := nodeToJSON(&buf, back, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != in {
		t.Errorf("round trip:\n in %s\nout %s\nyaml:\n%s", in, buf.String(), y)
	}
}
