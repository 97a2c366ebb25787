package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// compareKeyOrder is the best-effort strict-order check
// (CONFORMANCE_STRICT_ORDER=1): for every object under `data` that both
// bodies have, the keys they share must come in the same order. It cannot
// tell selection sets from jsonb leaf values, so it may flag a jsonb object
// whose key order differs; that is why it is opt-in.
func compareKeyOrder(expected, actual []byte) []string {
	expOrders, err := objectKeyOrders(expected)
	if err != nil {
		return []string{fmt.Sprintf("strict order: expected body: %v", err)}
	}
	actOrders, err := objectKeyOrders(actual)
	if err != nil {
		return []string{fmt.Sprintf("strict order: actual body: %v", err)}
	}
	paths := make([]string, 0, len(expOrders))
	for p := range expOrders {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var failures []string
	for _, p := range paths {
		if isTopLevelOrErrorPath(p) {
			continue
		}
		actKeys, ok := actOrders[p]
		if !ok {
			continue
		}
		e, a := sharedKeys(expOrders[p], actKeys), sharedKeys(actKeys, expOrders[p])
		if !slices.Equal(e, a) {
			failures = append(failures, fmt.Sprintf("%s: key order expected %q, got %q", p, e, a))
		}
		if len(failures) >= maxDiffs {
			break
		}
	}
	return failures
}

// sharedKeys keeps the keys of keys that also occur in other, in order.
func sharedKeys(keys, other []string) []string {
	var out []string
	for _, k := range keys {
		if slices.Contains(other, k) {
			out = append(out, k)
		}
	}
	return out
}

// objectKeyOrders maps the path of every object in a JSON text (in the same
// `$.a[0].b` notation as the diffs) to its keys in document order.
func objectKeyOrders(body []byte) (map[string][]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	out := map[string][]string{}
	if err := walkKeyOrder(dec, "$", out); err != nil {
		return nil, fmt.Errorf("scan json: %w", err)
	}
	return out, nil
}

func walkKeyOrder(dec *json.Decoder, path string, out map[string][]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch delim {
	case '{':
		keys := []string{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := keyTok.(string)
			keys = append(keys, key)
			if err := walkKeyOrder(dec, path+"."+key, out); err != nil {
				return err
			}
		}
		out[path] = keys
	case '[':
		for i := 0; dec.More(); i++ {
			if err := walkKeyOrder(dec, fmt.Sprintf("%s[%d]", path, i), out); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}
