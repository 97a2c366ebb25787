package metadata

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// A subset of Kriti, the template language of Hasura's request transforms:
// JSON literals whose strings may interpolate {{ expr }}, a whole value
// given as {{ expr }}, variable paths ($body.a.b, $body['a'], $body[0]),
// string, number, boolean and null literals, and the functions
// getSessionVariable, toUpper, toLower, escapeUri and toString. Loops and
// conditionals are not supported: they are parse errors, reported in
// Kriti's error shape.

// kritiError is a template failure in Hasura's validation error item shape.
type kritiError struct {
	Kind string // "Parse Error" or "Attribute Error", ...
	Msg  string
	Pos  int // byte offset in the template
	End  int
}

func (e *kritiError) Error() string { return e.Msg }

// item is one entry of the validation error's "internal" list.
func (e *kritiError) item() map[string]any {
	return map[string]any{"error_code": e.Kind, "message": e.Msg, "source_position": map[string]any{
		"start_line": 0, "start_column": e.Pos, "end_line": 0, "end_column": e.End}}
}

type kritiParser struct {
	src string
	pos int
	env map[string]any // $body, $session_variables, $base_url, ...
	// parseOnly checks syntax without evaluating: a response transform
	// is checked before any response exists.
	parseOnly bool
}

// checkKriti reports a template's syntax errors.
func checkKriti(src string) error {
	p := &kritiParser{src: src, parseOnly: true}
	p.space()
	if _, err := p.value(); err != nil {
		return err
	}
	p.space()
	if p.pos < len(p.src) {
		return p.unexpected()
	}
	return nil
}

// evalKriti evaluates a template against the variables in env.
func evalKriti(src string, env map[string]any) (any, error) {
	p := &kritiParser{src: src, env: env}
	p.space()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, p.unexpected()
	}
	return v, nil
}

func (p *kritiParser) unexpected() error {
	if p.pos >= len(p.src) {
		return &kritiError{Kind: "Parse Error", Msg: "Unexpected end of input.", Pos: p.pos, End: p.pos}
	}
	return &kritiError{Kind: "Parse Error", Msg: fmt.Sprintf("Unexpected token '%c'.", p.src[p.pos]), Pos: p.pos, End: p.pos + 1}
}

func (p *kritiParser) space() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *kritiParser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

// value parses and evaluates one JSON-like value.
func (p *kritiParser) value() (any, error) {
	p.space()
	switch {
	case strings.HasPrefix(p.src[p.pos:], "{{"):
		p.pos += 2
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.eat("}}") {
			return nil, p.unexpected()
		}
		return v, nil
	case p.eat("{"):
		obj := map[string]any{}
		for !p.eat("}") {
			if len(obj) > 0 && !p.eat(",") {
				return nil, p.unexpected()
			}
			p.space()
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			if !p.eat(":") {
				return nil, p.unexpected()
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			obj[fmt.Sprint(k)] = v
		}
		return obj, nil
	case p.eat("["):
		list := []any{}
		for !p.eat("]") {
			if len(list) > 0 && !p.eat(",") {
				return nil, p.unexpected()
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	return p.expr()
}

// expr parses a term: a path, a literal or a function call.
func (p *kritiParser) expr() (any, error) {
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.unexpected()
	}
	c := p.src[p.pos]
	switch {
	case c == '"' || c == '\'':
		return p.str()
	case c == '$':
		return p.path()
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && strings.ContainsRune("0123456789.eE+-", rune(p.src[p.pos])) {
			p.pos++
		}
		n, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			p.pos = start
			return nil, p.unexpected()
		}
		return n, nil
	case isIdentByte(c):
		name := p.ident()
		switch name {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return p.call(name)
	}
	return nil, p.unexpected()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *kritiParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// str parses a quoted string, evaluating {{ }} interpolations in it.
func (p *kritiParser) str() (any, error) {
	p.space()
	if p.pos >= len(p.src) || (p.src[p.pos] != '"' && p.src[p.pos] != '\'') {
		return nil, p.unexpected()
	}
	quote := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.unexpected()
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			var r string
			if err := json.Unmarshal([]byte(`"`+p.src[p.pos:p.pos+2]+`"`), &r); err != nil {
				r = p.src[p.pos+1 : p.pos+2]
			}
			b.WriteString(r)
			p.pos += 2
		case strings.HasPrefix(p.src[p.pos:], "{{"):
			p.pos += 2
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.eat("}}") {
				return nil, p.unexpected()
			}
			b.WriteString(kritiText(v))
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// kritiText renders an interpolated value: strings as they are, the rest as JSON.
func kritiText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// path evaluates $var followed by .field, ['field'] or [index] steps.
func (p *kritiParser) path() (any, error) {
	start := p.pos
	p.pos++ // $
	name := p.ident()
	v, ok := p.env[name]
	if !ok && !p.parseOnly {
		return nil, &kritiError{Kind: "Name Error", Msg: fmt.Sprintf("Variable '$%s' not found.", name), Pos: start, End: p.pos}
	}
	for p.pos < len(p.src) {
		var key any
		switch p.src[p.pos] {
		case '.':
			p.pos++
			key = p.ident()
		case '[':
			p.pos++
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.eat("]") {
				return nil, p.unexpected()
			}
			key = k
		default:
			return v, nil
		}
		if p.parseOnly {
			continue
		}
		next, err := step(v, key)
		if err != nil {
			return nil, &kritiError{Kind: "Attribute Error", Msg: err.Error(), Pos: start, End: p.pos}
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

// call evaluates one of the supported functions.
func (p *kritiParser) call(name string) (any, error) {
	start := p.pos - len(name)
	if !p.eat("(") {
		return nil, p.unexpected()
	}
	arg, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.eat(")") {
		return nil, p.unexpected()
	}
	if p.parseOnly {
		return nil, nil
	}
	fail := func(msg string) error {
		return &kritiError{Kind: "Function Error", Msg: msg, Pos: start, End: p.pos}
	}
	s, isStr := arg.(string)
	switch name {
	case "getSessionVariable":
		vars, _ := p.env["session_variables"].(map[string]any)
		for k, v := range vars {
			if strings.EqualFold(k, s) {
				return v, nil
			}
		}
		return nil, fail(fmt.Sprintf("Session variable %q not found", s))
	case "toString":
		return kritiText(arg), nil
	case "toUpper", "toLower", "escapeUri":
		if !isStr {
			return nil, fail(name + " expects a string")
		}
		switch name {
		case "toUpper":
			return strings.ToUpper(s), nil
		case "toLower":
			return strings.ToLower(s), nil
		}
		return url.QueryEscape(s), nil
	}
	return nil, fail(fmt.Sprintf("Function %q is not supported", name))
}

// kritiInterpolate evaluates the {{ }} interpolations of unquoted text (a
// URL or a header value template).
func kritiInterpolate(text string, env map[string]any) (string, error) {
	p := &kritiParser{src: text, env: env}
	var b strings.Builder
	for p.pos < len(p.src) {
		if !strings.HasPrefix(p.src[p.pos:], "{{") {
			b.WriteByte(p.src[p.pos])
			p.pos++
			continue
		}
		p.pos += 2
		v, err := p.expr()
		if err != nil {
			return "", err
		}
		if !p.eat("}}") {
			return "", p.unexpected()
		}
		b.WriteString(kritiText(v))
	}
	return b.String(), nil
}
