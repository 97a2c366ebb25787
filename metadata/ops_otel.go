package metadata

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/graftql/graft/tracing"
)

// OpenTelemetry operations, as Hasura's (Hasura.RQL.DDL.OpenTelemetry): the
// config object is stored as given; package tracing reads it.

// otelOps are registered by api.go.
var otelOps = map[string]opFunc{
	"set_opentelemetry_config": opSetOpenTelemetryConfig,
	"set_opentelemetry_status": opSetOpenTelemetryStatus,
}

func opSetOpenTelemetryConfig(w *work, r *Request) (any, error) {
	var cfg map[string]json.RawMessage
	if err := decodeArgs(r, &cfg); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode opentelemetry: %w", err)
	}
	return w.storeOpenTelemetry(raw)
}

func opSetOpenTelemetryStatus(w *work, r *Request) (any, error) {
	var status string
	if err := decodeArgs(r, &status); err != nil {
		return nil, err
	}
	if status != "enabled" && status != "disabled" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args",
			Message: `Invalid status; expected "enabled" or "disabled"`}
	}
	cfg := map[string]json.RawMessage{}
	if len(w.md.OpenTelemetry) > 0 {
		if err := json.Unmarshal(w.md.OpenTelemetry, &cfg); err != nil {
			return nil, fmt.Errorf("stored opentelemetry: %w", err)
		}
	}
	cfg["status"], _ = json.Marshal(status)
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode opentelemetry: %w", err)
	}
	return w.storeOpenTelemetry(raw)
}

// storeOpenTelemetry refuses a config that enables traces the exporter
// could not send (no endpoint, another protocol, a missing header
// variable), as Hasura does, rather than silently exporting nothing.
func (w *work) storeOpenTelemetry(raw json.RawMessage) (any, error) {
	if _, _, err := tracing.FromMetadata(raw, os.Getenv); err != nil {
		return nil, &APIError{Status: 400, Code: "invalid-configuration", Path: "$.args", Message: err.Error()}
	}
	w.md.OpenTelemetry = raw
	w.changed = true
	return success, nil
}
