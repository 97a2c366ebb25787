package conformance

import (
	"fmt"
	"slices"
	"strings"
)

// The transports of FORMAT.md §6, in the order a case runs over them.
const (
	transportHTTP         = "http"
	transportWebsocket    = "websocket"
	transportSubscription = "subscription"
)

// supportedTransports is every transport the runner implements; it is also
// the default of CONFORMANCE_TRANSPORTS.
var supportedTransports = []string{transportHTTP, transportWebsocket, transportSubscription}

// parseTransports reads CONFORMANCE_TRANSPORTS: a comma-separated subset of
// supportedTransports, or "" for all of them. The result keeps the order
// of supportedTransports.
func parseTransports(value string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return slices.Clone(supportedTransports), nil
	}
	chosen := map[string]bool{}
	for _, part := range strings.Split(value, ",") {
		name := strings.ToLower(strings.TrimSpace(part))
		if name == "" {
			continue
		}
		if !slices.Contains(supportedTransports, name) {
			return nil, fmt.Errorf("CONFORMANCE_TRANSPORTS: unknown transport %q (supported: %s)", name, strings.Join(supportedTransports, ","))
		}
		chosen[name] = true
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("CONFORMANCE_TRANSPORTS=%q names no transport", value)
	}
	var out []string
	for _, t := range supportedTransports {
		if chosen[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

// isSocketURL tells which URLs are served over WebSocket as well.
func isSocketURL(url string) bool {
	return url == "/v1/graphql" || url == "/v1alpha1/graphql"
}

// socketApplies reports whether a case can run over websocket or
// subscription: FORMAT.md §6 runs only cases whose every step has a
// `response` and a GraphQL url. (The corpus lists websocket for one
// /v1/query case, whose MANIFEST note says so.)
func socketApplies(c suiteCase) bool {
	if len(c.steps) == 0 {
		return false
	}
	for _, s := range c.steps {
		if s.Response == nil || !isSocketURL(s.URL) {
			return false
		}
	}
	return true
}

// caseTransports is what the case runs over: the transports its MANIFEST
// entry lists that are enabled, in the order of supportedTransports, and
// that apply to it.
func caseTransports(c suiteCase, enabled []string) []string {
	var out []string
	for _, t := range enabled {
		if !slices.Contains(c.Transports, t) {
			continue
		}
		if t != transportHTTP && !socketApplies(c) {
			continue
		}
		out = append(out, t)
	}
	return out
}
