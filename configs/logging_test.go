package configs

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestLogTypeEnabledFollowsTypesAndLevel(t *testing.T) {
	var buf bytes.Buffer
	types := map[string]bool{"webhook-log": true}
	info := NewLogger(&buf, slog.LevelInfo, types)
	if !LogTypeEnabled(info, "webhook-log") || LogTypeEnabled(info, "websocket-log") {
		t.Error("at info level, only the enabled type is on")
	}
	// At warn level Hasura writes no info line of any type.
	if LogTypeEnabled(NewLogger(&buf, slog.LevelWarn, types), "webhook-log") {
		t.Error("webhook-log on at warn level")
	}
	if !LogTypeEnabled(slog.New(slog.NewTextHandler(&buf, nil)), "anything") {
		t.Error("a logger that is not Graft's should write every type")
	}
}

func TestMetricsSecretAndAPI(t *testing.T) {
	env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://x@localhost/db"}
	c, err := Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.EnabledAPIs["metrics"] || c.MetricsSecret != "" {
		t.Errorf("metrics enabled by default (%v) or secret set (%q)", c.EnabledAPIs, c.MetricsSecret)
	}
	env["HASURA_GRAPHQL_ENABLED_APIS"] = "graphql,metrics"
	env["HASURA_GRAPHQL_METRICS_SECRET"] = "s"
	if c, err = Load(func(k string) string { return env[k] }, nil); err != nil {
		t.Fatal(err)
	}
	if !c.EnabledAPIs["metrics"] || c.MetricsSecret != "s" {
		t.Errorf("APIs %v, secret %q", c.EnabledAPIs, c.MetricsSecret)
	}
}
