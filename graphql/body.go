package graphql

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeRequest reads a request object in one pass of the scanner
// (jsonscan.go) and keeps its variables decoded, where encoding/json would
// scan the body to validate it, again to decode it, and coerceVariables a
// third time for the variables. ok is false for whatever it does not
// decode exactly as json.Unmarshal into Request does (not an object, a
// query or operationName that is not a string or null, a key that only
// case-insensitively names a field, invalid JSON): the caller then takes
// the encoding/json path, with its error messages.
func decodeRequest(body []byte) (req Request, vars any, ok bool) {
	p := &scanner{b: body}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return req, nil, false
	}
	p.i++
	p.depth = 1 // the body's object: nested values count from it, as in encoding/json
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.ws()
		return req, nil, p.i == len(p.b)
	}
	for {
		p.ws()
		key, err := p.str()
		if err != nil {
			return req, nil, false
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return req, nil, false
		}
		p.i++
		p.ws()
		switch key {
		case "query":
			if !p.stringOrNull(&req.Query) {
				return req, nil, false
			}
		case "operationName":
			if !p.stringOrNull(&req.OperationName) {
				return req, nil, false
			}
		case "variables":
			start := p.i
			if vars, err = p.value(); err != nil {
				return req, nil, false
			}
			req.Variables = json.RawMessage(body[start:p.i])
		default:
			if foldsToField(key) {
				return req, nil, false
			}
			if _, err := p.value(); err != nil {
				return req, nil, false
			}
		}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			p.ws()
			return req, vars, p.i == len(p.b)
		}
		return req, nil, false
	}
}

// stringOrNull reads a string into dst, or null, which leaves dst as it is
// (as encoding/json does); false for any other value.
func (p *scanner) stringOrNull(dst *string) bool {
	if p.literal("null") {
		return true
	}
	s, err := p.str()
	if err != nil {
		return false
	}
	*dst = s
	return true
}

// foldsToField reports whether encoding/json could match key to a field
// of Request other than exactly (it matches names case-insensitively, with
// Unicode folding): such bodies take the encoding/json path.
func foldsToField(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return true
		}
	}
	return strings.EqualFold(key, "query") || strings.EqualFold(key, "operationName") || strings.EqualFold(key, "variables")
}
