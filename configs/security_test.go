package configs

import (
	"strings"
	"testing"
)

func TestSecurityDefaultsAreHasuras(t *testing.T) {
	c, err := Load(env(map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://u@h/db"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CORS.String() != "*" || c.CORS.Disabled || !c.CORS.Allows("https://any.example") {
		t.Fatalf("CORS default %q (disabled %v): want *", c.CORS, c.CORS.Disabled)
	}
	if !c.EnabledAPIs["graphql"] || !c.EnabledAPIs["metadata"] || c.EnabledAPIs["developer"] || c.EnableAllowlist {
		t.Fatalf("defaults: apis %v, allowlist %v", c.EnabledAPIs, c.EnableAllowlist)
	}
}

func TestSecuritySettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":     "postgres://u@h/db",
		"HASURA_GRAPHQL_CORS_DOMAIN":      "https://*.example.com, http://localhost:3000",
		"HASURA_GRAPHQL_DISABLE_CORS":     "true",
		"HASURA_GRAPHQL_WS_READ_COOKIE":   "true",
		"HASURA_GRAPHQL_ENABLED_APIS":     " GraphQL ",
		"HASURA_GRAPHQL_ENABLE_ALLOWLIST": "true",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.CORS.Disabled || !c.CORS.ReadCookie || c.CORS.DropsCookie() || !c.EnableAllowlist {
		t.Fatalf("%+v", c.CORS)
	}
	if len(c.EnabledAPIs) != 1 || !c.EnabledAPIs["graphql"] {
		t.Fatalf("apis %v", c.EnabledAPIs)
	}
	for name, val := range map[string]string{
		"HASURA_GRAPHQL_CORS_DOMAIN":      "example.com",
		"HASURA_GRAPHQL_DISABLE_CORS":     "maybe",
		"HASURA_GRAPHQL_ENABLED_APIS":     "graphql,rest",
		"HASURA_GRAPHQL_ENABLE_ALLOWLIST": "yes please",
	} {
		_, err := Load(env(map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://u@h/db", name: val}), nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming the variable", name, val, err)
		}
	}
}
