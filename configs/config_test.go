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
