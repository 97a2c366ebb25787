// Package kriti parses and evaluates templates in a subset of Kriti, the
// template language of Hasura's request and response transforms: parsed
// once (Parse, ParseText), evaluated per call (Template.Eval).
//
// The subset: JSON literals whose strings may interpolate {{ expr }}, a
// whole value given as {{ expr }}, variable paths ($body.a.b, $body['a'],
// $body[0]), string, number, boolean and null literals, and the functions
// getSessionVariable, toUpper, toLower, escapeUri and toString. Loops and
// conditionals are not supported: they are parse errors, reported in
// Kriti's error shape (Error).
package kriti

import (
	"encoding/json"
	"fmt"
)

// Error is a template failure in the shape of Hasura's validation error
// items.
type Error struct {
	Kind string // "Parse Error", "Name Error", "Attribute Error" or "Function Error"
	Msg  string
	Pos  int // byte offset in the template
	End  int
}

func (e *Error) Error() string { return e.Msg }

// Item is the entry of a validation error's "internal" list.
func (e *Error) Item() map[string]any {
	return map[string]any{"error_code": e.Kind, "message": e.Msg, "source_position": map[string]any{
		"start_line": 0, "start_column": e.Pos, "end_line": 0, "end_column": e.End}}
}

// Template is a parsed template; it is immutable, so one may be shared by
// any number of concurrent evaluations.
type Template struct {
	root node
}

// Parse parses a value template: a JSON-like value, or {{ expr }}, or a
// bare expression.
func Parse(src string) (*Template, error) {
	p := &parser{src: src}
	p.space()
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) {
		return nil, p.unexpected()
	}
	return &Template{root: root}, nil
}

// ParseText parses unquoted text with {{ expr }} interpolations (a URL, a
// header value or a query string template); it evaluates to a string.
func ParseText(src string) (*Template, error) {
	p := &parser{src: src}
	root, err := p.text()
	if err != nil {
		return nil, err
	}
	return &Template{root: root}, nil
}

// Eval evaluates the template against the variables in env ($body,
// $session_variables, $base_url, ...: env's keys without the $).
func (t *Template) Eval(env map[string]any) (any, error) {
	return t.root.eval(env)
}

// EvalText evaluates a template to text: a string as it is, any other
// value as JSON.
func (t *Template) EvalText(env map[string]any) (string, error) {
	v, err := t.root.eval(env)
	if err != nil {
		return "", err
	}
	return Text(v), nil
}

// Text renders an interpolated value: strings as they are, the rest as JSON.
func Text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func parseError(msg string, pos, end int) *Error {
	return &Error{Kind: "Parse Error", Msg: msg, Pos: pos, End: end}
}

func unexpectedToken(c byte, pos int) *Error {
	return parseError(fmt.Sprintf("Unexpected token '%c'.", c), pos, pos+1)
}
