package replication

import (
	"errors"
	"fmt"
)

// This file turns a column value, as pgoutput sends it (the type's text
// output), into the JSON that row_to_json would produce for the same datum.
// The rules mirror datum_to_json in PostgreSQL's src/backend/utils/adt/json.c
// (json_categorize_type picks a category from the type, looking through
// domains); the byte-for-byte comparison in decode_test.go keeps them honest.

// category is json_categorize_type's classification of a (base) type.
type category uint8

const (
	catOther       category = iota // any other type: the text output as a JSON string
	catBool                        // true / false
	catNumeric                     // int2/4/8, float4/8, numeric: bare number unless NaN/Infinity
	catDate                        // date: ISO text (already the JSON format)
	catTimestamp                   // timestamp: ISO with 'T'
	catTimestampTZ                 // timestamptz: ISO with 'T' and a +hh:mm offset
	catJSON                        // json, jsonb: inlined as is
	catArray                       // arrays: JSON arrays, element rule applied recursively
	catComposite                   // composite types: JSON objects
	catServer                      // has a cast to json (PostGIS geometry): rendered by the server
)

// pgType is what rendering needs to know about a column type.
type pgType struct {
	oid   uint32
	cat   category
	elem  *pgType     // catArray: element type (domains resolved)
	delim byte        // catArray: the element type's typdelim
	attrs []attribute // catComposite: live attributes in attnum order
	// server is set when this type, or a type nested in it, can only be
	// rendered by the server (catServer somewhere inside).
	server bool
}

type attribute struct {
	name string
	typ  *pgType
}

var errBadLiteral = errors.New("unexpected text representation")

// appendValue appends the JSON rendering of a non-NULL value of type t whose
// text output is text. Types needing the server (t.server) are not handled
// here; the caller renders those with to_json.
func appendValue(buf []byte, t *pgType, text []byte) ([]byte, error) {
	switch t.cat {
	case catBool:
		switch string(text) {
		case "t", "true":
			return append(buf, "true"...), nil
		case "f", "false":
			return append(buf, "false"...), nil
		}
		return buf, fmt.Errorf("bool %q: %w", text, errBadLiteral)
	case catNumeric:
		// datum_to_json inlines the output when it is a valid JSON number;
		// NaN, Infinity and -Infinity become strings.
		if validJSONNumber(text) {
			return append(buf, text...), nil
		}
		return AppendJSONString(buf, text), nil
	case catJSON:
		return append(buf, text...), nil
	case catTimestamp:
		return appendTimestamp(buf, text, false)
	case catTimestampTZ:
		return appendTimestamp(buf, text, true)
	case catArray:
		p := literalParser{src: text}
		return p.array(buf, t.elem, t.delim)
	case catComposite:
		p := literalParser{src: text}
		return p.record(buf, t.attrs)
	case catServer:
		return buf, errors.New("type is rendered by the server")
	}
	// catOther and catDate: date_out in ISO style is exactly the XSD form
	// json.c uses ("2015-10-17", "0044-03-15 BC", "infinity").
	return AppendJSONString(buf, text), nil
}

// appendTimestamp converts timestamp[tz] text output in DateStyle ISO
// ("2015-10-17 14:42:43.5+00", "0044-03-15 12:00:00+00 BC") to the XSD form
// json.c writes ("2015-10-17T14:42:43.5+00:00", "0044-03-15T12:00:00+00:00 BC").
// The two styles differ only in the 'T' and in a whole-hour offset, which ISO
// writes as "+hh" and XSD as "+hh:00".
func appendTimestamp(buf []byte, text []byte, tz bool) ([]byte, error) {
	s := string(text)
	if s == "infinity" || s == "-infinity" {
		return AppendJSONString(buf, text), nil
	}
	bc := len(s) > 3 && s[len(s)-3:] == " BC"
	if bc {
		s = s[:len(s)-3]
	}
	sp := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 {
		return buf, fmt.Errorf("timestamp %q: %w", text, errBadLiteral)
	}
	buf = append(buf, '"')
	buf = append(buf, s[:sp]...)
	buf = append(buf, 'T')
	rest := s[sp+1:]
	buf = append(buf, rest...)
	if tz {
		sign := -1
		for i := len(rest) - 1; i >= 0; i-- {
			if rest[i] == '+' || rest[i] == '-' {
				sign = i
				break
			}
		}
		if sign < 0 {
			return buf, fmt.Errorf("timestamptz %q: %w", text, errBadLiteral)
		}
		if len(rest)-sign == 3 { // "+hh"
			buf = append(buf, ":00"...)
		}
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return append(buf, '"'), nil
}

// validJSONNumber reports whether s is a JSON number as PostgreSQL's JSON
// lexer accepts it (IsValidJsonNumber): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validJSONNumber(s []byte) bool {
	i, n := 0, len(s)
	if i < n && s[i] == '-' {
		i++
	}
	switch {
	case i < n && s[i] == '0':
		i++
	case i < n && s[i] >= '1' && s[i] <= '9':
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < n && s[i] == '.' {
		i++
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == n
}

const hexDigits = "0123456789abcdef"

// AppendJSONString quotes s exactly as PostgreSQL's escape_json does: the
// two-character escapes for \b \f \n \r \t " and \, \u00XX (lower-case hex)
// for other control characters, every other byte as is. (encoding/json would
// differ: it escapes <, >, & and U+2028/U+2029.) s should be valid UTF-8.
// Delivery writes its payloads' strings with it too, so that a webhook body
// is quoted one way throughout.
func AppendJSONString[T ~string | ~[]byte](buf []byte, s T) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '"':
			buf = append(buf, '\\', '"')
		case '\\':
			buf = append(buf, '\\', '\\')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
