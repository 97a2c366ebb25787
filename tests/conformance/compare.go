package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDiffs bounds how many differences one comparison reports.
const maxDiffs = 20

// comparison is the verdict on one response body: failures make the step
// fail, warnings (error wording, per FORMAT.md §7.5) are only reported.
type comparison struct {
	failures []string
	warnings []string
}

func (c comparison) ok() bool { return len(c.failures) == 0 }

// compareResponse compares an actual body with the expected one following
// FORMAT.md §7: numbers by value, arrays ordered, objects without key order,
// a missing key differs from null, and error bodies compare softly (only the
// error codes must match). With strictOrder the key order of objects under
// `data` must also match the expected order.
func compareResponse(expected, actual []byte, strictOrder bool) comparison {
	var c comparison
	exp, err := decodeJSON(expected)
	if err != nil {
		c.failures = append(c.failures, fmt.Sprintf("expected body is not JSON: %v", err))
		return c
	}
	act, err := decodeJSON(actual)
	if err != nil {
		c.failures = append(c.failures, fmt.Sprintf("actual body is not JSON: %v", err))
		return c
	}
	compareBody(exp, act, "$", &c)
	if strictOrder && c.ok() {
		c.failures = append(c.failures, compareKeyOrder(expected, actual)...)
	}
	return c
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode json: trailing data after the value")
	}
	return v, nil
}

// compareBody applies the soft error rule at the top level and, for batched
// responses (top-level arrays), to each element on its own.
func compareBody(exp, act any, path string, c *comparison) {
	expList, expIsList := exp.([]any)
	actList, actIsList := act.([]any)
	if expIsList && actIsList {
		if len(expList) != len(actList) {
			c.failures = append(c.failures, fmt.Sprintf("%s: expected %d responses, got %d", path, len(expList), len(actList)))
			return
		}
		for i := range expList {
			compareBody(expList[i], actList[i], fmt.Sprintf("%s[%d]", path, i), c)
		}
		return
	}
	expErr, actErr := isErrorBody(exp), isErrorBody(act)
	switch {
	case expErr && actErr:
		compareErrorBodies(exp, act, path, c)
		return
	case expErr:
		c.failures = append(c.failures, fmt.Sprintf("%s: expected errors with codes %q, got no error", path, errorCodes(exp)))
	case actErr:
		c.failures = append(c.failures, fmt.Sprintf("%s: expected no error, got errors with codes %q: %s", path, errorCodes(act), firstErrorMessage(act)))
	}
	c.failures = append(c.failures, diffValues(exp, act, path)...)
}

// firstErrorMessage quotes the first error of an error body, for reasons.
func firstErrorMessage(v any) string {
	m, _ := v.(map[string]any)
	if list, ok := m["errors"].([]any); ok && len(list) > 0 {
		if e, ok := list[0].(map[string]any); ok {
			if msg, ok := e["message"].(string); ok {
				return truncate(msg, 300)
			}
			m = e // a flat legacy error
		}
	}
	msg, _ := m["error"].(string)
	return truncate(msg, 300)
}

// isErrorBody reports whether v is a GraphQL error response (`errors`) or an
// admin API error (`error`).
func isErrorBody(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, hasErrors := m["errors"]
	_, hasError := m["error"]
	return hasErrors || hasError
}

// compareErrorBodies requires the same list of error codes; any other
// difference (message wording, path, data: null) is only a warning.
func compareErrorBodies(exp, act any, path string, c *comparison) {
	expCodes, actCodes := errorCodes(exp), errorCodes(act)
	if len(expCodes) != len(actCodes) {
		c.failures = append(c.failures, fmt.Sprintf("%s: expected %d errors with codes %q, got %d with codes %q",
			path, len(expCodes), expCodes, len(actCodes), actCodes))
		return
	}
	for i := range expCodes {
		// An expected error without a code constrains nothing but its presence.
		if expCodes[i] != "" && expCodes[i] != actCodes[i] {
			c.failures = append(c.failures, fmt.Sprintf("%s: error %d: expected code %q, got %q", path, i, expCodes[i], actCodes[i]))
		}
	}
	if !c.ok() {
		return
	}
	for _, d := range diffValues(exp, act, path) {
		c.warnings = append(c.warnings, "error body differs: "+d)
	}
}

// errorCodes lists the code of each error: `extensions.code` (or the flat
// `code` of the oldest GraphQL files) per element of `errors`, or the
// top-level `code` of an admin API error.
func errorCodes(v any) []string {
	m, _ := v.(map[string]any)
	if errs, ok := m["errors"]; ok {
		list, ok := errs.([]any)
		if !ok {
			return []string{""}
		}
		codes := make([]string, len(list))
		for i, e := range list {
			em, _ := e.(map[string]any)
			ext, _ := em["extensions"].(map[string]any)
			if code, ok := ext["code"].(string); ok {
				codes[i] = code
			} else {
				codes[i], _ = em["code"].(string)
			}
		}
		return codes
	}
	code, _ := m["code"].(string)
	return []string{code}
}

// diffValues returns the differences between exp and act (at most maxDiffs).
func diffValues(exp, act any, path string) []string {
	var diffs []string
	diffInto(exp, act, path, &diffs)
	return diffs
}

func diffInto(exp, act any, path string, diffs *[]string) {
	if len(*diffs) >= maxDiffs {
		return
	}
	add := func(format string, args ...any) {
		*diffs = append(*diffs, path+": "+fmt.Sprintf(format, args...))
	}
	switch e := exp.(type) {
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			add("expected an object, got %s", describe(act))
			return
		}
		for _, k := range sortedKeys(e) {
			if _, ok := a[k]; !ok {
				add("missing key %q (expected %s)", k, describe(e[k]))
			}
		}
		for _, k := range sortedKeys(a) {
			if _, ok := e[k]; !ok {
				add("unexpected key %q (got %s)", k, describe(a[k]))
			}
		}
		for _, k := range sortedKeys(e) {
			if av, ok := a[k]; ok {
				diffInto(e[k], av, path+"."+k, diffs)
			}
		}
	case []any:
		a, ok := act.([]any)
		if !ok {
			add("expected an array, got %s", describe(act))
			return
		}
		if len(e) != len(a) {
			add("expected %d elements, got %d", len(e), len(a))
		}
		for i := 0; i < len(e) && i < len(a); i++ {
			diffInto(e[i], a[i], fmt.Sprintf("%s[%d]", path, i), diffs)
		}
	case json.Number:
		a, ok := act.(json.Number)
		if !ok || !numbersEqual(e, a) {
			add("expected %s, got %s", describe(exp), describe(act))
		}
	default: // string, bool, nil
		if exp != act {
			add("expected %s, got %s", describe(exp), describe(act))
		}
	}
}

// numbersEqual compares by value, so 2 equals 2.0. Integers compare exactly;
// anything with a fraction or exponent compares as float64, as Python does.
func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	ai, aok := new(big.Int).SetString(string(a), 10)
	bi, bok := new(big.Int).SetString(string(b), 10)
	if aok && bok {
		return ai.Cmp(bi) == 0
	}
	af, aerr := strconv.ParseFloat(string(a), 64)
	bf, berr := strconv.ParseFloat(string(b), 64)
	return aerr == nil && berr == nil && af == bf
}

// describe renders a value with its JSON type, shortened for messages.
func describe(v any) string {
	var kind string
	switch v.(type) {
	case map[string]any:
		kind = "object"
	case []any:
		kind = "array"
	case string:
		kind = "string"
	case json.Number:
		kind = "number"
	case bool:
		kind = "bool"
	case nil:
		return "null"
	}
	b, _ := marshalJSON(v)
	return kind + " " + truncate(string(b), 200)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// truncate shortens s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) { // do not split a character
		n--
	}
	return s[:n] + fmt.Sprintf("... (%d bytes more)", len(s)-n)
}

// isTopLevelOrErrorPath tells the strict-order check which objects to skip:
// FORMAT.md §7.4 compares the top level and the errors without order.
func isTopLevelOrErrorPath(path string) bool {
	rest := strings.TrimPrefix(path, "$")
	if strings.HasPrefix(rest, "[") { // element of a batched response
		if end := strings.Index(rest, "]"); end >= 0 {
			rest = rest[end+1:]
		}
	}
	return rest == "" || !strings.HasPrefix(rest, ".data")
}
