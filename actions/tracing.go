package actions

import (
	"errors"
	"strconv"
	"strings"
)

// spanError is what an action webhook's span records for f: its message,
// and what happened underneath when Hasura's message alone does not say
// (the transport's error, "invalid json", the status a handler answered).
// nil when the call succeeded; a nil *failure must not become a non-nil
// error.
func spanError(f *failure) error {
	if f == nil {
		return nil
	}
	msg := f.message
	switch e := f.internal["error"].(type) {
	case string:
		msg += ": " + e
	case map[string]any:
		if m, ok := e["message"].(string); ok && m != "" {
			msg += ": " + m
		}
	}
	if resp, ok := f.internal["response"].(map[string]any); ok {
		if status, ok := resp["status"].(int); ok && !strings.Contains(msg, "status") {
			msg += " (HTTP " + strconv.Itoa(status) + ")"
		}
	}
	return errors.New(msg)
}
