package replication

import (
	"bytes"
	"fmt"
)

// literalParser reads the text output of arrays (array_out) and composite
// values (record_out) and writes the JSON that array_to_json and
// composite_to_json produce for them, applying the element or attribute
// type's rule to each value.
type literalParser struct {
	src     []byte
	pos     int
	scratch []byte // the current de-quoted element
}

func (p *literalParser) errorf(what string) error {
	return fmt.Errorf("%s at offset %d of %q: %w", what, p.pos, p.src, errBadLiteral)
}

// array renders "{1,2}", "{{1,NULL},{3,4}}" or "[0:1]={1,2}" (explicit
// bounds, which JSON drops) as a JSON array.
func (p *literalParser) array(buf []byte, elem *pgType, delim byte) ([]byte, error) {
	if p.pos < len(p.src) && p.src[p.pos] == '[' {
		eq := bytes.IndexByte(p.src[p.pos:], '=')
		if eq < 0 {
			return buf, p.errorf("array bounds without '='")
		}
		p.pos += eq + 1
	}
	buf, err := p.arrayDim(buf, elem, delim)
	if err != nil {
		return buf, err
	}
	if p.pos != len(p.src) {
		return buf, p.errorf("trailing characters after array")
	}
	return buf, nil
}

func (p *literalParser) arrayDim(buf []byte, elem *pgType, delim byte) ([]byte, error) {
	if p.pos >= len(p.src) || p.src[p.pos] != '{' {
		return buf, p.errorf("expected '{'")
	}
	p.pos++
	buf = append(buf, '[')
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return append(buf, ']'), nil
	}
	for {
		var err error
		if p.pos < len(p.src) && p.src[p.pos] == '{' {
			buf, err = p.arrayDim(buf, elem, delim)
		} else {
			buf, err = p.arrayElement(buf, elem, delim)
		}
		if err != nil {
			return buf, err
		}
		if p.pos >= len(p.src) {
			return buf, p.errorf("unterminated array")
		}
		c := p.src[p.pos]
		p.pos++
		switch c {
		case delim:
			buf = append(buf, ',')
		case '}':
			return append(buf, ']'), nil
		default:
			return buf, p.errorf("expected delimiter or '}'")
		}
	}
}

// arrayElement renders one element. array_out quotes every element that is
// empty, is the word NULL, or contains braces, quotes, backslashes, the
// delimiter or white space, so an unquoted NULL is always a null.
func (p *literalParser) arrayElement(buf []byte, elem *pgType, delim byte) ([]byte, error) {
	p.scratch = p.scratch[:0]
	quoted, sawQuote := false, false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !quoted && (c == delim || c == '}') {
			break
		}
		p.pos++
		switch {
		case c == '\\':
			if p.pos >= len(p.src) {
				return buf, p.errorf("dangling backslash")
			}
			p.scratch = append(p.scratch, p.src[p.pos])
			p.pos++
		case c == '"':
			quoted, sawQuote = !quoted, true
		default:
			p.scratch = append(p.scratch, c)
		}
	}
	if quoted {
		return buf, p.errorf("unterminated quoted element")
	}
	if !sawQuote && bytes.EqualFold(p.scratch, []byte("NULL")) {
		return append(buf, "null"...), nil
	}
	return appendValue(buf, elem, p.scratch)
}

// record renders "(1,\"a b\",)" as {"a":1,"b":"a b","c":null}: attribute
// names escaped like escape_json, values by their type's rule, an empty
// unquoted field as null.
func (p *literalParser) record(buf []byte, attrs []attribute) ([]byte, error) {
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return buf, p.errorf("expected '('")
	}
	p.pos++
	buf = append(buf, '{')
	if len(attrs) == 0 {
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return buf, p.errorf("expected ')' for a composite without attributes")
		}
		p.pos++
	}
	for i := range attrs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = AppendJSONString(buf, attrs[i].name)
		buf = append(buf, ':')
		null, err := p.recordField()
		if err != nil {
			return buf, err
		}
		if null {
			buf = append(buf, "null"...)
		} else if buf, err = appendValue(buf, attrs[i].typ, p.scratch); err != nil {
			return buf, err
		}
		if p.pos >= len(p.src) {
			return buf, p.errorf("unterminated record")
		}
		c := p.src[p.pos]
		p.pos++
		last := i == len(attrs)-1
		if (c == ',' && last) || (c == ')' && !last) || (c != ',' && c != ')') {
			// The type changed since it was read from the catalog: the
			// caller falls back to having the server render the value.
			return buf, p.errorf("record does not match the composite's attributes")
		}
	}
	if p.pos != len(p.src) {
		return buf, p.errorf("trailing characters after record")
	}
	return append(buf, '}'), nil
}

// recordField de-quotes one field into p.scratch and reports whether it is
// NULL (nothing at all between the separators). record_out doubles quotes
// and backslashes inside quoted fields; record_in also accepts backslash
// escapes, so both are handled.
func (p *literalParser) recordField() (null bool, err error) {
	p.scratch = p.scratch[:0]
	start := p.pos
	quoted := false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if !quoted && (c == ',' || c == ')') {
			break
		}
		p.pos++
		switch {
		case c == '\\':
			if p.pos >= len(p.src) {
				return false, p.errorf("dangling backslash")
			}
			p.scratch = append(p.scratch, p.src[p.pos])
			p.pos++
		case c == '"' && quoted && p.pos < len(p.src) && p.src[p.pos] == '"':
			p.scratch = append(p.scratch, '"')
			p.pos++
		case c == '"':
			quoted = !quoted
		default:
			p.scratch = append(p.scratch, c)
		}
	}
	if quoted {
		return false, p.errorf("unterminated quoted field")
	}
	return p.pos == start, nil
}
