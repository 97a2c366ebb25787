package kriti

import (
	"fmt"
	"net/url"
	"strings"
)

// node is a parsed template part; eval gives its value against env.
type node interface {
	eval(env map[string]any) (any, error)
}

// literal is a constant: a number, boolean, null or literal string.
type literal struct{ v any }

func (l literal) eval(map[string]any) (any, error) { return l.v, nil }

// objectNode is an object; keys are evaluated in source order and a
// repeated key keeps its last value.
type objectNode struct {
	keys, values []node
}

func (o *objectNode) eval(env map[string]any) (any, error) {
	obj := make(map[string]any, len(o.keys))
	for i, kn := range o.keys {
		k, err := kn.eval(env)
		if err != nil {
			return nil, err
		}
		v, err := o.values[i].eval(env)
		if err != nil {
			return nil, err
		}
		obj[fmt.Sprint(k)] = v
	}
	return obj, nil
}

type listNode struct{ items []node }

func (l *listNode) eval(env map[string]any) (any, error) {
	list := make([]any, 0, len(l.items))
	for _, it := range l.items {
		v, err := it.eval(env)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, nil
}

// stringNode is text with interpolations: literal parts and expressions,
// whose values are rendered with Text.
type stringNode struct{ parts []node }

// add appends the literal text gathered in b (if any), then v (if not
// nil), and returns the node: a plain literal when nothing is interpolated.
func (s *stringNode) add(b *strings.Builder, v node) node {
	if b.Len() > 0 {
		s.parts = append(s.parts, literal{b.String()})
		b.Reset()
	}
	if v != nil {
		s.parts = append(s.parts, v)
		return s
	}
	switch len(s.parts) {
	case 0:
		return literal{""}
	case 1:
		if l, ok := s.parts[0].(literal); ok {
			return l
		}
	}
	return s
}

func (s *stringNode) eval(env map[string]any) (any, error) {
	var b strings.Builder
	for _, part := range s.parts {
		v, err := part.eval(env)
		if err != nil {
			return nil, err
		}
		b.WriteString(Text(v))
	}
	return b.String(), nil
}

// pathNode is $name and its steps; errors point at the path from its $
// to the end of the step that failed.
type pathNode struct {
	name           string
	start, nameEnd int
	steps          []pathStep
}

type pathStep struct {
	key node
	end int
}

func (n *pathNode) eval(env map[string]any) (any, error) {
	v, ok := env[n.name]
	if !ok {
		return nil, &Error{Kind: "Name Error", Msg: fmt.Sprintf("Variable '$%s' not found.", n.name), Pos: n.start, End: n.nameEnd}
	}
	for _, s := range n.steps {
		key, err := s.key.eval(env)
		if err != nil {
			return nil, err
		}
		next, err := step(v, key)
		if err != nil {
			return nil, &Error{Kind: "Attribute Error", Msg: err.Error(), Pos: n.start, End: s.end}
		}
		v = next
	}
	return v, nil
}

func step(v, key any) (any, error) {
	switch c := v.(type) {
	case map[string]any:
		k := fmt.Sprint(key)
		if x, ok := c[k]; ok {
			return x, nil
		}
		return nil, fmt.Errorf("'Object' has no attribute '%s'.", k)
	case []any:
		if f, ok := key.(float64); ok && int(f) >= 0 && int(f) < len(c) {
			return c[int(f)], nil
		}
		return nil, fmt.Errorf("'Array' has no index '%v'.", key)
	}
	return nil, fmt.Errorf("cannot look up '%v' in a non-container value.", key)
}

// callNode is one of the supported functions applied to its argument; an
// unknown name fails when evaluated, as Kriti's type checker is not run.
type callNode struct {
	name       string
	arg        node
	start, end int
}

func (c *callNode) eval(env map[string]any) (any, error) {
	arg, err := c.arg.eval(env)
	if err != nil {
		return nil, err
	}
	fail := func(msg string) error {
		return &Error{Kind: "Function Error", Msg: msg, Pos: c.start, End: c.end}
	}
	s, isStr := arg.(string)
	switch c.name {
	case "getSessionVariable":
		vars, _ := env["session_variables"].(map[string]any)
		for k, v := range vars {
			if strings.EqualFold(k, s) {
				return v, nil
			}
		}
		return nil, fail(fmt.Sprintf("Session variable %q not found", s))
	case "toString":
		return Text(arg), nil
	case "toUpper", "toLower", "escapeUri":
		if !isStr {
			return nil, fail(c.name + " expects a string")
		}
		switch c.name {
		case "toUpper":
			return strings.ToUpper(s), nil
		case "toLower":
			return strings.ToLower(s), nil
		}
		return url.QueryEscape(s), nil
	}
	return nil, fail(fmt.Sprintf("Function %q is not supported", c.name))
}
