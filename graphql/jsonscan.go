package graphql

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// scanner decodes JSON in one pass over the bytes, keeping object key
// order (into object). json.Decoder.Token boxes every token and was the
// largest cost of requests with big variables.
type scanner struct {
	b     []byte
	i     int
	depth int // objects and lists open
}

// maxDepth is encoding/json's nesting limit: deeper input is an error, not
// a deeper recursion.
const maxDepth = 10000

// enter opens an object or list.
func (p *scanner) enter() error {
	if p.depth++; p.depth > maxDepth {
		return p.errorf("exceeded max depth")
	}
	return nil
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) errorf(format string, a ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *scanner) value() (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.list()
	case c == '"':
		return p.str()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	default:
		return p.number()
	}
}

func (p *scanner) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *scanner) object() (any, error) {
	p.i++ // {
	if err := p.enter(); err != nil {
		return nil, err
	}
	obj := object{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		return obj, nil
	}
	for {
		p.ws()
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		obj = append(obj, objField{Name: k, Value: v})
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			p.depth--
			return obj, nil
		}
		return nil, p.errorf("expected ',' or '}'")
	}
}

func (p *scanner) list() (any, error) {
	p.i++ // [
	if err := p.enter(); err != nil {
		return nil, err
	}
	list := []any{}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		return list, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			p.depth--
			return list, nil
		}
		return nil, p.errorf("expected ',' or ']'")
	}
}

func (p *scanner) number() (any, error) {
	j := p.i
	for j < len(p.b) {
		c := p.b[j]
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9') {
			j++
			continue
		}
		break
	}
	if j == p.i || !json.Valid(p.b[p.i:j]) {
		return nil, p.errorf("unexpected %q", p.b[p.i:max(j, p.i+1)])
	}
	n := json.Number(p.b[p.i:j])
	p.i = j
	return n, nil
}

// str reads a string; plain ASCII is sliced directly, ASCII with the
// one-character escapes (a query's \n) is unescaped here, and anything
// else (\u escapes, control or non-ASCII bytes) goes through encoding/json
// for exact unescaping.
func (p *scanner) str() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", p.errorf("expected a string")
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := string(p.b[p.i+1 : j])
			p.i = j + 1
			return s, nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return p.escapedStr(j)
		}
	}
	return "", p.errorf("unterminated string")
}

// escapedStr reads the string at p.i whose first escape or special byte
// is at j.
func (p *scanner) escapedStr(j int) (string, error) {
	buf := make([]byte, 0, j-p.i+32)
	buf = append(buf, p.b[p.i+1:j]...)
	for ; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(buf), nil
		case c == '\\' && j+1 < len(p.b) && simpleEscapes[p.b[j+1]] != 0:
			buf = append(buf, simpleEscapes[p.b[j+1]])
			j++
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return p.jsonStr()
		default:
			buf = append(buf, c)
		}
	}
	return "", p.errorf("unterminated string")
}

// simpleEscapes maps the byte after a backslash to what it stands for,
// for JSON's one-character escapes (\u is not one).
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// jsonStr reads the string at p.i through encoding/json.
func (p *scanner) jsonStr() (string, error) {
	k := p.i + 1
	for k < len(p.b) && p.b[k] != '"' {
		if p.b[k] == '\\' {
			k++
		}
		k++
	}
	if k >= len(p.b) {
		return "", p.errorf("unterminated string")
	}
	var s string
	if err := json.Unmarshal(p.b[p.i:k+1], &s); err != nil {
		return "", p.errorf("%v", err)
	}
	p.i = k + 1
	return s, nil
}
