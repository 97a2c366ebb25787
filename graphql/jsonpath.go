package graphql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
)

// json and jsonb columns take Hasura's `path` argument, which selects a
// value inside the document ("$.a.b[0]", "a.b", "$['a']"): it compiles to
// `column #> '{a,b,0}'`, null where the path does not exist.

// jsonPathArgs is the arguments of a column field of type typname.
func jsonPathArgs(typname string) graphql.FieldConfigArgument {
	if typname != "json" && typname != "jsonb" {
		return nil
	}
	return graphql.FieldConfigArgument{"path": {Type: graphql.String, Description: "JSON select path"}}
}

// jsonPathSelect applies the field's path argument to ref, the column's SQL.
func (c *compiler) jsonPathSelect(ref, typname string, g *fieldGroup, path string) (string, error) {
	if typname != "json" && typname != "jsonb" {
		return ref, nil
	}
	v, _ := c.arg(g, "path")
	s, ok := v.(string)
	if !ok {
		return ref, nil
	}
	elems, err := parseJSONPath(s)
	if err != nil {
		return "", validationErr(path+".args.path", "parse json path error: %s", err.Error())
	}
	if len(elems) == 0 {
		return ref, nil
	}
	return "(" + ref + " #> " + c.param(elems) + "::text[])", nil
}

// parseJSONPath splits a JSON path into keys and array indexes (as text,
// the form #> takes).
func parseJSONPath(s string) ([]string, error) {
	s = strings.TrimPrefix(s, "$")
	var out []string
	first := true
	for len(s) > 0 {
		switch {
		case s[0] == '.':
			key, rest := jsonPathKey(s[1:])
			if key == "" {
				return nil, errors.New("expecting a key after '.'")
			}
			out, s = append(out, key), rest
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, errors.New("missing ']'")
			}
			inner := s[1:end]
			if n := len(inner); n >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[n-1] == inner[0] {
				out = append(out, inner[1:n-1])
			} else if i, err := strconv.Atoi(inner); err == nil && i >= 0 {
				out = append(out, inner)
			} else {
				return nil, errors.New("invalid array index or key: " + inner)
			}
			s = s[end+1:]
		case first:
			key, rest := jsonPathKey(s)
			out, s = append(out, key), rest
		default:
			return nil, errors.New("unexpected " + strconv.Quote(s[:1]))
		}
		first = false
	}
	return out, nil
}

// jsonPathKey reads a bare key up to the next '.' or '['.
func jsonPathKey(s string) (string, string) {
	i := strings.IndexAny(s, ".[")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}
