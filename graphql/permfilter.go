package graphql

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graftql/graft/metadata"
)

// permFilter is the role's select filter on a table, compiled for alias; "" for admin.
func (c *compiler) permFilter(t *metadata.Table, alias string) (string, error) {
	a := c.rs.access[t]
	if a == nil || a.Unlimited || c.inPermission {
		return "", nil
	}
	if len(a.Parents) > 0 {
		f, err := c.inheritedFilter(a.Parents, t, alias)
		if err != nil || f == "true" {
			return "", err
		}
		return f, nil
	}
	exp := c.sessionResolved(a.Filter)
	c.inPermission = true
	s, err := c.boolExp(t, alias, exp)
	c.inPermission = false
	if err != nil {
		return "", fmt.Errorf("permission filter on %s: %w", t.Name.String(), err)
	}
	if s == "true" {
		return "", nil
	}
	return s, nil
}

// sessionResolved converts a stored permission filter into an input value,
// replacing x-hasura-* strings with the session's values.
func (c *compiler) sessionResolved(v any) object {
	return asObject(c.resolveSessionValue(v, ""))
}

// resolveSessionValue resolves v, found under key. In a compile for reuse a
// session variable compared by a simple operator becomes a boundValue, so
// later sessions only re-bind it; anywhere else its value may shape the
// SQL, and the compile is not reused.
func (c *compiler) resolveSessionValue(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(object, 0, len(v))
		for _, k := range keys {
			name := k
			if strings.HasPrefix(name, "$") {
				name = "_" + name[1:] // the legacy $eq/$or spelling
			}
			out = append(out, objField{Name: name, Value: c.resolveSessionValue(v[k], name)})
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = c.resolveSessionValue(x, "")
		}
		return out
	case string:
		name := strings.ToLower(v)
		if strings.HasPrefix(name, "x-hasura-") {
			if name == "x-hasura-role" {
				return c.session.Role
			}
			if sv, ok := c.session.Vars[name]; ok {
				if _, simple := simpleOps[key]; simple && c.reusing {
					return boundValue{name: name, session: true, v: sv}
				}
				c.notReusable = true
				return sv
			}
			return missingSessionVar(name)
		}
		return v
	case float64:
		return fmt.Sprint(v)
	}
	return v
}

// missingSessionVar stands for a session variable a permission names but
// the request does not carry; using it is an error, as in Hasura.
type missingSessionVar string

func (m missingSessionVar) err() error {
	return &queryError{Code: "not-found", Path: "$", Message: fmt.Sprintf("missing session variable: %q", string(m))}
}
