package tracing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// samplerFromEnv is the SDK's sampler for OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG, read as the SDK reads them (it does not export
// its reader); parentOn reports the default, parent-based always-on.
func samplerFromEnv(getenv func(string) string) (s sdktrace.Sampler, parentOn bool, err error) {
	name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("%w: %q", errSamplerArg, arg)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), true, nil
	case "always_on":
		return sdktrace.AlwaysSample(), false, nil
	case "always_off":
		return sdktrace.NeverSample(), false, nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), false, nil
	case "traceidratio":
		s, err := ratio()
		return s, false, err
	case "parentbased_traceidratio":
		s, err := ratio()
		if err != nil {
			return nil, false, err
		}
		return sdktrace.ParentBased(s), false, nil
	}
	return nil, false, fmt.Errorf("unsupported sampler %q", name)
}

var errSamplerArg = errors.New("OTEL_TRACES_SAMPLER_ARG: not a ratio between 0 and 1")
