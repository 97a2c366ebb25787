package tracing

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Config is where and how spans are exported: Hasura's opentelemetry
// metadata object, or the standard OTEL_* variables when metadata has none.
type Config struct {
	// Enabled is false when nothing is exported: the no-op tracer serves.
	Enabled bool
	// Endpoint is the OTLP/HTTP traces URL; empty lets the exporter read
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	Headers  map[string]string
	// Attributes are resource attributes, over the SDK's defaults (which
	// read OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES).
	Attributes map[string]string
	// BatchSize is the batch span processor's max_export_batch_size; 0
	// keeps the SDK default (OTEL_BSP_MAX_EXPORT_BATCH_SIZE or 512).
	BatchSize int
}

// otelMetadata is Hasura's opentelemetry metadata object
// (set_opentelemetry_config's args).
type otelMetadata struct {
	Status       string   `json:"status"`
	DataTypes    []string `json:"data_types"`
	ExporterOTLP struct {
		TracesEndpoint     string      `json:"otlp_traces_endpoint"`
		Protocol           string      `json:"protocol"`
		Headers            []nameValue `json:"headers"`
		ResourceAttributes []nameValue `json:"resource_attributes"`
		TracesPropagators  []string    `json:"traces_propagators"`
	} `json:"exporter_otlp"`
	BatchSpanProcessor struct {
		MaxExportBatchSize int `json:"max_export_batch_size"`
	} `json:"batch_span_processor"`
}

type nameValue struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	ValueFromEnv string `json:"value_from_env"`
}

// FromMetadata reads Hasura's opentelemetry metadata object. ok is false
// when raw is empty, so that the environment decides instead.
func FromMetadata(raw json.RawMessage, getenv func(string) string) (cfg Config, ok bool, err error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return Config{}, false, nil
	}
	var m otelMetadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return Config{}, true, fmt.Errorf("opentelemetry metadata: %w", err)
	}
	traces := len(m.DataTypes) == 0
	for _, d := range m.DataTypes {
		traces = traces || d == "traces"
	}
	if m.Status != "enabled" || !traces {
		return Config{}, true, nil
	}
	if p := m.ExporterOTLP.Protocol; p != "" && p != "http/protobuf" {
		return Config{}, true, fmt.Errorf("opentelemetry metadata: protocol %q: only http/protobuf is supported", p)
	}
	if m.ExporterOTLP.TracesEndpoint == "" {
		return Config{}, true, fmt.Errorf("opentelemetry metadata: exporter_otlp.otlp_traces_endpoint is required when traces are enabled")
	}
	cfg = Config{Enabled: true, Endpoint: m.ExporterOTLP.TracesEndpoint, BatchSize: m.BatchSpanProcessor.MaxExportBatchSize}
	if cfg.Headers, err = pairs(m.ExporterOTLP.Headers, getenv); err != nil {
		return Config{}, true, fmt.Errorf("opentelemetry metadata: headers: %w", err)
	}
	if cfg.Attributes, err = pairs(m.ExporterOTLP.ResourceAttributes, getenv); err != nil {
		return Config{}, true, fmt.Errorf("opentelemetry metadata: resource_attributes: %w", err)
	}
	return cfg, true, nil
}

func pairs(list []nameValue, getenv func(string) string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(list))
	for _, nv := range list {
		v := nv.Value
		if nv.ValueFromEnv != "" {
			if v = getenv(nv.ValueFromEnv); v == "" {
				return nil, fmt.Errorf("%s: environment variable %s is not set", nv.Name, nv.ValueFromEnv)
			}
		}
		out[nv.Name] = v
	}
	return out, nil
}

// FromEnv reads the standard OpenTelemetry variables: traces are exported
// when an OTLP endpoint is set, unless the SDK or the traces exporter is
// switched off. The exporter, sampler and resource read the rest
// (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS...).
func FromEnv(getenv func(string) string) Config {
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || getenv("OTEL_TRACES_EXPORTER") == "none" {
		return Config{}
	}
	if getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" {
		return Config{}
	}
	return Config{Enabled: true}
}
