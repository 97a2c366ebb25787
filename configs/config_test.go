package configs

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFlagsOverrideEnvAndDefaultsApply(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--server-port", "9090", "--admin-secret", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":  "postgres://u@h/db",
		"HASURA_GRAPHQL_SERVER_PORT":   "8081",
		"HASURA_GRAPHQL_ADMIN_SECRET":  "from-env",
		"HASURA_GRAPHQL_ADMIN_SECRETS": `["old","new"]`,
	}), fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9090 || c.ListenAddr() != ":9090" {
		t.Fatalf("port %d, addr %s: the flag must win", c.Port, c.ListenAddr())
	}
	if strings.Join(c.AdminSecrets, ",") != "from-flag,old,new" {
		t.Fatalf("admin secrets %v", c.AdminSecrets)
	}
	if c.PGConnections != 50 || c.LiveFallback != 5*time.Second || c.LiveDebounce != 5*time.Millisecond || c.WALMode != "auto" || !c.EnabledLogTypes["http-log"] {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

// The heap floor is on by default and off at 0 (gcfloor leaves it to an
// operator's GOGC when one is set).
func TestGCMinHeap(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 64},
		{map[string]string{"GRAFT_GC_MIN_HEAP_MB": "256"}, 256},
		{map[string]string{"GRAFT_GC_MIN_HEAP_MB": "0"}, 0},
	} {
		c.env["HASURA_GRAPHQL_DATABASE_URL"] = "postgres://u@h/db"
		cfg, err := Load(env(c.env), nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.GCMinHeapMB != c.want {
			t.Errorf("%v: GC min heap %d MB, want %d", c.env, cfg.GCMinHeapMB, c.want)
		}
	}
}

func TestBadValuesNameTheirVariable(t *testing.T) {
	base := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://u@h/db"}
	for name, val := range map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":          "mysql://nope",
		"HASURA_GRAPHQL_SERVER_PORT":           "70000",
		"HASURA_GRAPHQL_PG_CONNECTIONS":        "many",
		"HASURA_GRAPHQL_DEV_MODE":              "perhaps",
		"HASURA_GRAPHQL_LOG_LEVEL":             "loud",
		"HASURA_GRAPHQL_JWT_SECRET":            `{"type":"HS256","key":"short"}`,
		"HASURA_GRAPHQL_AUTH_HOOK_MODE":        "PUT",
		"HASURA_GRAPHQL_WAL_MODE":              "sometimes",
		"HASURA_GRAPHQL_LIVE_QUERIES_DEBOUNCE": "-1",
		"HASURA_GRAPHQL_REDIS_URL":             "http://not-redis",
		"GRAFT_GC_MIN_HEAP_MB":                 "-64",
	} {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = val
		if name == "HASURA_GRAPHQL_AUTH_HOOK_MODE" {
			m["HASURA_GRAPHQL_AUTH_HOOK"] = "http://127.0.0.1:1/hook"
		}
		_, err := Load(env(m), nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v does not name the variable", name, val, err)
		}
	}
}

func TestFlagsAreTypedWithTheirDefaults(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	RegisterFlags(fs)
	want := map[kind]string{kindString: "string", kindInt: "int", kindBool: "bool"}
	for _, s := range settings {
		f := fs.Lookup(s.flag)
		if f == nil {
			t.Fatalf("--%s is not registered", s.flag)
		}
		if f.Value.Type() != want[s.kind] || f.DefValue != s.def {
			t.Errorf("--%s: type %s default %q, want %s %q", s.flag, f.Value.Type(), f.DefValue, want[s.kind], s.def)
		}
	}
	usage := fs.FlagUsages()
	for _, line := range []string{
		"--server-port int ",
		"(default 8080)",
		"--dev-mode ",
		"--live-queries-fallback-refetch-interval int ",
		"(default 5000)",
		`--wal-mode string `,
		"read the WAL: auto (whenever the database allows logical replication; otherwise live queries fall back to refetching), always (fail start-up if it cannot), or off (env HASURA_GRAPHQL_WAL_MODE) (default \"auto\")",
	} {
		if !strings.Contains(usage, line) {
			t.Errorf("help lacks %q:\n%s", line, usage)
		}
	}
}

func TestBadFlagValuesNameTheFlag(t *testing.T) {
	base := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://u@h/db"}
	// Malformed numbers and booleans are refused while parsing.
	for _, args := range [][]string{{"--server-port", "abc"}, {"--pg-connections=many"}, {"--dev-mode=perhaps"}} {
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		RegisterFlags(fs)
		err := fs.Parse(args)
		flag := strings.SplitN(args[0], "=", 2)[0]
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%v: parse error %v does not name %s", args, err, flag)
		}
	}
	// Well-formed but invalid values are refused by Load, naming the flag
	// (not the variable, which may be set to something else or not at all).
	for _, args := range [][]string{
		{"--server-port", "70000"},
		{"--live-queries-debounce", "-1"},
		{"--wal-mode", "sometimes"},
		{"--log-level", "loud"},
		{"--jwt-secret", `{"type":"HS256","key":"short"}`},
		{"--database-url", "mysql://nope"},
		{"--redis-url", "http://not-redis"},
		{"--admin-secrets", "not-json"},
	} {
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		RegisterFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		_, err := Load(env(base), fs)
		if err == nil || !strings.Contains(err.Error(), args[0]) || strings.Contains(err.Error(), "HASURA_GRAPHQL_") {
			t.Errorf("%v: error %v, want one naming %s only", args, err, args[0])
		}
	}
	// A flag's valid value wins over a bad variable, which is then never read.
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--server-port", "9091", "--dev-mode"}); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "abc", "HASURA_GRAPHQL_DEV_MODE": "perhaps"}
	for k, v := range base {
		m[k] = v
	}
	c, err := Load(env(m), fs)
	if err != nil || c.Port != 9091 || !c.DevMode {
		t.Fatalf("config %+v, error %v: the flags must win", c, err)
	}
}
