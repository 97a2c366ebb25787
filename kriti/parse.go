package kriti

import (
	"encoding/json"
	"strconv"
	"strings"
)

// parser turns template source into a tree of nodes (eval.go). Parse
// errors carry their byte offsets, as Kriti reports them.
type parser struct {
	src string
	pos int
}

func (p *parser) unexpected() error {
	if p.pos >= len(p.src) {
		return parseError("Unexpected end of input.", p.pos, p.pos)
	}
	return unexpectedToken(p.src[p.pos], p.pos)
}

func (p *parser) space() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *parser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.src[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

// value parses one JSON-like value.
func (p *parser) value() (node, error) {
	p.space()
	switch {
	case strings.HasPrefix(p.src[p.pos:], "{{"):
		return p.interpolation()
	case p.eat("{"):
		obj := &objectNode{}
		for !p.eat("}") {
			if len(obj.keys) > 0 && !p.eat(",") {
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
			obj.keys, obj.values = append(obj.keys, k), append(obj.values, v)
		}
		return obj, nil
	case p.eat("["):
		list := &listNode{}
		for !p.eat("]") {
			if len(list.items) > 0 && !p.eat(",") {
				return nil, p.unexpected()
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list.items = append(list.items, v)
		}
		return list, nil
	}
	return p.expr()
}

// interpolation parses {{ expr }}, at its opening braces.
func (p *parser) interpolation() (node, error) {
	p.pos += 2
	v, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.eat("}}") {
		return nil, p.unexpected()
	}
	return v, nil
}

// expr parses a term: a path, a literal or a function call.
func (p *parser) expr() (node, error) {
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
		return literal{n}, nil
	case isIdentByte(c):
		name := p.ident()
		switch name {
		case "true":
			return literal{true}, nil
		case "false":
			return literal{false}, nil
		case "null":
			return literal{nil}, nil
		}
		return p.call(name)
	}
	return nil, p.unexpected()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// str parses a quoted string and the {{ }} interpolations in it.
func (p *parser) str() (node, error) {
	p.space()
	if p.pos >= len(p.src) || (p.src[p.pos] != '"' && p.src[p.pos] != '\'') {
		return nil, p.unexpected()
	}
	quote := p.src[p.pos]
	p.pos++
	s := &stringNode{}
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return nil, p.unexpected()
		}
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return s.add(&b, nil), nil
		case c == '\\' && p.pos+1 < len(p.src):
			var r string
			if err := json.Unmarshal([]byte(`"`+p.src[p.pos:p.pos+2]+`"`), &r); err != nil {
				r = p.src[p.pos+1 : p.pos+2]
			}
			b.WriteString(r)
			p.pos += 2
		case strings.HasPrefix(p.src[p.pos:], "{{"):
			v, err := p.interpolation()
			if err != nil {
				return nil, err
			}
			s.add(&b, v)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// text parses unquoted text up to the end of the source: literal bytes
// and {{ }} interpolations.
func (p *parser) text() (node, error) {
	s := &stringNode{}
	var b strings.Builder
	for p.pos < len(p.src) {
		if !strings.HasPrefix(p.src[p.pos:], "{{") {
			b.WriteByte(p.src[p.pos])
			p.pos++
			continue
		}
		v, err := p.interpolation()
		if err != nil {
			return nil, err
		}
		s.add(&b, v)
	}
	return s.add(&b, nil), nil
}

// path parses $var followed by .field, ['field'] or [index] steps.
func (p *parser) path() (node, error) {
	n := &pathNode{start: p.pos}
	p.pos++ // $
	n.name = p.ident()
	n.nameEnd = p.pos
	for p.pos < len(p.src) {
		var key node
		switch p.src[p.pos] {
		case '.':
			p.pos++
			key = literal{p.ident()}
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
			return n, nil
		}
		n.steps = append(n.steps, pathStep{key: key, end: p.pos})
	}
	return n, nil
}

// call parses name(arg), name already read.
func (p *parser) call(name string) (node, error) {
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
	return &callNode{name: name, arg: arg, start: start, end: p.pos}, nil
}
