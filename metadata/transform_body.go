package metadata

import "encoding/json"

// bodyTransform is a transform's body setting, for requests and responses
// alike: version 1 gives the template itself; version 2 gives {action:
// remove|transform, template}, where remove gives nil: no body.
type bodyTransform struct {
	set    bool // a body setting is given (isSet)
	keep   bool // none, or null: the body stays as it is
	remove bool
	tmpl   template
	err    error // a malformed setting
}

func compileBody(raw json.RawMessage) bodyTransform {
	b := bodyTransform{set: isSet(raw)}
	if len(raw) == 0 || string(raw) == "null" {
		b.keep = true
		return b
	}
	var tmpl string
	if json.Unmarshal(raw, &tmpl) == nil {
		b.tmpl = valueTemplate(tmpl)
		return b
	}
	var v2 struct {
		Action   string `json:"action"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &v2); err != nil {
		b.err = &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.body", Message: err.Error()}
		return b
	}
	switch v2.Action {
	case "remove":
		b.remove = true // Hasura sends no body
	case "transform":
		b.tmpl = valueTemplate(v2.Template)
	default:
		b.err = &APIError{Status: 400, Code: "parse-failed", Path: "$.args.request_transform.body.action",
			Message: `expected "remove" or "transform"`}
	}
	return b
}

func (b *bodyTransform) apply(body any, env map[string]any) (any, error) {
	switch {
	case b.keep:
		return body, nil
	case b.err != nil:
		return nil, b.err
	case b.remove:
		return nil, nil
	}
	return b.tmpl.eval(env)
}

// ResponseTransform is a response_transform ready to apply.
type ResponseTransform struct {
	body bodyTransform
}

// CompileResponseTransform parses a response_transform's body template;
// nil when there is no body transform.
func CompileResponseTransform(raw json.RawMessage) *ResponseTransform {
	var t struct {
		Body json.RawMessage `json:"body"`
	}
	if !isSet(raw) || json.Unmarshal(raw, &t) != nil || !isSet(t.Body) {
		return nil
	}
	return &ResponseTransform{body: compileBody(t.Body)}
}

// Apply applies the body transform to env (Kriti: $body,
// $session_variables, ...); ok is false when there is none (rt is nil).
// A removed body is nil.
func (rt *ResponseTransform) Apply(env map[string]any) (out any, ok bool, err error) {
	if rt == nil {
		return nil, false, nil
	}
	out, err = rt.body.apply(nil, env)
	return out, true, err
}

// TransformBody applies a transform's body setting to env, parsing it on
// each call; see ResponseTransform.
func TransformBody(transform json.RawMessage, env map[string]any) (out any, ok bool, err error) {
	return CompileResponseTransform(transform).Apply(env)
}
