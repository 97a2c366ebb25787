package authz

import (
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is the JSONPath subset Hasura accepts in claims_namespace_path
// and claims_map: $, .key, ['key'], ["key"] and [index].
type jsonPath []any // string keys and int indexes

func parseJSONPath(s string) (jsonPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", s)
	}
	var p jsonPath
	rest := s[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("JSON path %q has an empty key", s)
			}
			p, rest = append(p, rest[:end]), rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q has an unclosed [", s)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				p = append(p, inner[1:len(inner)-1])
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil {
				return nil, fmt.Errorf("JSON path %q: %q is neither a quoted key nor an index", s, inner)
			}
			p = append(p, n)
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q", s, rest[:1])
		}
	}
	return p, nil
}

// lookup follows the path through decoded JSON.
func (p jsonPath) lookup(v any) (any, bool) {
	for _, step := range p {
		switch k := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil, false
			}
			v = l[k]
		}
	}
	return v, true
}
